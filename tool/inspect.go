package tool

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/ltikit/ltikit/jwks"
)

// Inspection is what [Tool.Inspect] found in a token: its decoded parts,
// the registration it names, and the outcome of every check.
type Inspection struct {
	Header   map[string]any // the JOSE header, as sent
	Claims   map[string]any // the payload, as sent
	Platform *Platform      // the registration the token names; nil if none
	Now      time.Time      // the tool's clock when inspected
	Checks   []Check        // every check, in verification order
}

// Check is the outcome of one verification step.
type Check struct {
	Name string // what was checked: "signature", "aud", ...
	Err  error  // nil when the check passed; usually an *Error
	// Skipped explains why the check could not run (for example the
	// state and nonce binding, which needs the browser's login).
	Skipped string
}

// OK reports whether every check that ran passed.
func (in *Inspection) OK() bool {
	for _, c := range in.Checks {
		if c.Err != nil {
			return false
		}
	}
	return true
}

// Inspect decodes a token without trusting it and runs every check the
// tool would, reporting each one instead of stopping at the first failure.
// It is for administrators diagnosing a failed launch (ltikit inspect).
//
// For an id_token it looks the registration up by iss and aud and checks
// the header, the signature with the registration's keys (this may fetch
// the platform's JWKS), and every claim; the checks that bind a token to a
// browser's login (state, nonce equality, target_link_uri) are skipped. For
// an LtiDeepLinkingResponse signed by this tool it checks the signature with
// the tool's own keys and the claims a platform checks. Inspect consumes no
// nonce and stores nothing. It returns an error only when the token cannot
// be decoded at all.
func (t *Tool) Inspect(ctx context.Context, token string) (*Inspection, error) {
	token = strings.TrimSpace(token)
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, fail(CodeMalformedToken, "a JWT has three dot-separated parts, this has %d", len(parts))
	}
	in := &Inspection{Now: t.cfg.Now()}
	var payload []byte
	for i, dst := range []*map[string]any{&in.Header, &in.Claims} {
		raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[i], "="))
		if err == nil {
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.UseNumber()
			err = dec.Decode(dst)
		}
		if err != nil {
			return nil, &Error{Code: CodeMalformedToken, Detail: []string{"header", "payload"}[i] + " is not base64url JSON", Err: err}
		}
		payload = raw
	}
	l, decodeErr := decodeLaunch(payload)
	if decodeErr != nil {
		in.Checks = append(in.Checks, Check{Name: "claims decode", Err: decodeErr})
		return in, nil
	}
	response := l.MessageType == DeepLinkingResponse
	in.Checks = append(in.Checks, t.inspectHeader(in.Header))

	// An id_token names (iss, aud); a tool's response names (aud, iss).
	issuer, clientIDs := l.Issuer, l.Audience
	if response {
		issuer, clientIDs = "", []string{l.Issuer}
		if len(l.Audience) > 0 {
			issuer = l.Audience[0]
		}
	}
	for _, id := range clientIDs {
		if p, err := t.cfg.Platforms.Platform(ctx, issuer, id); err == nil {
			in.Platform = p
			break
		}
	}
	if in.Platform == nil {
		_, err := t.platform(ctx, issuer, first(clientIDs))
		in.Checks = append(in.Checks, Check{Name: "registration", Err: err})
		return in, nil
	}
	in.Checks = append(in.Checks, Check{Name: "registration"})
	in.Checks = append(in.Checks, t.inspectSignature(ctx, in.Platform, []byte(token), response))
	in.Checks = append(in.Checks, Check{Name: "state", Skipped: "bound to the browser's login; not in the token"})
	if response {
		in.Checks = append(in.Checks, inspectResponse(t, in.Platform, l)...)
		return in, nil
	}
	for _, c := range claimChecks {
		in.Checks = append(in.Checks, Check{Name: c.name, Err: c.check(t, in.Platform, nil, l)})
	}
	return in, nil
}

// inspectHeader checks typ-independent header rules: a kid, an allowed alg.
func (t *Tool) inspectHeader(h map[string]any) Check {
	alg, _ := h["alg"].(string)
	if alg == "" || alg == "none" || strings.HasPrefix(alg, "HS") || !slices.Contains(supportedAlgorithms, alg) {
		return Check{Name: "header", Err: &Error{Code: CodeDisallowedAlgorithm, Claim: "alg", Detail: "alg " + quote(alg) + " is never accepted"}}
	}
	if kid, _ := h["kid"].(string); kid == "" {
		return Check{Name: "header", Err: &Error{Code: CodeUnknownKID, Claim: "kid", Detail: "the header has no kid"}}
	}
	return Check{Name: "header"}
}

// inspectSignature verifies token with the platform's keys, or with the
// tool's own keys for a tool-signed response.
func (t *Tool) inspectSignature(ctx context.Context, p *Platform, token []byte, response bool) Check {
	var ks jwks.KeySet
	algs := p.Algorithms
	if response {
		s, err := jwks.NewStatic(t.cfg.Keys.PublicKeys()...)
		if err != nil {
			return Check{Name: "signature", Err: err}
		}
		ks, algs = s, nil
	} else {
		var err error
		if ks, err = t.keySet(p); err != nil {
			return Check{Name: "signature", Err: &Error{Code: CodeUnknownPlatform, Detail: "the registration's public_key cannot be parsed", Err: err}}
		}
	}
	if _, err := ks.Verify(ctx, token, algs); err != nil {
		return Check{Name: "signature", Err: keyError(err)}
	}
	return Check{Name: "signature"}
}

// inspectResponse checks a tool-originated LtiDeepLinkingResponse the way a
// platform does (SEC-TOOLMSG-02, DL-RESP-02, DL-RESP-03).
func inspectResponse(t *Tool, p *Platform, l *Launch) []Check {
	check := func(name string, ok bool, code Code, detail string) Check {
		if ok {
			return Check{Name: name}
		}
		return Check{Name: name, Err: &Error{Code: code, Claim: name, Detail: detail}}
	}
	return []Check{
		check("iss", l.Issuer == p.ClientID, CodeWrongIssuer, "a tool's message must have iss = its client_id "+quote(p.ClientID)),
		check("aud", slices.Contains(l.Audience, p.Issuer), CodeWrongAudience, "a tool's message must have aud = the platform issuer "+quote(p.Issuer)),
		{Name: "exp, iat, nbf", Err: t.checkTimes(l)},
		check("nonce", l.Nonce != "", CodeMissingNonce, "the message has no nonce"),
		check("deployment_id", l.DeploymentID != "" && (p.DeploymentPolicy == TrustOnFirstUse || p.AllowsDeployment(l.DeploymentID)),
			CodeUnknownDeployment, "deployment_id "+quote(l.DeploymentID)+" is missing or not registered"),
		check("version", l.Version == Version, CodeWrongVersion, "version "+quote(l.Version)+" is not \"1.3.0\""),
	}
}

func first(ss []string) string {
	if len(ss) == 0 {
		return ""
	}
	return ss[0]
}
