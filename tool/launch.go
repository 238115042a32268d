package tool

import (
	"context"
	"time"
)

// Launch is a verified LTI message from a platform: every field comes from
// the signed id_token, decoded once. Launch values are read-only after
// verification and safe to share between goroutines.
type Launch struct {
	// ID is the tool-side id under which the launch is stored for follow-up
	// requests (see middleware.Session). Empty until stored.
	ID string `json:"-"`

	Issuer          string    // iss
	Subject         string    // sub; empty for an anonymous launch
	Audience        []string  // aud, always as a list
	AuthorizedParty string    // azp
	ClientID        string    // the registration's client_id that accepted the launch
	IssuedAt        time.Time // iat
	ExpiresAt       time.Time // exp
	NotBefore       time.Time // nbf; zero when absent (platforms rarely send it)
	Nonce           string    // nonce

	MessageType   MessageType // .../claim/message_type
	Version       string      // .../claim/version
	DeploymentID  string      // .../claim/deployment_id
	TargetLinkURI string      // .../claim/target_link_uri

	Roles           Roles    // .../claim/roles
	RoleScopeMentor []string // .../claim/role_scope_mentor

	// OIDC standard identity claims; empty when the platform withholds them.
	Name, GivenName, FamilyName, MiddleName, Email, Picture, Locale string

	ResourceLink       *ResourceLink       // .../claim/resource_link
	Context            *ContextClaim       // .../claim/context
	ToolPlatform       *ToolPlatform       // .../claim/tool_platform
	LaunchPresentation *LaunchPresentation // .../claim/launch_presentation
	Custom             map[string]string   // .../claim/custom; null and non-string values tolerated
	LIS                *LIS                // .../claim/lis
	Ext                map[string]any      // .../claim/ext

	AGS         *AGSEndpoint         // lti-ags endpoint claim; nil when grades are not granted
	NRPS        *NRPSService         // lti-nrps namesroleservice claim; nil when roster is not granted
	DeepLinking *DeepLinkingSettings // lti-dl deep_linking_settings; only in LtiDeepLinkingRequest
	ForUser     *ForUser             // .../claim/for_user; LtiSubmissionReviewRequest
	Proctoring  *Proctoring          // lti-ap claims; LtiStartProctoring and LtiEndAssessment
	LTI1p1      *LTI1p1              // .../claim/lti1p1 migration claim

	// LTI11LegacyUserID is .../claim/lti11_legacy_user_id, the user's LTI
	// 1.1 user_id (MIG-05). Link accounts with it only after verifying the
	// lti1p1 claim (MIG-02).
	LTI11LegacyUserID string
	// BasicOutcome is the LTI 1.1 basic outcome claim (lti-bo), which Moodle
	// sends with graded launches; nil when absent.
	BasicOutcome *BasicOutcome

	raw []byte // the verified payload
}

type launchKey struct{}

// ContextWithLaunch returns a copy of ctx that carries l.
func ContextWithLaunch(ctx context.Context, l *Launch) context.Context {
	return context.WithValue(ctx, launchKey{}, l)
}

// LaunchFrom returns the launch stored in ctx by the middleware, if any.
func LaunchFrom(ctx context.Context) (*Launch, bool) {
	l, ok := ctx.Value(launchKey{}).(*Launch)
	return l, ok && l != nil
}
