package tool

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ltikit/ltikit/jwks"
)

// supportedAlgorithms are the id_token algorithms of the LTI Security
// Framework 1.1 approved list. none and HS* are never accepted.
var supportedAlgorithms = []string{"RS256", "RS384", "RS512", "ES256", "ES384", "ES512"}

// Validate reports the first problem with the registration, if any: a
// missing or malformed field, a URL that is not https (but on loopback),
// a public_key that does not parse as a public key (see
// jwks.ParsePublicKey), an unknown deployment policy or algorithm, an
// empty trusted audience.
func (p *Platform) Validate() error {
	switch {
	case p.Issuer == "":
		return fmt.Errorf("tool: registration: issuer is required")
	case p.ClientID == "":
		return fmt.Errorf("tool: registration %s: client_id is required", p.Issuer)
	case p.AuthURL == "":
		return fmt.Errorf("tool: registration %s/%s: auth_url is required", p.Issuer, p.ClientID)
	case p.JWKSURL == "" && p.PublicKey == "":
		return fmt.Errorf("tool: registration %s/%s: jwks_url or public_key is required", p.Issuer, p.ClientID)
	}
	if p.PublicKey != "" {
		if _, err := jwks.ParsePublicKey(p.PublicKey); err != nil {
			return fmt.Errorf("tool: registration %s/%s: public_key cannot verify tokens: %w", p.Issuer, p.ClientID, err)
		}
	}
	for name, u := range map[string]string{"auth_url": p.AuthURL, "token_url": p.TokenURL, "jwks_url": p.JWKSURL} {
		if u == "" {
			continue
		}
		if _, err := parseURL(u); err != nil {
			return fmt.Errorf("tool: registration %s/%s: %s: %w", p.Issuer, p.ClientID, name, err)
		}
	}
	switch p.DeploymentPolicy {
	case "", AllowList, TrustOnFirstUse:
	default:
		return fmt.Errorf("tool: registration %s/%s: unknown deployment_policy %q (want %q or %q)",
			p.Issuer, p.ClientID, p.DeploymentPolicy, AllowList, TrustOnFirstUse)
	}
	if p.DeploymentPolicy != TrustOnFirstUse && len(p.Deployments) == 0 {
		return fmt.Errorf("tool: registration %s/%s: deployment_ids is empty; list them or use deployment_policy %q",
			p.Issuer, p.ClientID, TrustOnFirstUse)
	}
	for _, a := range p.TrustedAudiences {
		if strings.TrimSpace(a) == "" {
			return fmt.Errorf("tool: registration %s/%s: trusted_audiences holds an empty audience", p.Issuer, p.ClientID)
		}
	}
	for _, a := range p.Algorithms {
		if !slices.Contains(supportedAlgorithms, a) {
			return fmt.Errorf("tool: registration %s/%s: algorithm %q not allowed (want one of %v)",
				p.Issuer, p.ClientID, a, supportedAlgorithms)
		}
	}
	return nil
}

// clone returns a deep copy of p.
func (p Platform) clone() Platform {
	p.Deployments = slices.Clone(p.Deployments)
	p.Algorithms = slices.Clone(p.Algorithms)
	p.TrustedAudiences = slices.Clone(p.TrustedAudiences)
	return p
}
