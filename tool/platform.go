package tool

import (
	"context"
	"errors"
)

// DeploymentPolicy says which deployment_id values a registration accepts.
type DeploymentPolicy string

const (
	// AllowList accepts only the deployment ids listed in Platform.Deployments.
	// It is the default.
	AllowList DeploymentPolicy = "allow-list"
	// TrustOnFirstUse accepts any deployment id on a verified launch and
	// records it in the PlatformStore. Canvas mints a deployment per course
	// install, which an allow-list cannot keep up with.
	TrustOnFirstUse DeploymentPolicy = "trust-on-first-use"
)

// Platform is one registration of this tool with an LMS: the values the
// platform's administrator and the tool's exchanged when the tool was
// installed. One issuer may have several registrations, told apart by ClientID.
type Platform struct {
	// Issuer is the platform's iss, compared exactly (a trailing slash matters).
	Issuer string `json:"issuer"`
	// ClientID is the client_id the platform assigned to this tool.
	ClientID string `json:"client_id"`
	// Deployments are the accepted deployment_id values.
	Deployments []string `json:"deployment_ids,omitempty"`
	// DeploymentPolicy is AllowList (the default when empty) or TrustOnFirstUse.
	DeploymentPolicy DeploymentPolicy `json:"deployment_policy,omitempty"`
	// AuthURL is the platform's OIDC authorization endpoint.
	AuthURL string `json:"auth_url"`
	// TokenURL is the platform's OAuth2 token endpoint (services).
	TokenURL string `json:"token_url,omitempty"`
	// TokenAudience is the aud of client assertions; empty means TokenURL.
	TokenAudience string `json:"token_audience,omitempty"`
	// JWKSURL is where the platform publishes its keys. Either JWKSURL or
	// PublicKey must be set.
	JWKSURL string `json:"jwks_url,omitempty"`
	// PublicKey is a static platform key as a PEM block or a JWK (JSON),
	// for platforms that publish no key set.
	PublicKey string `json:"public_key,omitempty"`
	// Algorithms are the accepted id_token signature algorithms.
	// Empty means RS256 only. Allowed: RS256, RS384, RS512, ES256, ES384, ES512.
	Algorithms []string `json:"algorithms,omitempty"`
	// TrustedAudiences are the values besides ClientID that an id_token's
	// aud may hold. Empty (the default) refuses a token with any other
	// audience (SEC-VAL-04); azp must still be ClientID.
	TrustedAudiences []string `json:"trusted_audiences,omitempty"`
	// AllowAnonymous accepts launches without sub. Off by default: the
	// LTI certification suite treats a resource-link launch without sub as bad.
	AllowAnonymous bool `json:"allow_anonymous,omitempty"`
	// Disabled refuses every login and launch for this registration; an
	// administrator switched it off (see [Disable]).
	Disabled bool `json:"disabled,omitempty"`
	// Pending refuses every login and launch until an administrator
	// approves the registration (see [Approve]). Dynamic registration sets
	// it when it is configured to require approval.
	Pending bool `json:"pending,omitempty"`
}

// Active reports whether the registration accepts logins and launches:
// neither Disabled nor Pending.
func (p *Platform) Active() bool { return !p.Disabled && !p.Pending }

// AllowsDeployment reports whether the static allow-list contains id.
func (p *Platform) AllowsDeployment(id string) bool {
	for _, d := range p.Deployments {
		if d == id {
			return true
		}
	}
	return false
}

// Sentinel errors of a PlatformStore.
var (
	// ErrPlatformNotFound is returned by PlatformStore.Platform when no
	// registration matches.
	ErrPlatformNotFound = errors.New("tool: platform not registered")
	// ErrPlatformAmbiguous is returned by PlatformStore.Platform when clientID
	// is empty and the issuer has several registrations.
	ErrPlatformAmbiguous = errors.New("tool: issuer has several registrations; client_id needed")
	// ErrPlatformExists is returned by Registrations.Add when the pair
	// (issuer, client_id) is already registered.
	ErrPlatformExists = errors.New("tool: platform already registered")
)

// PlatformStore finds registrations. Implementations must be safe for
// concurrent use, also across processes sharing the same backing store.
type PlatformStore interface {
	// Platform returns the registration for (issuer, clientID). With an
	// empty clientID it returns the issuer's only registration, or
	// ErrPlatformAmbiguous. It returns ErrPlatformNotFound when none match.
	// The caller must not modify the result.
	Platform(ctx context.Context, issuer, clientID string) (*Platform, error)
	// AddDeployment records deploymentID for the registration (issuer,
	// clientID); it is how TrustOnFirstUse remembers deployments. Adding a
	// known id is not an error.
	AddDeployment(ctx context.Context, issuer, clientID, deploymentID string) error
}
