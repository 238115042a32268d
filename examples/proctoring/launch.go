package main

import (
	"net/http"

	"github.com/ltikit/ltikit/tool"
)

// messageTypes are the launches the tool accepts (tool.Config.MessageTypes):
// the proctoring messages, and resource links for platforms without
// proctoring.
var messageTypes = []tool.MessageType{tool.ResourceLinkRequest, tool.StartProctoring, tool.EndAssessment}

// launch is the landing page of every verified launch; it dispatches on
// the message type and the user's role:
//
//   - LtiStartProctoring: the candidate's pre-check, then LtiStartAssessment;
//   - LtiEndAssessment: the end of a proctored attempt;
//   - LtiResourceLinkRequest: instructors get the proctor dashboard,
//     learners the tool's own proctored quiz (platforms without proctoring,
//     such as Moodle).
//
// Pages after the launch are reached with the launch id in their links
// (Launch.Link), so each tab keeps its own launch.
func (s *site) launch(w http.ResponseWriter, r *http.Request) {
	// tool.Config.MessageTypes (messageTypes) refused any other message.
	l, _ := tool.LaunchFrom(r.Context()) // always there behind middleware.Launch
	s.logger.Info("launch", "message_type", l.MessageType, "sub", l.Subject, "launch", l.ID)
	switch {
	case l.MessageType == tool.EndAssessment:
		s.endAssessment(w, r, l)
	case l.MessageType == tool.StartProctoring:
		s.sessions.open(l, s.now())
		http.Redirect(w, r, l.Link("/proctor/precheck"), http.StatusSeeOther)
	case l.Roles.IsInstructor():
		http.Redirect(w, r, l.Link("/dashboard"), http.StatusSeeOther)
	default:
		s.sessions.open(l, s.now())
		http.Redirect(w, r, l.Link("/proctor/precheck"), http.StatusSeeOther)
	}
}
