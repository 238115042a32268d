package tool

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
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
	// ToolMessage is set for a message the tool signed for a platform: an
	// LtiDeepLinkingResponse, or a token whose aud and iss name a
	// registration. Its signature was checked with the tool's own keys,
	// not the platform's.
	ToolMessage bool
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
// the platform's JWKS), and every claim. What binds a token to a browser's
// login is skipped: state, and, once found present, that nonce and
// target_link_uri are the login's. A token whose message_type is
// LtiDeepLinkingResponse, or whose aud and iss name a registration (a
// message the tool signed names the platform's issuer in aud and the
// tool's client_id in iss), is inspected as a tool message (ToolMessage):
// the signature with the tool's own keys, and the claims a platform
// checks, message_type and content_items included. Inspect consumes no
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
	in.Checks = append(in.Checks, t.inspectHeader(in.Header))

	// An id_token names (iss, aud); a tool's message names (aud, iss).
	in.ToolMessage = l.MessageType == DeepLinkingResponse
	in.Platform = t.lookup(ctx, l, in.ToolMessage)
	if in.Platform == nil && !in.ToolMessage {
		if in.Platform = t.lookup(ctx, l, true); in.Platform != nil {
			in.ToolMessage = true
		}
	}
	if in.Platform == nil {
		issuer, clientID := l.Issuer, first(l.Audience)
		if in.ToolMessage {
			issuer, clientID = first(l.Audience), l.Issuer
		}
		_, err := t.platform(ctx, issuer, clientID)
		in.Checks = append(in.Checks, Check{Name: "registration", Err: err})
		return in, nil
	}
	in.Checks = append(in.Checks, Check{Name: "registration"})
	in.Checks = append(in.Checks, t.inspectSignature(ctx, in.Platform, []byte(token), in.ToolMessage))
	in.Checks = append(in.Checks, Check{Name: "state", Skipped: "bound to the browser's login; not in the token"})
	if in.ToolMessage {
		in.Checks = append(in.Checks, inspectResponse(t, in.Platform, l, in.Claims)...)
		return in, nil
	}
	for _, c := range claimChecks {
		check := Check{Name: c.name, Err: c.check(t, in.Platform, nil, l)}
		if why, ok := loginBound[c.name]; ok && check.Err == nil {
			check.Skipped = why
		}
		in.Checks = append(in.Checks, check)
	}
	return in, nil
}

// loginBound are the claim checks that compare the token with the
// browser's login. Without it they only find the claim present, and the
// comparison is reported skipped.
var loginBound = map[string]string{
	"nonce":           "present; whether it is the nonce the login sent needs the browser's login",
	"target_link_uri": "present; whether it is the login's target_link_uri needs the browser's login",
}

// lookup finds the registration l names: by (iss, aud) for an id_token, by
// (aud, iss) for a message the tool signed. Nil when there is none.
func (t *Tool) lookup(ctx context.Context, l *Launch, toolMessage bool) *Platform {
	issuer, clientIDs := l.Issuer, l.Audience
	if toolMessage {
		issuer, clientIDs = first(l.Audience), []string{l.Issuer}
	}
	for _, id := range clientIDs {
		if p, err := t.cfg.Platforms.Platform(ctx, issuer, id); err == nil {
			return p
		}
	}
	return nil
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
		e := keyError(err)
		if response { // keyError speaks of the platform's keys
			switch {
			case errors.Is(err, jwks.ErrUnknownKID):
				e.Detail = "none of the tool's keys has the token's kid"
			case e.Code == CodeBadSignature:
				e.Detail = "the signature does not verify with the tool's key"
			}
		}
		return Check{Name: "signature", Err: e}
	}
	return Check{Name: "signature"}
}

// contentItemsClaim holds a deep-linking response's content items.
const contentItemsClaim = "https://purl.imsglobal.org/spec/lti-dl/claim/content_items"

// inspectResponse checks a tool-originated LtiDeepLinkingResponse the way a
// platform does (SEC-TOOLMSG-02, DL-RESP-02, DL-RESP-03, DL-RESP-05);
// claims is its payload.
func inspectResponse(t *Tool, p *Platform, l *Launch, claims map[string]any) []Check {
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
		check("message_type", l.MessageType == DeepLinkingResponse, CodeWrongMessageType,
			"message_type "+quote(string(l.MessageType))+" is not \"LtiDeepLinkingResponse\", the tool message inspected here"),
		{Name: "content_items", Err: checkContentItems(claims[contentItemsClaim])},
	}
}

// checkContentItems checks a response's content_items claim, decoded:
// absent or null (nothing selected), or an array of objects, each with a
// type.
func checkContentItems(v any) error {
	if v == nil {
		return nil
	}
	items, ok := v.([]any)
	if !ok {
		return &Error{Code: CodeInvalidClaim, Claim: "content_items", Detail: "content_items is not an array"}
	}
	for i, it := range items {
		obj, _ := it.(map[string]any)
		if typ, _ := obj["type"].(string); typ == "" {
			return &Error{Code: CodeInvalidClaim, Claim: "content_items", Detail: fmt.Sprintf("content item %d is not an object with a type", i)}
		}
	}
	return nil
}

func first(ss []string) string {
	if len(ss) == 0 {
		return ""
	}
	return ss[0]
}
