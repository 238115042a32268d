package ltitest

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/ltikit/ltikit/tool"
)

// Message describes one launch: who launches which message from where. The
// zero Message is a learner's resource-link launch in the platform's default
// course; every empty field gets the default stated on it.
//
// The hooks (LoginMutate, Mutate, MutateHeader, Token, AuthMutate) tamper
// with one step each, for negative tests. Mutate, MutateHeader and Token run
// on the platform's server goroutine: report problems with t.Error, not
// t.Fatal.
type Message struct {
	// Type is the message_type. Default: tool.ResourceLinkRequest.
	Type tool.MessageType

	// UserID is the sub claim and the login_hint. Default: "user-1" ("4"
	// with Moodle).
	UserID string
	// Anonymous omits sub, for an anonymous launch. The login_hint still
	// carries UserID.
	Anonymous bool
	// Name, GivenName, FamilyName and Email are the OIDC identity claims,
	// sent when not empty.
	Name, GivenName, FamilyName, Email string
	// Roles are the user's roles. nil means {tool.RoleLearner}; a non-nil
	// empty slice sends an empty roles array.
	Roles tool.Roles

	// Context is the course. Default: the platform's test course. Drop the
	// claim with Mutate.
	Context *Context
	// ResourceLink is the link launched. Default for resource-link and
	// submission-review launches: {ID: "rl-1", Title: "Activity"} ("1" with
	// Moodle); other message types get none unless it is set.
	ResourceLink *ResourceLink
	// Custom is the custom claim. Its values may be any JSON value, so
	// that a test can send null or numbers as some platforms do. nil sends
	// no custom claim, except with Moodle, which always sends the keys it
	// injects; Custom's own keys win over them.
	Custom map[string]any

	// TargetLinkURI is the target_link_uri, sent both in the login
	// initiation and in the id_token. Default: the first redirect URI
	// registered with SetRedirectURIs.
	TargetLinkURI string
	// DeploymentID is the deployment_id, also sent as lti_deployment_id.
	// Default: the Platform's DeploymentID.
	DeploymentID string

	// AGS grants the grade service: an AGS endpoint claim with the
	// course's line items container on the platform, the line item the
	// platform makes for the resource link on its first launch (named
	// while the link has exactly one), and the AGS scopes the registration
	// permits (all four by default; see WithScopes). Submission-review
	// launches always carry it, as the spec requires.
	AGS bool
	// NRPS grants the roster service: a names and roles claim with the
	// course's memberships URL on the platform. Every launch enrols its
	// user in its course.
	NRPS bool
	// DeepLinking is the deep_linking_settings claim. It is sent for a
	// tool.DeepLinkingRequest and whenever it is set. Default for that
	// type: return URL on the platform, accept_types ["ltiResourceLink"],
	// targets iframe and window, accept_multiple true, and a data value
	// (Moodle: its own settings, without data).
	DeepLinking *DeepLinkingSettings
	// ForUser is the learner whose work a tool.SubmissionReviewRequest
	// shows. Default for that type: {UserID: "user-2"} ("5" with Moodle).
	ForUser *ForUser
	// Proctoring is what a tool.StartProctoring or tool.EndAssessment
	// message carries: attempt_number, session_data, start_assessment_url,
	// the acs claim... Default for those types: see [Proctoring]; their
	// ResourceLink defaults as for a resource-link launch.
	Proctoring *Proctoring

	// LoginMethod is how the login initiation reaches the tool:
	// http.MethodPost (the default, as Moodle does) or http.MethodGet (as
	// Canvas often does).
	LoginMethod string

	// LoginMutate edits the login initiation parameters before they are
	// sent. The platform keeps expecting the original values: changing
	// login_hint or lti_message_hint makes the auth endpoint refuse the
	// tool's echo of them.
	LoginMutate func(params url.Values)
	// Mutate edits the claims after the defaults are filled in and before
	// signing: expire the token, drop deployment_id, change aud...
	Mutate func(claims map[string]any)
	// MutateHeader edits the JOSE header ({"alg","kid","typ"}) before
	// signing: an unknown kid, no kid, alg "none"... The signature follows
	// the header's alg when the platform can produce it (none; HS256/384/512
	// keyed with the public key's PEM, the classic key-confusion attack;
	// RS/PS with an RSA key; ES with an EC key); otherwise the platform
	// signs with its key's own algorithm, giving a token whose alg lies.
	MutateHeader func(header map[string]any)
	// Token replaces signing: the platform posts whatever it returns as the
	// id_token. It receives the final claims (after Mutate).
	Token func(claims map[string]any) string
	// AuthMutate edits the form the platform's auth endpoint posts to the
	// tool (id_token and state, or error, error_description and state)
	// before the browser posts it: drop or change state, replace the token
	// with error=access_denied...
	AuthMutate func(form url.Values)
}

// Context is the context claim: the course or group the launch comes from.
type Context struct {
	ID    string // required by the spec; unique within the deployment
	Label string // short name, such as "TEST101"; omitted when empty
	Title string // full name; omitted when empty
	// Type holds context type URIs, such as
	// "http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering", or
	// bare names as Moodle sends ("CourseSection").
	Type []string
}

// ResourceLink is the resource_link claim: the link (activity) launched.
type ResourceLink struct {
	ID          string // required by the spec; unique within the deployment
	Title       string // omitted when empty
	Description string // omitted when empty
}

// ForUser is the for_user claim of a submission review: the learner whose
// submission the launching user (often an instructor) reviews.
type ForUser struct {
	UserID string // the learner's sub; required
	// Name, GivenName, FamilyName and Email are sent when not empty.
	Name, GivenName, FamilyName, Email string
	// Roles are sent when not nil.
	Roles tool.Roles
}

// DeepLinkingSettings is the deep_linking_settings claim. When
// Message.DeepLinking is set, its fields are sent as given, except that an
// empty ReturnURL, AcceptTypes or AcceptPresentationDocumentTargets gets
// the default.
type DeepLinkingSettings struct {
	// ReturnURL is deep_link_return_url. Default: the platform's URL +
	// "/deeplink/return". A URL on that endpoint gets the query parameter
	// dl naming the launch, which the tool must keep (DL-REQ-01); see
	// Platform.DeepLinkResponses.
	ReturnURL string
	// AcceptTypes default: ["ltiResourceLink"], as Moodle.
	AcceptTypes []string
	// AcceptPresentationDocumentTargets default: ["iframe", "window"]
	// (Moodle adds the non-standard "frame").
	AcceptPresentationDocumentTargets []string
	// AcceptMediaTypes is sent when not empty (as an array, as Moodle does).
	AcceptMediaTypes []string
	// AcceptMultiple says more than one item may come back.
	AcceptMultiple bool
	// AcceptLineItem is sent when not nil (Moodle does not send it).
	AcceptLineItem *bool
	// AutoCreate says items are saved without the user confirming.
	AutoCreate bool
	// Title and Text are defaults for the items; omitted when empty.
	Title, Text string
	// Data is the opaque value the tool must echo; omitted when empty.
	Data string
}

// withDefaults returns m with every default filled in for the registration
// reg. It never modifies what m's pointers point to.
func (m Message) withDefaults(e *engine, reg *registration) Message {
	q := e.quirks
	if m.Type == "" {
		m.Type = tool.ResourceLinkRequest
	}
	if m.UserID == "" {
		m.UserID = q.userID
	}
	if m.Roles == nil {
		m.Roles = tool.Roles{tool.RoleLearner}
	}
	if m.DeploymentID == "" {
		m.DeploymentID = reg.deploymentID
	}
	if m.TargetLinkURI == "" && len(reg.redirectURIs) > 0 {
		m.TargetLinkURI = strings.TrimSpace(reg.redirectURIs[0])
	}
	if m.LoginMethod == "" {
		m.LoginMethod = http.MethodPost
	}
	if m.Context == nil {
		c := q.context
		c.Type = append([]string(nil), c.Type...)
		m.Context = &c
	}
	if m.ResourceLink == nil && (m.Type == tool.ResourceLinkRequest || m.Type == tool.SubmissionReviewRequest) {
		rl := q.resourceLink
		m.ResourceLink = &rl
	}
	if m.Type == tool.DeepLinkingRequest && m.DeepLinking == nil {
		dl := q.deepLinking
		m.DeepLinking = &dl
	}
	if m.DeepLinking != nil {
		dl := *m.DeepLinking
		if dl.ReturnURL == "" {
			dl.ReturnURL = e.issuer + "/deeplink/return"
		}
		if len(dl.AcceptTypes) == 0 {
			dl.AcceptTypes = q.deepLinking.AcceptTypes
		}
		if len(dl.AcceptPresentationDocumentTargets) == 0 {
			dl.AcceptPresentationDocumentTargets = q.deepLinking.AcceptPresentationDocumentTargets
		}
		m.DeepLinking = &dl
	}
	if m.Type == tool.SubmissionReviewRequest {
		if m.ForUser == nil {
			m.ForUser = &ForUser{UserID: q.forUserID}
		}
		m.AGS = true
	}
	return e.withProctoringDefaults(m)
}
