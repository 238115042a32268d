package main

import (
	"crypto/rand"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/ltikit/ltikit/tool"
)

// A session is one candidate's proctored attempt, as the tool sees it. It
// lives in memory: a real tool keeps it in its database, with the events
// and snapshots under its retention policy.

// The modes of a session.
const (
	modeProctoring = "proctoring" // LtiStartProctoring: the platform runs the assessment
	modeQuiz       = "quiz"       // a resource-link launch (Moodle): the tool runs its quiz
)

// The statuses of a session.
const (
	statusPrecheck   = "pre-check"   // the candidate has not passed the pre-check
	statusReady      = "ready"       // proctoring: the pre-check passed; the candidate has not started yet
	statusStarted    = "in progress" // proctoring: LtiStartAssessment sent; quiz: running
	statusTerminated = "terminated"  // the integrity policy ended it
	statusSubmitted  = "submitted"   // quiz: answers submitted and graded
	statusEnded      = "ended"       // proctoring: LtiEndAssessment received
)

// The instructor's decisions on a session.
const (
	decisionAccept = "accept"
	decisionReview = "review"
)

// event is one integrity event the monitor reported.
type event struct {
	Type       string
	ClientTime time.Time // when the browser saw it, as it reports
	Time       time.Time // when the tool received it
	Detail     string
}

// control is one Assessment Control request the tool made, or meant to.
type control struct {
	Time   time.Time
	Action tool.ControlAction
	Result string // the platform's answer, or why nothing was sent
	OK     bool
}

// session is one attempt of one candidate.
type session struct {
	ID     string
	Mode   string
	Status string
	// MonitorToken names the session in the monitor's URLs. The monitor
	// window is a top-level window, where the LMS iframe's partitioned
	// session cookie is not available, so the unguessable token stands for
	// the launch.
	MonitorToken string

	Issuer, ClientID              string
	ContextID, ContextTitle       string
	ResourceLinkID, ResourceTitle string
	UserID, Name                  string
	Attempt                       int
	VerifiedName                  string // the name the candidate confirmed
	Snapshot                      []byte // the optional webcam snapshot (JPEG or PNG)
	SnapshotType                  string
	Events                        []event
	Controls                      []control
	Decision                      string
	Score, MaxScore               float64
	GradeStatus                   string // quiz: what happened to the grade
	Started, Ended                time.Time
	launch                        *tool.Launch // the latest launch of the session: ACS and grades
}

// sessions holds the sessions in memory. It is safe for concurrent use;
// the methods hand out copies.
type sessions struct {
	mu    sync.Mutex
	byID  map[string]*session
	byKey map[string]*session
}

func newSessions() *sessions {
	return &sessions{byID: map[string]*session{}, byKey: map[string]*session{}}
}

// sessionKey names the attempt a launch belongs to: a proctoring launch's
// attempt, or a learner's quiz at a resource link.
func sessionKey(l *tool.Launch) string {
	k := l.Issuer + "\x00" + l.ClientID + "\x00" + l.Subject + "\x00"
	if l.ResourceLink != nil {
		k += l.ResourceLink.ID
	}
	if l.Proctoring != nil {
		return k + "\x00attempt " + strconv.Itoa(l.Proctoring.AttemptNumber)
	}
	return k + "\x00quiz"
}

// open returns the session of l's attempt, creating it on first use at
// now.
func (ss *sessions) open(l *tool.Launch, now time.Time) session {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	key := sessionKey(l)
	if s, ok := ss.byKey[key]; ok {
		s.launch = l // the latest launch carries the latest service URLs
		return s.clone()
	}
	s := &session{ID: rand.Text(), MonitorToken: rand.Text(), Mode: modeQuiz, Status: statusPrecheck, Issuer: l.Issuer, ClientID: l.ClientID,
		UserID: l.Subject, Name: l.Name, Started: now, launch: l}
	if l.Proctoring != nil {
		s.Mode, s.Attempt = modeProctoring, l.Proctoring.AttemptNumber
	}
	if c := l.Context; c != nil {
		s.ContextID, s.ContextTitle = c.ID, c.Title
	}
	if rl := l.ResourceLink; rl != nil {
		s.ResourceLinkID, s.ResourceTitle = rl.ID, rl.Title
	}
	ss.byID[s.ID], ss.byKey[key] = s, s
	return s.clone()
}

// get returns the session id.
func (ss *sessions) get(id string) (session, bool) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	s, ok := ss.byID[id]
	if !ok {
		return session{}, false
	}
	return s.clone(), true
}

// update changes the session id with fn, under the lock, and returns the
// result.
func (ss *sessions) update(id string, fn func(s *session)) (session, bool) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	s, ok := ss.byID[id]
	if !ok {
		return session{}, false
	}
	fn(s)
	return s.clone(), true
}

// monitored returns the session whose monitor token is token.
func (ss *sessions) monitored(token string) (session, bool) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	for _, s := range ss.byID {
		if token != "" && s.MonitorToken == token {
			return s.clone(), true
		}
	}
	return session{}, false
}

// ending finds the proctoring session an LtiEndAssessment launch ends:
// same platform, user and attempt, and resource link when the message
// names one (it may not, AP-04).
func (ss *sessions) ending(l *tool.Launch) (session, bool) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	for _, s := range ss.byID {
		if s.Mode == modeProctoring && s.Issuer == l.Issuer && s.ClientID == l.ClientID && s.UserID == l.Subject &&
			s.Attempt == l.Proctoring.AttemptNumber && (l.ResourceLink == nil || l.ResourceLink.ID == s.ResourceLinkID) {
			return s.clone(), true
		}
	}
	return session{}, false
}

// inContext returns the sessions of a course, oldest first.
func (ss *sessions) inContext(issuer, clientID, contextID string) []session {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	var out []session
	for _, s := range ss.byID {
		if s.Issuer == issuer && s.ClientID == clientID && s.ContextID == contextID {
			out = append(out, s.clone())
		}
	}
	slices.SortFunc(out, func(a, b session) int { return a.Started.Compare(b.Started) })
	return out
}

// clone copies s, so that the copy can be read without the lock.
func (s *session) clone() session {
	c := *s
	c.Events = slices.Clone(s.Events)
	c.Controls = slices.Clone(s.Controls)
	c.Snapshot = slices.Clone(s.Snapshot)
	return c
}

// Launch returns the launch that opened the session.
func (s session) Launch() *tool.Launch { return s.launch }
