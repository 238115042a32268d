package ltitest

import (
	"slices"
	"sync"

	"github.com/ltikit/ltikit/tool"
)

// Member is a member of a course, as the memberships service lists it
// (NRPS-04).
type Member struct {
	// UserID is the member's user_id, the sub of their launches.
	UserID string
	// Roles are the member's roles in the course, as full URIs such as
	// tool.RoleLearner; with Moodle they are listed by their short names
	// ("Learner"), as Moodle does.
	Roles tool.Roles
	// Status is "Active" or "Inactive"; "" means Active.
	Status string
	// The personal data, listed when not empty.
	Name, GivenName, FamilyName, MiddleName, Email, Picture string
	LISPersonSourcedID                                      string
}

// SetRoster replaces the members of the platform's default course (the
// course of a Message without Context), for the memberships service and
// the score service, which accepts scores only for members. Launches add
// the launching user to their course when not a member yet, so a user
// launched after SetRoster is a member too.
//
// The default roster holds the default launch user, the default
// submission-review learner, an instructor and another learner; with
// Moodle, the users of the recorded Moodle course ("3" Terry Teacher, "4"
// Sam Student, "5" Sally Scholar).
func (p *Platform) SetRoster(members ...Member) {
	p.e.courses.setMembers(p.e.quirks.context.ID, members)
}

// course is a course of the platform: its members and the resource links
// launched in it.
type course struct {
	context Context
	members []Member
	links   []string
}

// courses holds the platform's courses by context id. It is safe for
// concurrent use.
type courses struct {
	mu   sync.Mutex
	byID map[string]*course
}

func newCourses() *courses { return &courses{byID: make(map[string]*course)} }

// ensureLocked returns the course of c, registering it when unknown.
func (cs *courses) ensureLocked(c Context) *course {
	co, ok := cs.byID[c.ID]
	if !ok {
		co = &course{context: Context{ID: c.ID}}
		cs.byID[c.ID] = co
	}
	if co.context.Label == "" && co.context.Title == "" && len(co.context.Type) == 0 {
		co.context = c
		co.context.Type = slices.Clone(c.Type)
	}
	return co
}

// launched records a launch of m: its course, its resource link and its
// user, enrolled with the message's roles when not a member yet.
func (cs *courses) launched(m Message, sourcedID string) {
	if m.Context == nil {
		return
	}
	cs.mu.Lock()
	defer cs.mu.Unlock()
	co := cs.ensureLocked(*m.Context)
	if rl := m.resourceLinkID(); rl != "" && !slices.Contains(co.links, rl) {
		co.links = append(co.links, rl)
	}
	if slices.ContainsFunc(co.members, func(x Member) bool { return x.UserID == m.UserID }) {
		return
	}
	co.members = append(co.members, Member{UserID: m.UserID, Roles: slices.Clone(m.Roles),
		Name: m.Name, GivenName: m.GivenName, FamilyName: m.FamilyName, Email: m.Email,
		LISPersonSourcedID: sourcedID})
}

// addLink registers the resource link rl of the course c.
func (cs *courses) addLink(c Context, rl string) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	co := cs.ensureLocked(c)
	if rl != "" && !slices.Contains(co.links, rl) {
		co.links = append(co.links, rl)
	}
}

// ensure registers the course c when unknown.
func (cs *courses) ensure(c Context) {
	cs.mu.Lock()
	cs.ensureLocked(c)
	cs.mu.Unlock()
}

// setMembers replaces the members of the course contextID.
func (cs *courses) setMembers(contextID string, members []Member) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	co := cs.ensureLocked(Context{ID: contextID})
	co.members = cloneMembers(members)
}

// get returns a copy of the course contextID.
func (cs *courses) get(contextID string) (course, bool) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	co, ok := cs.byID[contextID]
	if !ok {
		return course{}, false
	}
	c := course{context: co.context, members: cloneMembers(co.members), links: slices.Clone(co.links)}
	c.context.Type = slices.Clone(co.context.Type)
	return c, true
}

// exists reports whether the course contextID exists.
func (cs *courses) exists(contextID string) bool {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	_, ok := cs.byID[contextID]
	return ok
}

// hasLink reports whether rl is a resource link of the course contextID.
func (cs *courses) hasLink(contextID, rl string) bool {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	co, ok := cs.byID[contextID]
	return ok && slices.Contains(co.links, rl)
}

// member returns the member userID of the course contextID.
func (cs *courses) member(contextID, userID string) (Member, bool) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	co, ok := cs.byID[contextID]
	if !ok {
		return Member{}, false
	}
	i := slices.IndexFunc(co.members, func(m Member) bool { return m.UserID == userID })
	if i < 0 {
		return Member{}, false
	}
	return co.members[i], true
}

func cloneMembers(ms []Member) []Member {
	out := slices.Clone(ms)
	for i := range out {
		out[i].Roles = slices.Clone(out[i].Roles)
	}
	return out
}

// defaultRoster is the default course's roster of the profile q.
func defaultRoster(q quirks) []Member {
	if q.moodleServices {
		return []Member{ // the course of the recorded Moodle fixtures
			{UserID: "5", Roles: tool.Roles{tool.RoleLearner}, Name: "Sally Scholar", GivenName: "Sally", FamilyName: "Scholar",
				Email: "student2@example.com", LISPersonSourcedID: "SIS-student2"},
			{UserID: q.userID, Roles: tool.Roles{tool.RoleLearner}, Name: "Sam Student", GivenName: "Sam", FamilyName: "Student",
				Email: "student1@example.com", LISPersonSourcedID: "SIS-student1"},
			{UserID: "3", Roles: tool.Roles{tool.RoleInstructor}, Name: "Terry Teacher", GivenName: "Terry", FamilyName: "Teacher",
				Email: "teacher1@example.com", LISPersonSourcedID: "SIS-teacher1"},
		}
	}
	return []Member{
		{UserID: q.userID, Roles: tool.Roles{tool.RoleLearner}, Name: "Lee Learner", GivenName: "Lee", FamilyName: "Learner",
			Email: "lee@example.edu", LISPersonSourcedID: "sis-" + q.userID},
		{UserID: q.forUserID, Roles: tool.Roles{tool.RoleLearner}, Name: "Kim Learner", GivenName: "Kim", FamilyName: "Learner",
			Email: "kim@example.edu", LISPersonSourcedID: "sis-" + q.forUserID},
		{UserID: "user-3", Roles: tool.Roles{tool.RoleLearner}, Name: "Pat Learner", GivenName: "Pat", FamilyName: "Learner",
			Email: "pat@example.edu", LISPersonSourcedID: "sis-user-3"},
		{UserID: "instructor-1", Roles: tool.Roles{tool.RoleInstructor}, Name: "Ivy Instructor", GivenName: "Ivy", FamilyName: "Instructor",
			Email: "ivy@example.edu", LISPersonSourcedID: "sis-instructor-1"},
	}
}

// seedCourses registers the platform's default course with its default
// roster and resource link, whose line item the gradebook makes.
func (e *engine) seedCourses() {
	q := e.quirks
	c := q.context
	c.Type = slices.Clone(c.Type)
	e.courses.ensure(c)
	e.courses.setMembers(c.ID, defaultRoster(q))
	e.courses.addLink(c, q.resourceLink.ID)
	e.gradebook.linkLineItem(c.ID, q.resourceLink.ID, q.resourceLink.Title)
}

// noteLaunch records a launch of m in its course: the resource link, and
// the user as a member (NRPS, and the score service's check).
func (e *engine) noteLaunch(m Message) {
	sourced := ""
	if e.quirks.moodleClaims {
		sourced = "SIS-user" + m.UserID // as the lis claim says
	}
	e.courses.launched(m, sourced)
}
