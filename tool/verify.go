package tool

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/ltikit/ltikit/jwks"
)

// VerifyLaunch checks the platform's form post of an id_token (or of an
// OIDC error) to the tool's launch URL and returns the verified launch. It
// fails closed, in this order: state present, bound to this browser's
// cookie and used once; signature with the registration's key and pinned
// algorithms; iss; aud (client_id, and no audience the registration does
// not trust) and azp; exp, iat and nbf; nonce; deployment; version;
// message type; the claims that message type requires; target_link_uri.
// A post that carries an OIDC error is refused with CodePlatformError and
// never verified as a launch.
//
// VerifyLaunch stores nothing for a refused launch. It consumes the state
// and the nonce, records a trust-on-first-use deployment, and does not set
// cookies; [Tool.HandleLaunch] (used by middleware.Launch) also stores the
// launch and ties it to the browser's session.
func (t *Tool) VerifyLaunch(r *http.Request) (*Launch, error) {
	l, _, err := t.verifyRequest(nil, r)
	return l, err
}

// verifyRequest is VerifyLaunch; it also returns the state so the caller
// can clear its cookie.
func (t *Tool) verifyRequest(w http.ResponseWriter, r *http.Request) (*Launch, string, error) {
	if r.Method != http.MethodPost {
		return nil, "", fail(CodeInvalidRequest, "the launch must be a form POST, not %s", r.Method)
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxLaunchBody)
	if err := r.ParseForm(); err != nil {
		return nil, "", &Error{Code: CodeInvalidRequest, Detail: "unreadable launch form", Err: err}
	}
	state := r.PostForm.Get("state")
	if r.PostForm.Get("error") != "" {
		return nil, state, t.platformError(r, state)
	}
	login, e := t.takeLogin(r, state)
	if e != nil {
		return nil, state, e
	}
	token := r.PostForm.Get("id_token")
	if token == "" {
		return nil, state, &Error{Code: CodeInvalidRequest, Claim: "id_token", Detail: "the launch has no id_token",
			Issuer: login.Issuer, ClientID: login.ClientID}
	}
	l, err := t.verifyToken(r.Context(), login, []byte(token))
	return l, state, err
}

// takeLogin checks that state is bound to this browser by its state cookie
// and consumes the pending login it names.
func (t *Tool) takeLogin(r *http.Request, state string) (*pendingLogin, *Error) {
	if state == "" {
		return nil, &Error{Code: CodeMissingState, Claim: "state", Detail: "the launch has no state"}
	}
	if len(state) < 16 || len(state) > 128 {
		return nil, &Error{Code: CodeStateMismatch, Claim: "state", Detail: "the state is not one this tool issued"}
	}
	c, err := r.Cookie(stateCookiePrefix + state[:16])
	if err != nil || subtle.ConstantTimeCompare([]byte(c.Value), []byte(state)) != 1 {
		return nil, &Error{Code: CodeStateMismatch, Claim: "state",
			Detail: "the state is not bound to this browser (state cookie missing: blocked third-party cookies, or a launch started in another browser)"}
	}
	raw, err := t.cfg.Store.Take(r.Context(), "login:"+state)
	if errors.Is(err, ErrKeyNotFound) {
		return nil, &Error{Code: CodeStateNotFound, Claim: "state", Detail: "the login expired or the launch was already used"}
	} else if err != nil {
		return nil, &Error{Code: CodeStoreFailure, Detail: "could not read the pending login", Err: err}
	}
	var login pendingLogin
	if err := json.Unmarshal(raw, &login); err != nil {
		return nil, &Error{Code: CodeStoreFailure, Detail: "corrupt pending login", Err: err}
	}
	return &login, nil
}

// verifyToken runs every check on the id_token of a login.
func (t *Tool) verifyToken(ctx context.Context, login *pendingLogin, token []byte) (*Launch, error) {
	l, err := t.checkToken(ctx, login, token)
	if err != nil {
		var e *Error
		if errors.As(err, &e) && e.Issuer == "" {
			e.Issuer, e.ClientID = login.Issuer, login.ClientID
		}
		return nil, err
	}
	return l, nil
}

func (t *Tool) checkToken(ctx context.Context, login *pendingLogin, token []byte) (*Launch, error) {
	if len(token) > maxTokenLen {
		return nil, fail(CodeMalformedToken, "the id_token is larger than %d bytes", maxTokenLen)
	}
	p, err := t.platform(ctx, login.Issuer, login.ClientID)
	if err != nil {
		return nil, err
	}
	ks, err := t.keySet(p)
	if err != nil {
		return nil, &Error{Code: CodeUnknownPlatform, Detail: "the registration's public_key cannot be parsed", Err: err}
	}
	payload, err := ks.Verify(ctx, token, p.Algorithms)
	if err != nil {
		return nil, keyError(err)
	}
	l, err := decodeLaunch(payload)
	if err != nil {
		return nil, err
	}
	if err := t.checkClaims(p, login, l); err != nil {
		return nil, err
	}
	// Every check passed: only now consume the nonce and record state.
	// A token is acceptable at most MaxTokenAge+2×Leeway after it is first
	// seen (iat can be Leeway in the future), so the nonce is kept that long.
	ttl := t.cfg.MaxTokenAge + 2*t.cfg.Leeway
	switch err := t.cfg.Store.Add(ctx, "nonce:"+l.Issuer+"\x00"+l.Nonce, nil, ttl); {
	case errors.Is(err, ErrKeyExists):
		return nil, &Error{Code: CodeNonceReplayed, Claim: "nonce", Detail: "this token was already used"}
	case err != nil:
		return nil, &Error{Code: CodeStoreFailure, Detail: "could not record the nonce", Err: err}
	}
	if p.DeploymentPolicy == TrustOnFirstUse && !p.AllowsDeployment(l.DeploymentID) {
		if err := t.cfg.Platforms.AddDeployment(ctx, p.Issuer, p.ClientID, l.DeploymentID); err != nil {
			return nil, &Error{Code: CodeStoreFailure, Detail: "could not record the new deployment", Err: err}
		}
		t.cfg.Logger.Info("ltikit: new deployment recorded (trust on first use)",
			"issuer", p.Issuer, "client_id", p.ClientID, "deployment_id", l.DeploymentID)
	}
	l.ClientID = p.ClientID
	return l, nil
}

// checkClaims validates the decoded claims against the registration and
// the login, in the order of the Security Framework, and stops at the
// first failure.
func (t *Tool) checkClaims(p *Platform, login *pendingLogin, l *Launch) error {
	for _, c := range claimChecks {
		if err := c.check(t, p, login, l); err != nil {
			return err
		}
	}
	return nil
}

// claimCheck is one step of claim validation. login is nil when a token is
// inspected outside a login ([Tool.Inspect]); the checks that bind the
// token to a login then pass.
type claimCheck struct {
	name  string
	check func(t *Tool, p *Platform, login *pendingLogin, l *Launch) error
}

// claimChecks run in this order; the table is never modified.
var claimChecks = []claimCheck{
	{"iss", func(_ *Tool, p *Platform, _ *pendingLogin, l *Launch) error {
		if l.Issuer != p.Issuer {
			return &Error{Code: CodeWrongIssuer, Claim: "iss", Detail: "token issuer " + quote(l.Issuer) + " is not the registered " + quote(p.Issuer)}
		}
		return nil
	}},
	{"aud", func(_ *Tool, p *Platform, _ *pendingLogin, l *Launch) error {
		if !slices.Contains(l.Audience, p.ClientID) {
			return &Error{Code: CodeWrongAudience, Claim: "aud", Detail: fmt.Sprintf("aud %s does not contain client_id %s", quoteList(l.Audience), quote(p.ClientID))}
		}
		for _, a := range l.Audience { // SEC-VAL-04: no audience the tool does not trust
			if a != p.ClientID && !slices.Contains(p.TrustedAudiences, a) {
				return &Error{Code: CodeWrongAudience, Claim: "aud", Detail: fmt.Sprintf("aud %s names %s, which is neither client_id %s nor one of the registration's trusted_audiences",
					quoteList(l.Audience), quote(a), quote(p.ClientID))}
			}
		}
		return nil
	}},
	{"azp", func(_ *Tool, p *Platform, _ *pendingLogin, l *Launch) error {
		if len(l.Audience) > 1 && l.AuthorizedParty == "" {
			return &Error{Code: CodeWrongAuthorizedParty, Claim: "azp", Detail: "a token with several audiences needs azp"}
		}
		if l.AuthorizedParty != "" && l.AuthorizedParty != p.ClientID {
			return &Error{Code: CodeWrongAuthorizedParty, Claim: "azp", Detail: "azp " + quote(l.AuthorizedParty) + " is not client_id " + quote(p.ClientID)}
		}
		return nil
	}},
	{"exp, iat, nbf", func(t *Tool, _ *Platform, _ *pendingLogin, l *Launch) error { return t.checkTimes(l) }},
	{"nonce", func(_ *Tool, _ *Platform, login *pendingLogin, l *Launch) error {
		if l.Nonce == "" {
			return &Error{Code: CodeMissingNonce, Claim: "nonce", Detail: "the token has no nonce"}
		}
		if login != nil && subtle.ConstantTimeCompare([]byte(l.Nonce), []byte(login.Nonce)) != 1 {
			return &Error{Code: CodeNonceMismatch, Claim: "nonce", Detail: "the nonce is not the one this login sent"}
		}
		return nil
	}},
	{"deployment_id", func(_ *Tool, p *Platform, login *pendingLogin, l *Launch) error {
		if l.DeploymentID == "" {
			return &Error{Code: CodeMissingClaim, Claim: "deployment_id", Detail: "the token has no deployment_id"}
		}
		if login != nil && login.DeploymentID != "" && login.DeploymentID != l.DeploymentID {
			return &Error{Code: CodeUnknownDeployment, Claim: "deployment_id", Detail: "deployment_id " + quote(l.DeploymentID) + " differs from the login's lti_deployment_id " + quote(login.DeploymentID)}
		}
		if p.DeploymentPolicy != TrustOnFirstUse && !p.AllowsDeployment(l.DeploymentID) {
			return &Error{Code: CodeUnknownDeployment, Claim: "deployment_id", Detail: "deployment " + quote(l.DeploymentID) + " is not registered"}
		}
		return nil
	}},
	{"version", func(_ *Tool, _ *Platform, _ *pendingLogin, l *Launch) error {
		if l.Version != Version {
			return &Error{Code: CodeWrongVersion, Claim: "version", Detail: "version " + quote(l.Version) + " is not \"1.3.0\""}
		}
		return nil
	}},
	{"message_type", func(t *Tool, _ *Platform, _ *pendingLogin, l *Launch) error {
		if l.MessageType == "" {
			return &Error{Code: CodeMissingClaim, Claim: "message_type", Detail: "the token has no message_type"}
		}
		if !slices.Contains(t.cfg.MessageTypes, l.MessageType) {
			return &Error{Code: CodeUnsupportedMessageType, Claim: "message_type", Detail: "this tool does not accept " + quote(string(l.MessageType))}
		}
		return nil
	}},
	{"required claims", func(_ *Tool, _ *Platform, _ *pendingLogin, l *Launch) error { return requiredClaims(l) }},
	{"sub", func(_ *Tool, p *Platform, _ *pendingLogin, l *Launch) error {
		if l.Subject == "" && !p.AllowAnonymous {
			return &Error{Code: CodeAnonymousLaunch, Claim: "sub", Detail: "the launch has no sub and the registration does not allow anonymous launches"}
		}
		return nil
	}},
	{"target_link_uri", func(_ *Tool, _ *Platform, login *pendingLogin, l *Launch) error {
		if l.TargetLinkURI == "" {
			return &Error{Code: CodeMissingClaim, Claim: "target_link_uri", Detail: "the token has no target_link_uri"}
		}
		if login != nil && l.TargetLinkURI != login.TargetLinkURI {
			return &Error{Code: CodeTargetLinkMismatch, Claim: "target_link_uri", Detail: "the signed target_link_uri " + quote(l.TargetLinkURI) + " differs from the login's " + quote(login.TargetLinkURI)}
		}
		return nil
	}},
}

// checkTimes applies exp, iat and nbf with the configured leeway.
func (t *Tool) checkTimes(l *Launch) error {
	now := t.cfg.Now()
	leeway := t.cfg.Leeway
	switch {
	case l.ExpiresAt.IsZero():
		return &Error{Code: CodeMissingClaim, Claim: "exp", Detail: "the token has no exp"}
	case l.IssuedAt.IsZero():
		return &Error{Code: CodeMissingClaim, Claim: "iat", Detail: "the token has no iat"}
	case now.After(l.ExpiresAt.Add(leeway)):
		return &Error{Code: CodeTokenExpired, Claim: "exp", Detail: fmt.Sprintf("the token expired %s ago (tool clock %s, leeway %s); check both clocks",
			now.Sub(l.ExpiresAt).Round(time.Second), now.UTC().Format(time.RFC3339), leeway)}
	case l.IssuedAt.After(now.Add(leeway)):
		return &Error{Code: CodeTokenNotYetValid, Claim: "iat", Detail: fmt.Sprintf("the token was issued %s in the future of the tool's clock (%s, leeway %s); the clocks are out of sync",
			l.IssuedAt.Sub(now).Round(time.Second), now.UTC().Format(time.RFC3339), leeway)}
	case !l.NotBefore.IsZero() && l.NotBefore.After(now.Add(leeway)):
		return &Error{Code: CodeTokenNotYetValid, Claim: "nbf", Detail: fmt.Sprintf("the token's nbf is %s in the future of the tool's clock (%s, leeway %s); the clocks are out of sync",
			l.NotBefore.Sub(now).Round(time.Second), now.UTC().Format(time.RFC3339), leeway)}
	case now.Sub(l.IssuedAt) > t.cfg.MaxTokenAge+leeway:
		return &Error{Code: CodeTokenExpired, Claim: "iat", Detail: fmt.Sprintf("the token was issued %s ago, more than the maximum age %s",
			now.Sub(l.IssuedAt).Round(time.Second), t.cfg.MaxTokenAge)}
	}
	return nil
}

// requiredClaims checks the claims each message type needs.
func requiredClaims(l *Launch) error {
	missing := func(claim string) error {
		return &Error{Code: CodeMissingClaim, Claim: claim, Detail: string(l.MessageType) + " requires " + claim}
	}
	if l.Roles == nil {
		return missing("roles")
	}
	switch l.MessageType {
	case ResourceLinkRequest:
		if l.ResourceLink == nil || l.ResourceLink.ID == "" {
			return missing("resource_link.id")
		}
	case DeepLinkingRequest:
		if l.DeepLinking == nil {
			return missing("deep_linking_settings")
		}
		if l.DeepLinking.DeepLinkReturnURL == "" {
			return missing("deep_linking_settings.deep_link_return_url")
		}
	case SubmissionReviewRequest:
		if l.ForUser == nil || l.ForUser.UserID == "" {
			return missing("for_user.user_id")
		}
	case StartProctoring:
		if l.ResourceLink == nil || l.ResourceLink.ID == "" {
			return missing("resource_link.id")
		}
		if l.Proctoring == nil || l.Proctoring.StartAssessmentURL == "" {
			return missing("start_assessment_url")
		}
		if l.Proctoring.AttemptNumber <= 0 {
			return missing("attempt_number")
		}
		if l.Proctoring.SessionData == "" { // the anti-CSRF value the tool echoes (AP-01)
			return missing("session_data")
		}
		if l.Subject == "" { // proctoring is never anonymous, whatever AllowAnonymous says (AP-01)
			return missing("sub")
		}
	case EndAssessment: // resource_link and session_data may be absent (AP-04)
		if l.Proctoring == nil || l.Proctoring.AttemptNumber <= 0 {
			return missing("attempt_number")
		}
	}
	return nil
}

// keyError maps a jwks error to a launch error code.
func keyError(err error) *Error {
	e := &Error{Err: err}
	switch {
	case errors.Is(err, jwks.ErrNoKID):
		e.Code, e.Claim, e.Detail = CodeUnknownKID, "kid", "the token header has no kid"
	case errors.Is(err, jwks.ErrUnknownKID):
		e.Code, e.Claim, e.Detail = CodeUnknownKID, "kid", "no platform key has the token's kid, even after refreshing the platform's key set"
	case errors.Is(err, jwks.ErrAlgorithm):
		e.Code, e.Claim, e.Detail = CodeDisallowedAlgorithm, "alg", "the token's algorithm is not allowed for this registration"
	case errors.Is(err, jwks.ErrSignature):
		e.Code, e.Detail = CodeBadSignature, "the signature does not verify with the platform's key"
	case errors.Is(err, jwks.ErrFetch):
		e.Code, e.Detail = CodeKeyFetchFailed, "the platform's key set could not be fetched"
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		e.Code, e.Detail = CodeKeyFetchFailed, "gave up waiting for the platform's key set"
	default:
		e.Code, e.Detail = CodeMalformedToken, "the id_token is not a valid compact JWS"
	}
	return e
}

// platformError reports an OIDC error response (error, error_description)
// posted to the launch URL. The state, if any, is consumed like a
// launch's; when it is not bound to this browser the detail says so, but
// the error stays platform_error: the platform's answer is the news.
func (t *Tool) platformError(r *http.Request, state string) *Error {
	desc := r.PostForm.Get("error_description")
	if len(desc) > 300 {
		desc = desc[:300] + "…"
	}
	d := "the platform answered " + quote(r.PostForm.Get("error"))
	if desc != "" {
		d += ": " + quote(desc)
	}
	e := &Error{Code: CodePlatformError, Claim: "error", Err: &PlatformError{Code: r.PostForm.Get("error"), Description: desc}}
	if login, err := t.takeLogin(r, state); err != nil {
		d += " (the answer is not bound to a login of this browser: " + string(err.Code) + ", " + err.Detail + ")"
	} else {
		e.Issuer, e.ClientID = login.Issuer, login.ClientID
	}
	e.Detail = d
	return e
}

// PlatformError is an OIDC error the platform posted to the launch URL
// instead of an id_token, such as access_denied or login_required. It is the
// cause of an [*Error] with CodePlatformError.
type PlatformError struct {
	Code        string // OAuth/OIDC error code, e.g. "access_denied"
	Description string // error_description, if any
}

// Error implements error.
func (e *PlatformError) Error() string {
	if e.Description == "" {
		return "platform error " + e.Code
	}
	return "platform error " + e.Code + ": " + e.Description
}

func quoteList(ss []string) string {
	b, _ := json.Marshal(ss)
	if len(b) > 200 {
		return string(b[:200]) + "…"
	}
	return string(b)
}
