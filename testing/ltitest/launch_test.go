package ltitest_test

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"

	"github.com/ltikit/ltikit/testing/ltitest"
	"github.com/ltikit/ltikit/tool"
)

func decodePart(t *testing.T, token string, i int) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token %.40q… has %d parts, want 3", token, len(parts))
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[i])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func decodeHeader(t *testing.T, token string) map[string]any  { return decodePart(t, token, 0) }
func decodePayload(t *testing.T, token string) map[string]any { return decodePart(t, token, 1) }

// fetchJWKS reads the platform's key set with jwx, as a tool would.
func fetchJWKS(t *testing.T, p *ltitest.Platform) jwk.Set {
	t.Helper()
	set, err := jwk.Fetch(context.Background(), p.URL+"/jwks")
	if err != nil {
		t.Fatalf("fetch JWKS: %v", err)
	}
	return set
}

// verify checks token's signature against the platform's served JWKS,
// selecting the key by kid and using the key's alg.
func verify(t *testing.T, p *ltitest.Platform, token string) error {
	t.Helper()
	_, err := jws.Verify([]byte(token), jws.WithKeySet(fetchJWKS(t, p), jws.WithRequireKid(true)))
	return err
}

func TestLaunch_endToEnd(t *testing.T) {
	t.Parallel()
	p := ltitest.NewPlatform(t)
	ft := newFakeTool(t, p)
	resp := p.Launch(t, ft.URL+"/login", ltitest.Message{})
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || string(body) != "launched" {
		t.Fatalf("got %s %q, want the tool's 200 launched", resp.Status, body)
	}

	// The login initiation: Moodle's six parameters, POSTed.
	login := ft.logins[0]
	if ft.loginMethods[0] != http.MethodPost {
		t.Errorf("login method: got %s, want POST", ft.loginMethods[0])
	}
	for k, want := range map[string]string{"iss": p.URL, "login_hint": "user-1", "target_link_uri": ft.URL + "/launch",
		"client_id": p.ClientID, "lti_deployment_id": p.DeploymentID} {
		if got := login.Get(k); got != want {
			t.Errorf("login %s: got %q, want %q", k, got, want)
		}
	}
	var hint struct {
		CMID     int    `json:"cmid"`
		LaunchID string `json:"launchid"`
	}
	if err := json.Unmarshal([]byte(login.Get("lti_message_hint")), &hint); err != nil || hint.LaunchID == "" {
		t.Errorf("lti_message_hint: got %q, want Moodle's JSON with a launchid", login.Get("lti_message_hint"))
	}

	// The form post: id_token and state, with the state cookie.
	post := ft.lastPost(t)
	if post.form.Get("state") != fakeState || post.cookies["state"] != fakeState {
		t.Errorf("launch post: got form state %q cookie %q, want %q", post.form.Get("state"), post.cookies["state"], fakeState)
	}
	token := post.form.Get("id_token")
	if err := verify(t, p, token); err != nil {
		t.Errorf("the id_token does not verify with the served JWKS: %v", err)
	}
	c := decodePayload(t, token)
	if c["nonce"] != fakeNonce || c[ltitest.ClaimTargetLinkURI] != ft.URL+"/launch" || c["aud"] != p.ClientID {
		t.Errorf("claims: got nonce %v target %v aud %v", c["nonce"], c[ltitest.ClaimTargetLinkURI], c["aud"])
	}
	if h := decodeHeader(t, token); h["kid"] != p.KeyIDs()[0] || h["alg"] != "RS256" || h["typ"] != "JWT" {
		t.Errorf("header: got %v, want RS256 with kid %s", h, p.KeyIDs()[0])
	}

	// The log.
	log := p.Log()
	if len(log) != 3 {
		t.Fatalf("log: got %d entries, want 3: %+v", len(log), log)
	}
	for i, step := range []ltitest.Step{ltitest.StepLogin, ltitest.StepAuth, ltitest.StepLaunch} {
		e := log[i]
		if e.Step != step || e.LaunchID != hint.LaunchID || e.Time.IsZero() {
			t.Errorf("log[%d]: got step %s launch %q time %v, want %s %q", i, e.Step, e.LaunchID, e.Time, step, hint.LaunchID)
		}
	}
	if log[0].Status != http.StatusFound || !strings.HasPrefix(log[0].Location, p.URL+"/auth?") {
		t.Errorf("login entry: got %d %q", log[0].Status, log[0].Location)
	}
	if log[1].IDToken != token || log[1].Claims["nonce"] != fakeNonce || log[1].Header["kid"] == nil || log[1].Params.Get("scope") != "openid" {
		t.Errorf("auth entry: got %+v", log[1])
	}
	if log[2].IDToken != token || log[2].Claims == nil || log[2].Status != http.StatusOK || log[2].URL != ft.URL+"/launch" {
		t.Errorf("launch entry: got %+v", log[2])
	}
	if vs := p.Violations(); len(vs) != 0 {
		t.Errorf("violations: %v", vs)
	}
}

func TestLaunch_loginGET(t *testing.T) {
	t.Parallel()
	p := ltitest.NewPlatform(t)
	ft := newFakeTool(t, p)
	resp := p.Launch(t, ft.URL+"/login?tenant=a", ltitest.Message{LoginMethod: http.MethodGet})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("got %s", resp.Status)
	}
	if ft.loginMethods[0] != http.MethodGet || ft.logins[0].Get("tenant") != "a" || ft.logins[0].Get("iss") != p.URL {
		t.Errorf("login: got %s %v, want a GET keeping the URL's query", ft.loginMethods[0], ft.logins[0])
	}
}

// LoginMutate changes what the tool receives, not what the platform expects.
func TestLaunch_loginMutate(t *testing.T) {
	t.Parallel()
	p := ltitest.NewPlatform(t)
	ft := newFakeTool(t, p)
	p.Launch(t, ft.URL+"/login", ltitest.Message{LoginMutate: func(v url.Values) {
		v.Set("login_hint", "intruder")
		v.Set("target_link_uri", "https://evil.example/")
	}})
	if got := ft.logins[0].Get("target_link_uri"); got != "https://evil.example/" {
		t.Errorf("login target_link_uri: got %q", got)
	}
	if got := ft.lastPost(t).form.Get("error"); got != "access_denied" {
		t.Errorf("error: got %q, want access_denied for the changed login_hint", got)
	}
	if vs := p.Violations(); len(vs) != 1 || vs[0].Rule != "SEC-AUTH-07" || vs[0].Got != "intruder" {
		t.Errorf("violations: got %v", vs)
	}
}

func TestLaunch_toolRefusesLogin(t *testing.T) {
	t.Parallel()
	p := ltitest.NewPlatform(t)
	ft := newFakeTool(t, p)
	resp := p.Launch(t, ft.URL+"/no-such-login", ltitest.Message{})
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("got %s, want the tool's 404", resp.Status)
	}
	if log := p.Log(); len(log) != 1 || log[0].Step != ltitest.StepLogin || log[0].Status != http.StatusNotFound {
		t.Errorf("log: got %+v, want the login only", log)
	}
}

func TestLaunch_authMutate(t *testing.T) {
	t.Parallel()
	p := ltitest.NewPlatform(t)
	ft := newFakeTool(t, p)
	p.Launch(t, ft.URL+"/login", ltitest.Message{AuthMutate: func(f url.Values) {
		f.Del("id_token")
		f.Set("error", "access_denied")
		f.Set("state", "forged")
	}})
	form := ft.lastPost(t).form
	if form.Has("id_token") || form.Get("error") != "access_denied" || form.Get("state") != "forged" {
		t.Errorf("tool got %v", form)
	}
}

func TestLaunch_tokenHooks(t *testing.T) {
	t.Parallel()
	p := ltitest.NewPlatform(t)
	ft := newFakeTool(t, p)
	launch := func(m ltitest.Message) string {
		t.Helper()
		p.Launch(t, ft.URL+"/login", m)
		return ft.lastPost(t).form.Get("id_token")
	}

	t.Run("expired", func(t *testing.T) {
		token := launch(ltitest.Message{Mutate: func(c map[string]any) { c["exp"] = 1 }})
		if decodePayload(t, token)["exp"] != float64(1) {
			t.Error("Mutate did not reach the signed token")
		}
		if err := verify(t, p, token); err != nil {
			t.Errorf("a mutated token must still be signed: %v", err)
		}
	})
	t.Run("unknown kid", func(t *testing.T) {
		token := launch(ltitest.Message{MutateHeader: func(h map[string]any) { h["kid"] = "nope" }})
		if decodeHeader(t, token)["kid"] != "nope" || verify(t, p, token) == nil {
			t.Error("want a token with kid nope that the JWKS cannot verify")
		}
	})
	t.Run("no kid", func(t *testing.T) {
		token := launch(ltitest.Message{MutateHeader: func(h map[string]any) { delete(h, "kid") }})
		if _, ok := decodeHeader(t, token)["kid"]; ok {
			t.Error("kid still present")
		}
	})
	t.Run("alg none", func(t *testing.T) {
		token := launch(ltitest.Message{MutateHeader: func(h map[string]any) { h["alg"] = "none" }})
		if !strings.HasSuffix(token, ".") || decodeHeader(t, token)["alg"] != "none" {
			t.Errorf("got %.30q…, want an unsigned token", token)
		}
	})
	t.Run("HS256 keyed with the public key", func(t *testing.T) {
		token := launch(ltitest.Message{MutateHeader: func(h map[string]any) { h["alg"] = "HS256" }})
		key, ok := fetchJWKS(t, p).LookupKeyID(p.KeyIDs()[0])
		if !ok {
			t.Fatal("signing key not in the JWKS")
		}
		var raw any
		if err := key.Raw(&raw); err != nil {
			t.Fatal(err)
		}
		der, _ := x509.MarshalPKIXPublicKey(raw)
		secret := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
		if _, err := jws.Verify([]byte(token), jws.WithKey(jwa.HS256, secret)); err != nil {
			t.Errorf("want an HS256 signature keyed with the public key's PEM: %v", err)
		}
	})
	t.Run("alg the key cannot make", func(t *testing.T) {
		token := launch(ltitest.Message{MutateHeader: func(h map[string]any) { h["alg"] = "ES256" }})
		if decodeHeader(t, token)["alg"] != "ES256" {
			t.Errorf("header alg: got %v, want ES256", decodeHeader(t, token)["alg"])
		}
		if err := verify(t, p, token); err != nil { // jwx trusts the key's alg, RS256
			t.Errorf("want an RS256 signature under the lying header: %v", err)
		}
	})
	t.Run("raw token", func(t *testing.T) {
		var seen map[string]any
		token := launch(ltitest.Message{Token: func(c map[string]any) string { seen = c; return "not.a.jwt" }})
		if token != "not.a.jwt" || seen["nonce"] != fakeNonce {
			t.Errorf("got %q after claims %v", token, seen)
		}
	})
}

func TestSignIDToken(t *testing.T) {
	t.Parallel()
	p := ltitest.NewPlatform(t, ltitest.WithRedirectURIs(toolLaunch))
	claims := p.IDToken(t, ltitest.Message{}, "n")
	claims["custom-claim"] = "x"
	token := p.SignIDToken(t, claims)
	if err := verify(t, p, token); err != nil {
		t.Fatalf("does not verify: %v", err)
	}
	if decodePayload(t, token)["custom-claim"] != "x" {
		t.Error("claims changed by signing")
	}
}

// After a rotation the JWKS publishes both keys; new tokens use the new kid.
func TestRotateKey(t *testing.T) {
	t.Parallel()
	p := ltitest.NewPlatform(t, ltitest.WithRedirectURIs(toolLaunch))
	old := p.KeyIDs()
	oldToken := p.SignIDToken(t, p.IDToken(t, ltitest.Message{}, "n1"))

	kid := p.RotateKey(t)
	if ids := p.KeyIDs(); len(ids) != 2 || ids[0] != kid || ids[1] != old[0] || kid == old[0] {
		t.Fatalf("KeyIDs: got %v, want [%s %s]", ids, kid, old[0])
	}
	set := fetchJWKS(t, p)
	for _, id := range []string{kid, old[0]} {
		k, ok := set.LookupKeyID(id)
		if !ok || k.Algorithm().String() != "RS256" {
			t.Errorf("JWKS: key %s missing or without alg RS256", id)
		}
	}
	newToken := p.SignIDToken(t, p.IDToken(t, ltitest.Message{}, "n2"))
	if decodeHeader(t, newToken)["kid"] != kid {
		t.Errorf("new token kid: got %v, want %s", decodeHeader(t, newToken)["kid"], kid)
	}
	for name, tok := range map[string]string{"old": oldToken, "new": newToken} {
		if err := verify(t, p, tok); err != nil {
			t.Errorf("%s token: %v", name, err)
		}
	}

	p.RetireOldKeys(t)
	if n := fetchJWKS(t, p).Len(); n != 1 {
		t.Errorf("after RetireOldKeys the JWKS has %d keys, want 1", n)
	}
	if verify(t, p, oldToken) == nil {
		t.Error("the old token still verifies after RetireOldKeys")
	}
}

func TestSetClock(t *testing.T) {
	t.Parallel()
	at := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	p := ltitest.NewPlatform(t, ltitest.Moodle())
	ft := newFakeTool(t, p)
	p.SetClock(func() time.Time { return at })
	p.Launch(t, ft.URL+"/login", ltitest.Message{})
	c := decodePayload(t, ft.lastPost(t).form.Get("id_token"))
	if c["iat"] != float64(at.Unix()) || c["exp"] != float64(at.Unix()+60) {
		t.Errorf("got iat %v exp %v, want %d and +60", c["iat"], c["exp"], at.Unix())
	}
	if log := p.Log(); !log[0].Time.Equal(at) {
		t.Errorf("log time: got %v, want %v", log[0].Time, at)
	}
}

// A cross-site form post carries only SameSite=None cookies; the tool's
// own follow-up requests carry all.
func TestBrowser_sameSite(t *testing.T) {
	t.Parallel()
	p := ltitest.NewPlatform(t)
	ft := newFakeTool(t, p)
	ft.cookies = []*http.Cookie{
		{Name: "lax", Value: "1", Path: "/", SameSite: http.SameSiteLaxMode},
		{Name: "strict", Value: "1", Path: "/", SameSite: http.SameSiteStrictMode},
		{Name: "unset", Value: "1", Path: "/"},
		{Name: "none", Value: "1", Path: "/", Secure: true, SameSite: http.SameSiteNoneMode},
	}
	b := p.NewBrowser(t)
	b.Launch(ft.URL+"/login", ltitest.Message{})
	got := ft.lastPost(t).cookies
	for _, name := range []string{"state", "none", "login-1"} {
		if _, ok := got[name]; !ok {
			t.Errorf("launch post: cookie %s missing", name)
		}
	}
	for _, name := range []string{"lax", "strict", "unset"} {
		if _, ok := got[name]; ok {
			t.Errorf("launch post: cookie %s sent cross-site", name)
		}
	}
	if names := get(t, b.Client(), ft.URL+"/cookies"); names != "lax login-1 none state strict unset" {
		t.Errorf("follow-up request cookies: got %q", names)
	}
}

// One Browser, two launches: the cookies of both stay, like two tabs.
func TestBrowser_twoTabs(t *testing.T) {
	t.Parallel()
	p := ltitest.NewPlatform(t)
	ft := newFakeTool(t, p)
	b := p.NewBrowser(t)
	for _, r := range []tool.Role{tool.RoleLearner, tool.RoleInstructor} {
		if resp := b.Launch(ft.URL+"/login", ltitest.Message{Roles: tool.Roles{r}}); resp.StatusCode != http.StatusOK {
			t.Fatalf("launch as %s: got %s", r, resp.Status)
		}
	}
	if names := get(t, b.Client(), ft.URL+"/cookies"); names != "login-1 login-2 state" {
		t.Errorf("cookies after two launches: got %q", names)
	}
	if post := ft.lastPost(t); post.cookies["login-1"] == "" {
		t.Error("the second launch post lacks the first launch's cookie")
	}
}

// Launches on one platform may run in parallel.
func TestLaunch_concurrent(t *testing.T) {
	t.Parallel()
	p := ltitest.NewPlatform(t)
	ft := newFakeTool(t, p)
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tb := &fatalTB{TB: t}
			resp := launchIn(tb, p, ft.URL+"/login", ltitest.Message{UserID: fmt.Sprint("u", i)})
			if tb.fatal != "" || resp == nil || resp.StatusCode != http.StatusOK {
				errs <- fmt.Sprintf("launch %d: %q %v", i, tb.fatal, resp)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if n := ft.postCount(); n != 8 {
		t.Errorf("tool got %d posts, want 8", n)
	}
	if vs := p.Violations(); len(vs) != 0 {
		t.Errorf("violations: %v", vs)
	}
}

// Launch fails the test with a clear message when the tool registered no
// redirect URI.
func TestLaunch_noRedirectURIs(t *testing.T) {
	t.Parallel()
	p := ltitest.NewPlatform(t)
	tb := &fatalTB{TB: t}
	launchIn(tb, p, "http://127.0.0.1:1/login", ltitest.Message{})
	if !strings.Contains(tb.fatal, "SetRedirectURIs") {
		t.Errorf("got fatal %q, want a hint about SetRedirectURIs", tb.fatal)
	}
}

func get(t *testing.T, c *http.Client, u string) string {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// fatalTB records a Fatal instead of failing the test, and stops the
// goroutine like t.Fatal does.
type fatalTB struct {
	testing.TB
	mu    sync.Mutex
	fatal string
}

func (f *fatalTB) Helper() {}

func (f *fatalTB) Fatalf(format string, args ...any) {
	f.mu.Lock()
	f.fatal = fmt.Sprintf(format, args...)
	f.mu.Unlock()
	runtime.Goexit()
}

func (f *fatalTB) Logf(string, ...any) {}

// launchIn runs p.Launch with tb on its own goroutine, so that tb.Fatalf
// can stop it.
func launchIn(tb *fatalTB, p *ltitest.Platform, loginURL string, m ltitest.Message) *http.Response {
	var resp *http.Response
	done := make(chan struct{})
	go func() {
		defer close(done)
		resp = p.Launch(tb, loginURL, m)
	}()
	<-done
	return resp
}
