package main

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/ltikit/ltikit/tool"
)

// Quiz mode, for platforms without LTI Proctoring Services (Moodle 4.5):
// launched as a resource link, the tool runs a short quiz itself, with the
// same pre-check and monitoring, and posts the score to the platform's
// gradebook through the Assignment and Grade Services.

// question is one multiple-choice question of the quiz.
type question struct {
	ID, Text string
	Choices  []string
	Answer   string // the right choice
}

// quizQuestions is the quiz.
var quizQuestions = []question{
	{"q1", "A pendulum of length 1 m on Earth swings with a period of about", []string{"1 s", "2 s", "4 s"}, "2 s"},
	{"q2", "Doubling the mass of the bob makes the period", []string{"shorter", "the same", "longer"}, "the same"},
	{"q3", "Making the pendulum four times longer makes the period", []string{"twice as long", "four times as long", "the same"}, "twice as long"},
}

// quizView is what quiz.html shows; result.html shows monitorData.
type quizView struct {
	Monitor   monitorData
	Questions []question
	Action    string
}

// quizPage shows the quiz of a learner who passed the pre-check.
func (s *site) quizPage(w http.ResponseWriter, r *http.Request) {
	l, _ := tool.LaunchFrom(r.Context())
	sess := s.sessions.open(l, s.now())
	switch {
	case sess.Mode != modeQuiz:
		s.problem(w, http.StatusBadRequest, "No quiz here", "This attempt is proctored by the platform's own assessment.")
	case sess.Status == statusPrecheck:
		http.Redirect(w, r, l.Link("/proctor/precheck"), http.StatusSeeOther)
	case sess.Status != statusStarted:
		s.render(w, http.StatusOK, "result.html", monitorView(sess))
	default:
		s.render(w, http.StatusOK, "quiz.html", quizView{Monitor: monitorView(sess), Questions: quizQuestions, Action: l.Link("/quiz")})
	}
}

// quizSubmit scores the answers and posts the grade through AGS. A quiz
// the policy terminated takes no answers: the instructor decides.
func (s *site) quizSubmit(w http.ResponseWriter, r *http.Request) {
	l, _ := tool.LaunchFrom(r.Context())
	sess := s.sessions.open(l, s.now())
	if err := r.ParseForm(); err != nil {
		s.problem(w, http.StatusBadRequest, "The answers could not be read", err.Error())
		return
	}
	score := 0.0
	for _, q := range quizQuestions {
		if r.PostForm.Get(q.ID) == q.Answer {
			score++
		}
	}
	submitted := false
	sess, _ = s.sessions.update(sess.ID, func(x *session) {
		if x.Mode == modeQuiz && x.Status == statusStarted {
			x.Status, x.Score, x.MaxScore, x.Ended, submitted = statusSubmitted, score, float64(len(quizQuestions)), s.now(), true
		}
	})
	if !submitted {
		s.problem(w, http.StatusConflict, "The quiz cannot be submitted", "This attempt is "+sess.Status+".")
		return
	}
	status := s.postGrade(r, l, sess)
	sess, _ = s.sessions.update(sess.ID, func(x *session) { x.GradeStatus = status })
	s.render(w, http.StatusOK, "result.html", monitorView(sess))
}

// postGrade sends the quiz's score to the gradebook and says what
// happened, for the learner and the dashboard.
func (s *site) postGrade(r *http.Request, l *tool.Launch, sess session) string {
	comment := "Proctored quiz."
	if n := sess.Incidents(); n > 0 {
		comment = fmt.Sprintf("Proctored quiz: %d integrity event(s) for the instructor to review.", n)
	}
	err := s.tool.PostGrade(r.Context(), l, tool.Grade{ScoreGiven: sess.Score, ScoreMaximum: sess.MaxScore, Comment: comment})
	switch {
	case err == nil:
		return "sent to the gradebook"
	case errors.Is(err, tool.ErrNoGradeService):
		return "not sent: the platform does not grant grades to this activity"
	default:
		s.logger.Warn("grade", "session", sess.ID, "err", err)
		return "not sent: " + err.Error()
	}
}
