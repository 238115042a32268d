package ltitest

import "net/http"

// devQuirks are the development LMS's switches for Moodle's behaviours.
type devQuirks struct {
	// StringAud sends aud as a plain string, as Moodle does; otherwise a
	// one-element array with azp.
	StringAud bool
	// ShortRoles lists the memberships' context roles by their short
	// names ("Learner"), as Moodle does; otherwise full URIs.
	ShortRoles bool
	// SameSecond409 refuses, with 409, a score whose timestamp is not later
	// than the previous one at one-second precision, as Moodle does;
	// otherwise timestamps are compared exactly.
	SameSecond409 bool
	// MalformedLinks writes the line items container's Link headers as
	// Moodle does: &amp; in the URLs, rel values in curly quotes.
	MalformedLinks bool
}

// devQuirkSwitches names the switches for the page, in its order, with
// their form field names.
var devQuirkSwitches = []struct {
	Field, Label, Help string
	get                func(q *devQuirks) *bool
}{
	{"string_aud", "aud as a plain string", "Moodle sends aud as a string without azp; a spec platform may send an array.",
		func(q *devQuirks) *bool { return &q.StringAud }},
	{"short_roles", "short NRPS role names", `Moodle lists members' roles as "Learner", not the full URI.`,
		func(q *devQuirks) *bool { return &q.ShortRoles }},
	{"same_second_409", "409 on same-second scores", "Moodle compares score timestamps in whole seconds: a second score within the same second gets 409.",
		func(q *devQuirks) *bool { return &q.SameSecond409 }},
	{"malformed_links", "malformed Link headers", "Moodle writes &amp; and curly quotes in the line items' paging links.",
		func(q *devQuirks) *bool { return &q.MalformedLinks }},
}

// applyQuirks switches the engine's behaviours to q.
func (d *devLMS) applyQuirks(q devQuirks) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.quirks = q
	d.e.gradebook.exactTimestamps.Store(!q.SameSecond409)
	switch {
	case q.MalformedLinks && d.clearLinks == nil:
		d.clearLinks = d.e.faults.add(Fault{Endpoint: EndpointLineItems, MalformedLinks: true})
	case !q.MalformedLinks && d.clearLinks != nil:
		d.clearLinks()
		d.clearLinks = nil
	}
}

// shortRoles reports whether the memberships list short role names. d may
// be nil: a platform without development LMS.
func (d *devLMS) shortRoles() bool { return d != nil && d.currentQuirks().ShortRoles }

// audMutate returns the Message.Mutate that gives the id_token the aud q
// asks for: nil for a plain string, the engine's default.
func (q devQuirks) audMutate(clientID string) func(map[string]any) {
	if q.StringAud {
		return nil
	}
	return func(c map[string]any) {
		c["aud"] = []string{clientID}
		c["azp"] = clientID
	}
}

// serveQuirks is POST /dev/quirks: the switches' form, a checkbox per
// switch. It goes back to the course page.
func (d *devLMS) serveQuirks(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 1<<10)
	if err := r.ParseForm(); err != nil {
		writeProblem(w, http.StatusBadRequest, "Cannot read the switches", err.Error())
		return
	}
	var q devQuirks
	for _, s := range devQuirkSwitches {
		*s.get(&q) = r.PostForm.Get(s.Field) == "on"
	}
	d.applyQuirks(q)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}
