package main

import (
	"net/http"

	"github.com/ltikit/ltikit/tool"
)

// endAssessment handles LtiEndAssessment, which the platform sends when
// the attempt ends because the tool asked for it in LtiStartAssessment
// (end_assessment_return). It may not name the resource link (AP-04): the
// session is found by platform, user and attempt number. An attempt that
// ended on an error the platform did not handle carries errormsg and
// errorlog.
func (s *site) endAssessment(w http.ResponseWriter, r *http.Request, l *tool.Launch) {
	sess, ok := s.sessions.ending(l)
	if !ok {
		s.problem(w, http.StatusNotFound, "Unknown attempt",
			"The tool proctored no such attempt; it may have been started before the tool restarted.")
		return
	}
	sess, _ = s.sessions.update(sess.ID, func(x *session) {
		if x.Status == statusStarted {
			x.Status = statusEnded
		}
		if x.Ended.IsZero() {
			x.Ended = s.now()
		}
	})
	s.logger.Info("attempt ended", "session", sess.ID, "events", len(sess.Events), "error", l.Proctoring.ErrorMsg)
	s.render(w, http.StatusOK, "end.html", struct {
		S                  session
		ErrorMsg, ErrorLog string
	}{sess, l.Proctoring.ErrorMsg, l.Proctoring.ErrorLog})
}
