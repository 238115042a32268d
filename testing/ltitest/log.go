package ltitest

import (
	"fmt"
	"net/url"
	"time"
)

// Step names one exchange of a launch in the platform's log.
type Step string

// The steps of a launch, in order.
const (
	// StepLogin is the login initiation the browser sent to the tool.
	StepLogin Step = "login"
	// StepAuth is the tool's authentication request received by the
	// platform's auth endpoint, and the platform's answer.
	StepAuth Step = "auth"
	// StepLaunch is the form (id_token and state, or an error) the browser
	// posted to the tool's redirect_uri.
	StepLaunch Step = "launch"
)

// LogEntry is one recorded exchange. Entries are shared with the platform:
// read them, do not modify them.
type LogEntry struct {
	Step Step
	// Time is the platform clock's time of the exchange.
	Time time.Time
	// LaunchID ties the steps of one launch together; empty when an auth
	// request named no launch the platform knows.
	LaunchID string

	// Method and URL are the request's: the tool's login URL, the auth
	// endpoint (with the query of a GET), the redirect_uri.
	Method string
	URL    string
	// Params are the parameters sent (login initiation, launch form post)
	// or received (auth request).
	Params url.Values
	// Status is the answer's HTTP status: the tool's for StepLogin and
	// StepLaunch, the platform's for StepAuth. It is 0 for a StepLogin
	// sent from the launch page (/launch), whose answer only the browser
	// sees, unless the tool is wrapped with Platform.ObserveTool.
	Status int
	// Location is the answer's Location header, if any.
	Location string

	// IDToken is the id_token issued (StepAuth) or posted (StepLaunch).
	IDToken string
	// Header and Claims are IDToken decoded, without verification; nil
	// when it does not decode.
	Header map[string]any
	Claims map[string]any

	// Error is what the platform answered instead of a token (StepAuth):
	// the OAuth error code posted to the tool, or the error page's text.
	// For StepLogin and StepLaunch of a tool wrapped with
	// Platform.ObserveTool, it is the error code of the tool's refusal (the
	// LTI-Error-Code header of ltikit's error page).
	Error string
	// Violations are the rules the tool's authentication request broke
	// (StepAuth).
	Violations []Violation
}

// Violation is a rule of the LTI Security Framework that the tool's
// authentication request broke.
type Violation struct {
	// Rule is the requirement's ID in the project's spec digest
	// (shared/spec/lti-requirements.md), such as "SEC-AUTH-01".
	Rule string
	// Param is the auth request parameter concerned, such as "scope".
	Param string
	// Got is the value the tool sent; empty when the parameter was missing.
	Got string
	// Want says what the platform expected.
	Want string
	// Error is the OAuth error code the rule maps to, such as
	// "invalid_scope", or "" when the platform does not refuse the request
	// for it (as Moodle does with a missing state). The platform answers
	// with the first refused rule; see LogEntry.Error.
	Error string
	// LaunchID is the launch the request was for, when known.
	LaunchID string
}

// String formats v for a test failure message.
func (v Violation) String() string {
	s := fmt.Sprintf("%s %s: got %q, want %s", v.Rule, v.Param, v.Got, v.Want)
	if v.Error != "" {
		s += " (" + v.Error + ")"
	} else {
		s += " (not refused)"
	}
	return s
}
