package ltitest

import (
	"net/http"
	"slices"
	"strconv"
	"sync"

	"github.com/ltikit/ltikit/tool"
)

// WithDevLMS makes the platform a development LMS for a person with a
// browser, the face of `ltikit dev`: URL + "/" serves a course page instead
// of the launch page. It shows
//
//   - the course "Physics 101" with an instructor, a teaching assistant and
//     three learners, each with a Launch button that opens the tool in an
//     iframe on the page, as an LMS does;
//   - its activities: the tool's first activity, titled toolName (default
//     "Tool"), and those the instructor adds with "Add activity", a
//     deep-linking launch whose returned ltiResourceLink items become
//     activities with their custom parameters and line items;
//   - the gradebook, with every score the tool posts as it arrives;
//   - the roster, as the memberships service (NRPS) serves it;
//   - the message log: every launch step with its decoded id_token and the
//     rules the tool broke, every deep-linking response, token request and
//     service call, and the tool's own verdict on each launch when its
//     handler is wrapped with [Platform.ObserveTool];
//   - switches for four of Moodle's behaviours, off at start: aud as a
//     plain string (otherwise an array with azp), short role names in the
//     memberships (otherwise full URIs), 409 for a score whose timestamp
//     falls in the same second as the previous one (otherwise timestamps
//     are compared exactly), and malformed Link headers on the line items
//     container (&amp; in the URLs, curly-quoted rel values).
//
// Every launch from the page grants the grade and roster services. For a
// proctoring tool, add [WithDevProctoring].
func WithDevLMS(toolName string) Option {
	return func(o *options) {
		if toolName == "" {
			toolName = "Tool"
		}
		o.devLMS = toolName
	}
}

// devLMS is the development LMS: a course on the engine, with the state
// the engine does not keep (the course's activities, the Moodle switches).
// It is safe for concurrent use.
type devLMS struct {
	e        *engine
	toolName string
	exam     bool // WithDevProctoring: the course has the proctored assessment
	course   Context
	users    []demoUser

	mu         sync.Mutex
	activities []devActivity
	dlLaunches map[string]string // deep-linking launch id → user id: its items become activities
	dlSeen     int               // deep-linking responses already turned into activities
	quirks     devQuirks
	clearLinks func() // removes the malformed-Link-headers fault; nil when off
}

// devActivity is a resource link of the development course.
type devActivity struct {
	Link          ResourceLink
	Custom        map[string]string
	TargetLinkURI string // "" launches the tool's first redirect URI
	AddedBy       string // the name of the user who added it by deep linking; "" for the first activity
}

// devUsers are the members of the development course, in the order shown.
var devUsers = []demoUser{
	{ID: "ian", Given: "Ian", Family: "Wright", Email: "ian.wright@example.edu", Role: "Instructor",
		Roles: tool.Roles{tool.RoleInstructor}},
	{ID: "tara", Given: "Tara", Family: "Singh", Email: "tara.singh@example.edu", Role: "Teaching assistant",
		Roles: tool.Roles{tool.RoleInstructor, tool.RoleTeachingAssistant}},
	{ID: "ada", Given: "Ada", Family: "Park", Email: "ada.park@example.edu", Role: "Learner",
		Roles: tool.Roles{tool.RoleLearner}},
	{ID: "ben", Given: "Ben", Family: "Okafor", Email: "ben.okafor@example.edu", Role: "Learner",
		Roles: tool.Roles{tool.RoleLearner}},
	{ID: "chloe", Given: "Chloé", Family: "Martin", Email: "chloe.martin@example.edu", Role: "Learner",
		Roles: tool.Roles{tool.RoleLearner}},
}

// canEdit reports whether u may add activities: an instructor who is not
// only a teaching assistant, as Moodle's editing teacher.
func canEdit(u demoUser) bool { return u.Roles.IsInstructor() && !u.Roles.IsTeachingAssistant() }

// firstActivityID is the resource link id of the course's first activity.
const firstActivityID = "activity-1"

// enableDevLMS makes e a development LMS for the tool toolName: it creates
// the course with its members and first activity (and that activity's
// line item), with the proctored assessment when proctoring is set, and
// serves the pages under /dev/.
func (e *engine) enableDevLMS(toolName string, proctoring bool) {
	d := &devLMS{e: e, toolName: toolName, exam: proctoring, users: devUsers, dlLaunches: make(map[string]string),
		course: Context{ID: demoContextID, Label: demoContextLabel, Title: demoContextTitle,
			Type: slices.Clone(e.quirks.context.Type)}}
	members := make([]Member, len(d.users))
	for i, u := range d.users {
		members[i] = Member{UserID: u.ID, Roles: slices.Clone(u.Roles), Name: u.Name(), GivenName: u.Given,
			FamilyName: u.Family, Email: u.Email, LISPersonSourcedID: "sis-" + u.ID}
	}
	e.courses.ensure(d.course)
	e.courses.setMembers(d.course.ID, members)
	first := devActivity{Link: ResourceLink{ID: firstActivityID, Title: toolName,
		Description: "The tool's default activity."}}
	d.activities = []devActivity{first}
	e.courses.addLink(d.course, first.Link.ID)
	e.gradebook.linkLineItem(d.course.ID, first.Link.ID, first.Link.Title)
	d.applyQuirks(devQuirks{})
	if proctoring {
		d.enableDevProctoring()
	}
	e.dev = d

	e.mux.HandleFunc("GET /dev/launch", d.serveLaunch)
	e.mux.HandleFunc("GET /dev/deeplink", d.serveDeepLink)
	e.mux.Handle("POST /dev/quirks", http.NewCrossOriginProtection().Handler(http.HandlerFunc(d.serveQuirks)))
	e.mux.HandleFunc("GET /dev/panels", d.servePanels)
	e.mux.Handle("GET /dev/static/", http.StripPrefix("/dev/static/", http.FileServerFS(devStatic)))
}

// user returns the member id of the course.
func (d *devLMS) user(id string) (demoUser, bool) {
	i := slices.IndexFunc(d.users, func(u demoUser) bool { return u.ID == id })
	if i < 0 {
		return demoUser{}, false
	}
	return d.users[i], true
}

// activity returns a copy of the activity whose resource link is id.
func (d *devLMS) activity(id string) (devActivity, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	i := slices.IndexFunc(d.activities, func(a devActivity) bool { return a.Link.ID == id })
	if i < 0 {
		return devActivity{}, false
	}
	return d.activities[i], true
}

// activityList returns a copy of the activities.
func (d *devLMS) activityList() []devActivity {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.activities)
}

// currentQuirks returns the switches.
func (d *devLMS) currentQuirks() devQuirks {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.quirks
}

// nextActivityIDLocked is the resource link id of the next activity added.
func (d *devLMS) nextActivityIDLocked() string {
	return "activity-" + strconv.Itoa(len(d.activities)+1)
}
