package ltitest

import (
	"context"
	"encoding/json"
	"maps"
	"mime"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ltikit/ltikit/tool"
)

// The checks shared by the messages a tool posts back to the platform
// (LtiDeepLinkingResponse, LtiStartAssessment): the form that carries the
// message, its signature, and the claims that address it from the tool to
// the platform.

// violations collects the rules a message breaks.
type violations struct {
	launchID string
	list     []Violation
}

func (v *violations) add(rule, param, got, want string) {
	v.list = append(v.list, Violation{Rule: rule, Param: param, Got: got, Want: want, LaunchID: v.launchID})
}

// readToolForm checks the form that carries a tool message: a post of
// application/x-www-form-urlencoded with the single field JWT, breaking
// rule otherwise (DL-RESP-01, AP-02). It returns the JWT, "" when the form
// has none or does not parse.
func readToolForm(r *http.Request, rule string, v *violations) string {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" {
		v.add(rule, "Content-Type", r.Header.Get("Content-Type"), "application/x-www-form-urlencoded")
	}
	if err := r.ParseForm(); err != nil {
		v.add(rule, "JWT", err.Error(), "a form with the single field JWT")
		return ""
	}
	jwt := r.PostForm.Get("JWT")
	if len(r.PostForm) != 1 || len(r.PostForm["JWT"]) != 1 || jwt == "" {
		v.add(rule, "JWT", strings.Join(slices.Sorted(maps.Keys(r.PostForm)), ","), "a form with the single field JWT")
	}
	return jwt
}

// verifyToolMessage verifies jwt, signed by the tool clientID, and returns
// its claims. ok is false, with the violation of SEC-TOOLMSG-01, when the
// signature or the payload is wrong.
func (e *engine) verifyToolMessage(ctx context.Context, clientID, jwt string, v *violations) (claims map[string]json.RawMessage, ok bool) {
	payload, err := e.verifyToolJWS(ctx, clientID, jwt)
	if err != nil {
		v.add("SEC-TOOLMSG-01", "JWT", err.Error(), "signed RS256 by a key of the tool's JWKS, kid in the header")
		return nil, false
	}
	if err := json.Unmarshal(payload, &claims); err != nil {
		v.add("SEC-TOOLMSG-01", "JWT", "payload "+err.Error(), "a JSON object")
		return nil, false
	}
	return claims, true
}

// toolMessageRules is what checkToolMessageClaims expects of a message.
type toolMessageRules struct {
	rule        string           // the rule a wrong iss, aud, iat, exp or nonce breaks
	typeRule    string           // the rule a wrong message_type or version breaks
	messageType tool.MessageType // the message_type
	maxLifetime time.Duration    // the longest exp - iat
	nonces      *nonceSet        // the nonces the tool used before
}

// checkToolMessageClaims checks the claims that address a tool message
// from the tool clientID to the platform (SEC-TOOLMSG-02): iss, aud, azp
// (when present), iat and exp (a short lifetime), a nonce used once,
// message_type and version.
func (e *engine) checkToolMessageClaims(c map[string]json.RawMessage, clientID string, want toolMessageRules, v *violations) {
	now := e.clock()
	if iss := jsonString(c["iss"]); iss != clientID {
		v.add(want.rule, "iss", iss, "the client_id "+clientID)
	}
	if aud := audience(c["aud"]); !slices.Contains(aud, e.issuer) {
		v.add(want.rule, "aud", string(c["aud"]), "the platform issuer "+e.issuer)
	}
	if azp, ok := c["azp"]; ok && jsonString(azp) != e.issuer {
		v.add("SEC-TOOLMSG-02", "azp", string(azp), "absent, or the platform issuer "+e.issuer)
	}
	iat, iatOK := numericDate(c["iat"])
	exp, expOK := numericDate(c["exp"])
	switch {
	case !iatOK:
		v.add(want.rule, "iat", string(c["iat"]), "a NumericDate")
	case iat.After(now):
		v.add(want.rule, "iat", iat.UTC().Format(time.RFC3339), "not after the platform's clock "+now.UTC().Format(time.RFC3339))
	}
	switch {
	case !expOK:
		v.add(want.rule, "exp", string(c["exp"]), "a NumericDate")
	case !exp.After(now):
		v.add(want.rule, "exp", exp.UTC().Format(time.RFC3339), "after the platform's clock "+now.UTC().Format(time.RFC3339))
	case iatOK && exp.Sub(iat) > want.maxLifetime:
		v.add(want.rule, "exp", exp.Sub(iat).String()+" after iat", "a short lifetime, at most "+want.maxLifetime.String())
	}
	if nonce := jsonString(c["nonce"]); nonce == "" || !want.nonces.use(clientID, nonce) {
		v.add(want.rule, "nonce", nonce, "a fresh nonce, never used before")
	}
	if mt := jsonString(c[ClaimMessageType]); mt != string(want.messageType) {
		v.add(want.typeRule, "message_type", mt, string(want.messageType))
	}
	if ver := jsonString(c[ClaimVersion]); ver != tool.Version {
		v.add(want.typeRule, "version", ver, tool.Version)
	}
}

// nonceSet records the nonces of tool messages, by client_id. The zero
// value is ready; it is safe for concurrent use.
type nonceSet struct {
	mu   sync.Mutex
	seen map[[2]string]bool // by client_id and nonce
}

// use records the nonce of a message from the tool clientID; it reports
// false when the tool used it before.
func (n *nonceSet) use(clientID, nonce string) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	key := [2]string{clientID, nonce}
	if n.seen[key] {
		return false
	}
	if n.seen == nil {
		n.seen = make(map[[2]string]bool)
	}
	n.seen[key] = true
	return true
}
