package main

import (
	"net/http"
	"slices"
	"strings"

	"github.com/gorilla/mux"

	"github.com/ltikit/ltikit/tool"
)

// The proctor dashboard: the learners of the instructor's course, from the
// Names and Role Provisioning Services when the platform grants them (so
// that learners who never started an attempt show too), each with their
// sessions; a session's events, the Assessment Control requests they led
// to, the snapshot, and the instructor's decision.

// learnerRow is one learner of the dashboard and their sessions.
type learnerRow struct {
	UserID, Name string
	Sessions     []session
}

// dashboardView is what dashboard.html shows.
type dashboardView struct {
	L        *tool.Launch
	Learners []learnerRow
	Roster   string // where the learners come from
	Link     func(path string) string
}

// dashboard lists the course's learners and their sessions.
func (s *site) dashboard(w http.ResponseWriter, r *http.Request) {
	l, _ := tool.LaunchFrom(r.Context())
	ctxID := ""
	if l.Context != nil {
		ctxID = l.Context.ID
	}
	all := s.sessions.inContext(l.Issuer, l.ClientID, ctxID)
	v := dashboardView{L: l, Link: l.Link, Roster: "learners who opened the tool (the platform shares no roster)"}
	rows := map[string]*learnerRow{}
	var order []string
	add := func(id, name string) *learnerRow {
		if row, ok := rows[id]; ok {
			if row.Name == "" {
				row.Name = name
			}
			return row
		}
		rows[id] = &learnerRow{UserID: id, Name: name}
		order = append(order, id)
		return rows[id]
	}
	if roster, err := s.tool.Roster(l); err == nil {
		v.Roster = "the course roster (Names and Role Provisioning Services)"
		for m, err := range roster.Members(r.Context(), tool.MembersQuery{Role: tool.RoleLearner}) {
			if err != nil {
				s.logger.Warn("roster", "err", err)
				v.Roster = "learners who opened the tool (the roster could not be read: " + err.Error() + ")"
				break
			}
			if m.Status != tool.MemberDeleted {
				add(m.UserID, m.Name)
			}
		}
	}
	for _, sess := range all {
		row := add(sess.UserID, sess.Name)
		row.Sessions = append(row.Sessions, sess)
	}
	for _, id := range order {
		v.Learners = append(v.Learners, *rows[id])
	}
	slices.SortStableFunc(v.Learners, func(a, b learnerRow) int {
		return strings.Compare(strings.ToLower(a.Name+a.UserID), strings.ToLower(b.Name+b.UserID))
	})
	s.render(w, http.StatusOK, "dashboard.html", v)
}

// courseSession returns the session of the {id} route variable when it
// belongs to the instructor's course, or writes a 404.
func (s *site) courseSession(w http.ResponseWriter, r *http.Request) (*tool.Launch, session, bool) {
	l, _ := tool.LaunchFrom(r.Context())
	sess, ok := s.sessions.get(mux.Vars(r)["id"])
	if !ok || sess.Issuer != l.Issuer || sess.ClientID != l.ClientID || l.Context == nil || sess.ContextID != l.Context.ID {
		s.problem(w, http.StatusNotFound, "No such session", "This course has no such proctoring session.")
		return nil, session{}, false
	}
	return l, sess, true
}

// sessionView is what session.html shows.
type sessionView struct {
	S            session
	EventTypes   map[string]string
	DecisionURL  string
	SnapshotURL  string
	DashboardURL string
}

// sessionPage shows one session.
func (s *site) sessionPage(w http.ResponseWriter, r *http.Request) {
	l, sess, ok := s.courseSession(w, r)
	if !ok {
		return
	}
	v := sessionView{S: sess, EventTypes: eventTypes, DashboardURL: l.Link("/dashboard"),
		DecisionURL: l.Link("/dashboard/sessions/" + sess.ID + "/decision")}
	if len(sess.Snapshot) > 0 {
		v.SnapshotURL = l.Link("/dashboard/sessions/" + sess.ID + "/snapshot")
	}
	s.render(w, http.StatusOK, "session.html", v)
}

// decide records the instructor's decision on a session: accept the
// attempt, or keep it for review.
func (s *site) decide(w http.ResponseWriter, r *http.Request) {
	l, sess, ok := s.courseSession(w, r)
	if !ok {
		return
	}
	d := r.PostFormValue("decision")
	if d != decisionAccept && d != decisionReview {
		s.problem(w, http.StatusBadRequest, "Unknown decision", "Choose accept or review.")
		return
	}
	s.sessions.update(sess.ID, func(x *session) { x.Decision = d })
	s.logger.Info("decision", "session", sess.ID, "decision", d, "by", l.Subject)
	http.Redirect(w, r, l.Link("/dashboard/sessions/"+sess.ID), http.StatusSeeOther)
}

// snapshot serves a session's webcam snapshot to the course's instructors.
func (s *site) snapshot(w http.ResponseWriter, r *http.Request) {
	_, sess, ok := s.courseSession(w, r)
	if !ok {
		return
	}
	if len(sess.Snapshot) == 0 {
		s.problem(w, http.StatusNotFound, "No snapshot", "The candidate took no snapshot.")
		return
	}
	w.Header().Set("Content-Type", sess.SnapshotType)
	w.Header().Set("Cache-Control", "private, no-store")
	w.Write(sess.Snapshot)
}
