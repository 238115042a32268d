package ltitest

import (
	"net/http"
	"time"
)

// Option configures a Platform made by [NewPlatform] or [Start].
type Option func(*options)

// options collects what the Options set; zero fields keep the profile's
// defaults, so that the order of Moodle() and the With... options does not
// matter.
type options struct {
	moodle        bool
	clientID      string
	deploymentID  string
	redirectURIs  []string
	now           func() time.Time
	audArray      bool
	tokenLifetime time.Duration
	addr          string   // listen address; "" is 127.0.0.1:0
	loginURL      string   // the tool's OIDC login initiation URL
	toolJWKSURL   string   // the tool's public keyset URL
	scopes        []string // the service scopes permitted; nil: the defaults
	devLMS        string   // WithDevLMS: the tool's name; "" is no development LMS
	devProctoring bool     // WithDevProctoring: the development LMS's proctored assessment
}

// Moodle makes the platform behave like Moodle 4.5 (mod_lti), as recorded
// in the project's fixtures:
//
//   - client_id "2T1DmxSUCu2ZSuu", deployment_id "1", user "4", context "2",
//     resource link "1": numeric strings, as Moodle's ids are;
//   - context type the bare "CourseSection";
//   - exp = iat + 60 seconds;
//   - the custom claim always sent, with the keys Moodle injects
//     (context_memberships_url, link_setting_url with a literal {link_id},
//     resource_link_id, which is null in a deep-linking request...);
//   - tool_platform product_family_code "moodle", ext {"lms":"moodle-2"},
//     the basic-outcome claim, service_versions ["1.0","2.0"], an empty
//     lineitem in deep-linking requests;
//   - the auth endpoint's order of checks: a request that fails the first
//     checks (a missing parameter or nonce, scope, response_type, an unknown
//     or reused lti_message_hint) gets an HTML error page with status 404
//     instead of an error posted to the tool, and does not use up the
//     launch.
//
// aud is a plain string, as it is by default.
func Moodle() Option { return func(o *options) { o.moodle = true } }

// WithClientID sets the client_id the platform assigned to the tool.
// Default: "ltitest-client" ("2T1DmxSUCu2ZSuu" with Moodle).
func WithClientID(id string) Option { return func(o *options) { o.clientID = id } }

// WithDeploymentID sets the deployment the launches come from by default.
// Default: "deployment-1" ("1" with Moodle).
func WithDeploymentID(id string) Option { return func(o *options) { o.deploymentID = id } }

// WithRedirectURIs registers the tool's redirect URIs, where the platform
// posts id_tokens; see [Platform.SetRedirectURIs].
func WithRedirectURIs(uris ...string) Option {
	return func(o *options) { o.redirectURIs = append([]string(nil), uris...) }
}

// WithClock sets the platform's clock, used for iat and exp and in the log;
// see [Platform.SetClock]. Default: time.Now.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithAudienceArray sends aud as a one-element array with an azp claim,
// instead of the plain string Moodle sends.
func WithAudienceArray() Option { return func(o *options) { o.audArray = true } }

// WithTokenLifetime sets exp - iat. Default: 5 minutes (60 seconds with
// Moodle).
func WithTokenLifetime(d time.Duration) Option { return func(o *options) { o.tokenLifetime = d } }

// quirks are the ways one platform product differs from another. The
// engine consults them wherever products disagree; Moodle() selects
// moodleQuirks.
type quirks struct {
	clientID     string
	deploymentID string
	userID       string
	forUserID    string
	context      Context
	resourceLink ResourceLink
	deepLinking  DeepLinkingSettings

	audArray      bool
	tokenLifetime time.Duration

	// moodleAuthOrder: early auth failures are error pages and leave the
	// launch unused, as in mod/lti/auth.php.
	moodleAuthOrder bool
	// errorPageStatus is the status of the auth endpoint's error page.
	errorPageStatus int

	// moodleClaims: the extra claims and custom keys Moodle sends.
	moodleClaims bool
	// moodleServices: the token endpoint, AGS and NRPS answer in Moodle's
	// shapes (text/html token JSON, its error messages and bodies,
	// malformed line item Link headers, short NRPS roles...).
	moodleServices bool
	nrpsVersions   []string
	toolPlatform   map[string]any // guid is added from the issuer's host
}

// genericQuirks is a spec-following platform.
func genericQuirks() quirks {
	return quirks{
		clientID:     "ltitest-client",
		deploymentID: "deployment-1",
		userID:       "user-1",
		forUserID:    "user-2",
		context: Context{
			ID: "context-1", Label: "TEST101", Title: "Test Course",
			Type: []string{"http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"},
		},
		resourceLink: ResourceLink{ID: "rl-1", Title: "Activity"},
		deepLinking: DeepLinkingSettings{
			AcceptTypes:                       []string{"ltiResourceLink"},
			AcceptPresentationDocumentTargets: []string{"iframe", "window"},
			AcceptMultiple:                    true,
			Data:                              "ltitest-deep-linking-data",
		},
		tokenLifetime:   5 * time.Minute,
		errorPageStatus: http.StatusBadRequest,
		nrpsVersions:    []string{"2.0"},
		toolPlatform: map[string]any{
			"name":                "ltitest",
			"product_family_code": "ltitest",
			"version":             "1",
		},
	}
}

// moodleQuirks is Moodle 4.5 as recorded in the fixtures.
func moodleQuirks() quirks {
	return quirks{
		clientID:     "2T1DmxSUCu2ZSuu",
		deploymentID: "1",
		userID:       "4",
		forUserID:    "5",
		context: Context{
			ID: "2", Label: "LTI101", Title: "LTI Test Course",
			Type: []string{"CourseSection"},
		},
		resourceLink: ResourceLink{ID: "1", Title: "Activity", Description: "An activity of the test course"},
		deepLinking: DeepLinkingSettings{
			AcceptTypes:                       []string{"ltiResourceLink"},
			AcceptPresentationDocumentTargets: []string{"frame", "iframe", "window"},
			AcceptMultiple:                    true,
			Title:                             "Requested title",
			Text:                              "Requested text",
		},
		tokenLifetime:   60 * time.Second,
		moodleAuthOrder: true,
		errorPageStatus: http.StatusNotFound,
		moodleClaims:    true,
		moodleServices:  true,
		nrpsVersions:    []string{"1.0", "2.0"},
		toolPlatform: map[string]any{
			"name":                "ltitest",
			"description":         "ltitest fake Moodle",
			"product_family_code": "moodle",
			"version":             "2024100705.01",
		},
	}
}

// quirks returns the profile o selects with o's overrides applied.
func (o *options) quirks() quirks {
	q := genericQuirks()
	if o.moodle {
		q = moodleQuirks()
	}
	if o.clientID != "" {
		q.clientID = o.clientID
	}
	if o.deploymentID != "" {
		q.deploymentID = o.deploymentID
	}
	if o.audArray {
		q.audArray = true
	}
	if o.tokenLifetime != 0 {
		q.tokenLifetime = o.tokenLifetime
	}
	return q
}
