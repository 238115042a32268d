package ltitest

import (
	"net/http"
	"slices"

	"github.com/ltikit/ltikit/tool"
)

// serveLaunch is GET /dev/launch?user=ID&activity=RLID, what a Launch
// button opens in the iframe: the user's resource-link launch of the
// activity (the first one when activity is empty), with its custom
// parameters, the grade and roster services, and the switches' aud. It
// answers with the auto-submitting login initiation form, as Moodle does.
func (d *devLMS) serveLaunch(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	u, ok := d.launchingUser(w, q.Get("user"))
	if !ok {
		return
	}
	id := q.Get("activity")
	if id == "" {
		id = firstActivityID
	}
	a, ok := d.activity(id)
	if !ok {
		writeProblem(w, http.StatusNotFound, "Unknown activity", "The course has no activity "+quoteID(id)+".")
		return
	}
	m := d.message(u)
	link := a.Link
	m.ResourceLink = &link
	m.TargetLinkURI = a.TargetLinkURI
	if len(a.Custom) > 0 {
		m.Custom = make(map[string]any, len(a.Custom))
		for k, v := range a.Custom {
			m.Custom[k] = v
		}
	}
	d.launch(w, m)
}

// serveDeepLink is GET /dev/deeplink?user=ID, the "Add activity" button: a
// deep-linking launch by an editing instructor, whose accepted response
// adds activities to the course (see withDevItems).
func (d *devLMS) serveDeepLink(w http.ResponseWriter, r *http.Request) {
	u, ok := d.launchingUser(w, r.URL.Query().Get("user"))
	if !ok {
		return
	}
	if !canEdit(u) {
		writeProblem(w, http.StatusForbidden, "Not allowed to add activities",
			u.Name()+" is not an editing teacher of the course: only instructors add activities, as in Moodle.")
		return
	}
	m := d.message(u)
	m.Type = tool.DeepLinkingRequest
	d.launch(w, m)
}

// launchingUser returns the course member id, or writes the problem.
func (d *devLMS) launchingUser(w http.ResponseWriter, id string) (demoUser, bool) {
	if id == "" {
		writeProblem(w, http.StatusBadRequest, "No user to launch as", "Add ?user= with one of the users of the course.")
		return demoUser{}, false
	}
	u, ok := d.user(id)
	if !ok {
		writeProblem(w, http.StatusNotFound, "Unknown user", "The course has no user "+quoteID(id)+".")
	}
	return u, ok
}

// message is a launch by u in the course, granting the services.
func (d *devLMS) message(u demoUser) Message {
	course := d.course
	course.Type = slices.Clone(course.Type)
	return Message{UserID: u.ID, Name: u.Name(), GivenName: u.Given, FamilyName: u.Family, Email: u.Email,
		Roles: slices.Clone(u.Roles), Context: &course, AGS: true, NRPS: true}
}

// launch starts m for the platform's tool and writes the login initiation
// form.
func (d *devLMS) launch(w http.ResponseWriter, m Message) {
	e := d.e
	reg, ok := e.registration(e.quirks.clientID)
	if p := setupProblem(reg, ok); p != "" {
		writeProblem(w, http.StatusInternalServerError, "The LMS cannot launch the tool yet", p)
		return
	}
	m.Mutate = d.currentQuirks().audMutate(reg.clientID)
	pl, params, err := e.beginLogin(reg.clientID, m)
	if err != nil {
		writeProblem(w, http.StatusInternalServerError, "The LMS cannot launch the tool", err.Error())
		return
	}
	if m.Type == tool.DeepLinkingRequest {
		d.mu.Lock()
		d.dlLaunches[pl.id] = m.UserID
		d.mu.Unlock()
	}
	e.writeLoginForm(w, reg.loginURL, pl, params)
}
