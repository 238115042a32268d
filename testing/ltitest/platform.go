package ltitest

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/ltikit/ltikit/jwks"
	"github.com/ltikit/ltikit/tool"
)

// Platform is a fake LTI 1.3 platform (an LMS) serving on
// http://127.0.0.1:port (see [WithAddr]). It has one tool registered: the
// tool under test, known by ClientID, deployed as DeploymentID.
//
// Its endpoints are URL + "/auth" (the OIDC authorization endpoint) and
// URL + "/jwks" (its public keys); URL + "/" is the launch page a person
// uses from a browser (see [Start]). A Platform is safe for concurrent use;
// launches may run in parallel.
type Platform struct {
	// URL is the platform's issuer (iss), "http://127.0.0.1:port" without
	// a trailing slash. Read-only, like the other fields.
	URL string
	// ClientID is the client_id the platform assigned to the tool; see
	// WithClientID.
	ClientID string
	// DeploymentID is the deployment launches come from unless
	// Message.DeploymentID says otherwise; see WithDeploymentID.
	DeploymentID string

	e         *engine
	srv       *http.Server
	served    chan struct{} // closed when srv.Serve has returned
	closeOnce sync.Once
}

// NewPlatform starts a platform with a fresh RSA signing key on a new
// server bound to 127.0.0.1, closed when the test ends. It is [Start] for
// tests: it fails the test instead of returning an error.
func NewPlatform(t testing.TB, opts ...Option) *Platform {
	t.Helper()
	p, err := Start(opts...)
	if err != nil {
		t.Fatalf("%v", err)
	}
	t.Cleanup(p.Close)
	return p
}

// Close shuts the platform's server down, waiting a few seconds at most
// for the requests in progress. NewPlatform arranges for it to be called
// when the test ends; calling it again is harmless.
func (p *Platform) Close() {
	p.closeOnce.Do(func() {
		p.e.close() // releases requests a Fault holds
		ctx, cancel := context.WithTimeout(context.Background(), closeTimeout)
		defer cancel()
		if err := p.srv.Shutdown(ctx); err != nil {
			p.srv.Close()
		}
		<-p.served
	})
}

// Registration returns the tool-side registration of this platform, to put
// in the tool's PlatformStore: Issuer URL, ClientID, Deployments
// {DeploymentID}, AuthURL URL+"/auth", TokenURL URL+"/token" (the token
// endpoint, which verifies client assertions with the tool's keys: see
// WithToolJWKSURL), JWKSURL URL+"/jwks".
func (p *Platform) Registration() tool.Platform {
	return tool.Platform{
		Issuer:      p.URL,
		ClientID:    p.ClientID,
		Deployments: []string{p.DeploymentID},
		AuthURL:     p.URL + "/auth",
		TokenURL:    p.URL + "/token",
		JWKSURL:     p.URL + "/jwks",
	}
}

// SetRedirectURIs replaces the redirect URIs registered for the tool: the
// URLs where the platform may post id_tokens. The auth endpoint accepts a
// redirect_uri only if it equals one of them exactly. The first is the
// default target_link_uri of launches.
func (p *Platform) SetRedirectURIs(uris ...string) {
	if err := p.e.setRedirectURIs(p.ClientID, uris); err != nil {
		panic(err) // the platform's own registration always exists
	}
}

// SetClock sets the clock that stamps iat and exp and the log. nil means
// time.Now.
func (p *Platform) SetClock(now func() time.Time) { p.e.setClock(now) }

// RotateKey makes a fresh RSA key the signing key and returns its kid. The
// previous keys stay published in the JWKS, as after a real rotation, until
// RetireOldKeys.
func (p *Platform) RotateKey(t testing.TB) string {
	t.Helper()
	key := generateKey(t)
	if err := p.e.rotate(key, false); err != nil {
		t.Fatalf("ltitest: RotateKey: %v", err)
	}
	return key.ID
}

// RetireOldKeys stops publishing every key but the signing one, so that
// tokens signed before the last RotateKey no longer verify.
func (p *Platform) RetireOldKeys(t testing.TB) {
	t.Helper()
	if err := p.e.setKeys([]jwks.Key{p.e.signingKey()}); err != nil {
		t.Fatalf("ltitest: RetireOldKeys: %v", err)
	}
}

// KeyIDs returns the kids the JWKS publishes, the signing key's first.
func (p *Platform) KeyIDs() []string { return p.e.keyIDs() }

// SignIDToken signs claims as they are with the platform's signing key,
// under the header {"typ":"JWT","alg":"RS256","kid":<its kid>}.
func (p *Platform) SignIDToken(t testing.TB, claims map[string]any) string {
	t.Helper()
	key := p.e.signingKey()
	token, err := signJWS(key, header(key.ID, key.Algorithm), claims)
	if err != nil {
		t.Fatalf("ltitest: SignIDToken: %v", err)
	}
	return token
}

// IDToken returns the claims the platform would sign for m with nonce at
// the platform clock's current time: m's defaults filled in, then
// m.Mutate applied. Change them and sign them with SignIDToken for
// hand-made negative tests.
func (p *Platform) IDToken(t testing.TB, m Message, nonce string) map[string]any {
	t.Helper()
	reg, ok := p.e.registration(p.ClientID)
	if !ok {
		t.Fatalf("ltitest: IDToken: no registration for %q", p.ClientID)
	}
	m = m.withDefaults(p.e, &reg)
	claims := p.e.claims(p.ClientID, m, nonce, p.e.clock())
	if m.Mutate != nil {
		m.Mutate(claims)
	}
	return claims
}

// Launch launches m at the tool whose OIDC login initiation URL is
// loginURL, the way a browser does, in a fresh [Browser]:
//
//  1. the platform's page sends the login initiation to loginURL (a POST
//     form by default, see Message.LoginMethod) with iss, login_hint,
//     target_link_uri, lti_message_hint (a Moodle-like JSON string),
//     client_id and lti_deployment_id;
//  2. the browser follows the tool's redirect (or auto-submitting form) to
//     the platform's auth endpoint, which checks the authentication request
//     and answers with an auto-submitting form;
//  3. the browser posts that form (id_token and state) to the redirect_uri,
//     with the cookies the tool set in step 1.
//
// Launch returns the tool's answer to step 3, not following redirects. If
// the tool stops the launch earlier, Launch returns that answer instead: the
// tool's answer to step 1, or the platform's error page of step 2. Rules
// the tool's authentication request broke are logged with t.Logf and kept
// in [Platform.Violations]; they do not fail the test by themselves.
//
// The response's body is already read into memory: read it or not, there
// is no need to close it.
func (p *Platform) Launch(t testing.TB, loginURL string, m Message) *http.Response {
	t.Helper()
	return p.NewBrowser(t).Launch(loginURL, m)
}

// Log returns every exchange recorded so far, oldest first: login
// initiations, authentication requests with the platform's answer and the
// decoded id_token, and form posts to the tool.
func (p *Platform) Log() []LogEntry { return p.e.entries() }

// Violations returns every rule the tool's authentication requests broke,
// oldest first. A test of a correct tool expects none:
//
//	if v := p.Violations(); len(v) > 0 {
//		t.Errorf("the tool's authentication requests broke the spec: %v", v)
//	}
func (p *Platform) Violations() []Violation { return p.e.allViolations() }

func generateKey(t testing.TB) jwks.Key {
	t.Helper()
	key, err := newKey()
	if err != nil {
		t.Fatalf("%v", err)
	}
	return key
}
