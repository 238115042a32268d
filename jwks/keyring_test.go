package jwks

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"
)

// kmsSigner hides a private key behind crypto.Signer, as a KMS client does.
type kmsSigner struct{ inner crypto.Signer }

func (k kmsSigner) Public() crypto.PublicKey { return k.inner.Public() }
func (k kmsSigner) Sign(r io.Reader, d []byte, o crypto.SignerOpts) ([]byte, error) {
	return k.inner.Sign(r, d, o)
}

func TestGenerateKey(t *testing.T) {
	t.Parallel()
	k, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	jk, err := jwk.FromRaw(k.Signer.Public())
	if err != nil {
		t.Fatal(err)
	}
	tp, err := jk.Thumbprint(crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	if want := base64.RawURLEncoding.EncodeToString(tp); k.ID != want {
		t.Errorf("got ID %q, want thumbprint %q", k.ID, want)
	}
	if k.Algorithm != "RS256" {
		t.Errorf("got alg %q, want RS256", k.Algorithm)
	}
	if _, err := NewKeyRing(k); err != nil {
		t.Errorf("generated key rejected: %v", err)
	}
}

func TestNewKeyRing(t *testing.T) {
	t.Parallel()
	a, b := testRSA(t, 0), testRSA(t, 1)
	small := mustRSA(t, 1024)
	ec := testEC(t, elliptic.P256())
	tests := []struct {
		name      string
		active    Key
		published []Key
		ok        bool
	}{
		{name: "one RSA key", active: Key{ID: "a", Signer: a}, ok: true},
		{name: "with published keys", active: Key{ID: "a", Signer: a}, published: []Key{{ID: "b", Signer: b, Algorithm: "PS256"}}, ok: true},
		{name: "EC key, alg from curve", active: Key{ID: "e", Signer: ec}, ok: true},
		{name: "KMS signer", active: Key{ID: "k", Signer: kmsSigner{a}}, ok: true},
		{name: "no ID", active: Key{Signer: a}},
		{name: "duplicate ID", active: Key{ID: "a", Signer: a}, published: []Key{{ID: "a", Signer: b}}},
		{name: "published key without ID", active: Key{ID: "a", Signer: a}, published: []Key{{Signer: b}}},
		{name: "nil Signer", active: Key{ID: "a"}},
		{name: "RSA 1024", active: Key{ID: "a", Signer: small}},
		{name: "alg none", active: Key{ID: "a", Signer: a, Algorithm: "none"}},
		{name: "alg HS256", active: Key{ID: "a", Signer: a, Algorithm: "HS256"}},
		{name: "alg ES256 on RSA key", active: Key{ID: "a", Signer: a, Algorithm: "ES256"}},
		{name: "alg RS256 on EC key", active: Key{ID: "e", Signer: ec, Algorithm: "RS256"}},
		{name: "unknown alg", active: Key{ID: "a", Signer: a, Algorithm: "RS1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r, err := NewKeyRing(tc.active, tc.published...)
			if tc.ok != (err == nil) {
				t.Fatalf("got err %v, want ok=%v", err, tc.ok)
			}
			if err != nil {
				if !strings.HasPrefix(err.Error(), "jwks: ") {
					t.Errorf("error %q lacks the jwks: prefix", err)
				}
				return
			}
			if got := r.Active().ID; got != tc.active.ID {
				t.Errorf("got active %q, want %q", got, tc.active.ID)
			}
			if got, want := len(r.PublicKeys()), 1+len(tc.published); got != want {
				t.Errorf("got %d public keys, want %d", got, want)
			}
		})
	}
}

func TestKeyRingSign(t *testing.T) {
	t.Parallel()
	payload := bytes.Repeat([]byte(`{"x":1}`), 10)
	tests := []struct {
		name string
		key  Key
		algs []string
	}{
		{name: "RSA", key: Key{ID: "rsa", Signer: testRSA(t, 0)}},
		{name: "RSA behind a KMS signer", key: Key{ID: "kms", Signer: kmsSigner{testRSA(t, 1)}}},
		{name: "PS256", key: Key{ID: "pss", Signer: testRSA(t, 2), Algorithm: "PS256"}, algs: []string{"PS256"}},
		{name: "ES256", key: Key{ID: "ec", Signer: testEC(t, elliptic.P256())}, algs: []string{"ES256"}},
		{name: "ES256 behind a KMS signer", key: Key{ID: "eckms", Signer: kmsSigner{testEC(t, elliptic.P256())}}, algs: []string{"ES256"}},
		{name: "EdDSA", key: Key{ID: "ed", Signer: mustEd25519(t)}, algs: []string{"EdDSA"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r, err := NewKeyRing(tc.key, Key{ID: "next", Signer: testRSA(t, 3)})
			if err != nil {
				t.Fatal(err)
			}
			tok, err := r.Sign(payload)
			if err != nil {
				t.Fatal(err)
			}
			set, err := NewStatic(r.PublicKeys()...)
			if err != nil {
				t.Fatal(err)
			}
			got, err := set.Verify(context.Background(), tok, tc.algs)
			if err != nil {
				t.Fatalf("verify: %v", err)
			}
			if !bytes.Equal(got, payload) {
				t.Fatalf("got payload %q", got)
			}
			msg, err := jws.Parse(tok)
			if err != nil {
				t.Fatal(err)
			}
			h := msg.Signatures()[0].ProtectedHeaders()
			if h.KeyID() != tc.key.ID || h.Type() != "JWT" || h.Algorithm().String() != r.Active().Algorithm {
				t.Errorf("got header kid=%q typ=%q alg=%q", h.KeyID(), h.Type(), h.Algorithm())
			}
			// The published next key must not verify the active key's token.
			next, err := NewStatic(r.PublicKeys()[1])
			if err != nil {
				t.Fatal(err)
			}
			if _, err := next.Verify(context.Background(), tok, tc.algs); err == nil {
				t.Fatal("the next key verified the active key's token")
			}
		})
	}
}

func TestKeyRingHandler(t *testing.T) {
	t.Parallel()
	r, err := NewKeyRing(Key{ID: "a", Signer: testRSA(t, 0)},
		Key{ID: "b", Signer: testRSA(t, 1), Algorithm: "RS512"},
		Key{ID: "e", Signer: testEC(t, elliptic.P384())})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(r.Handler())
	t.Cleanup(srv.Close)

	res, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("got status %d", res.StatusCode)
	}
	if got := res.Header.Get("Content-Type"); got != "application/json" {
		t.Errorf("got Content-Type %q", got)
	}
	if got := res.Header.Get("Cache-Control"); got != "public, max-age=300" {
		t.Errorf("got Cache-Control %q", got)
	}
	var doc struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatalf("bad JSON %s: %v", body, err)
	}
	want := map[string]string{"a": "RS256", "b": "RS512", "e": "ES384"}
	if len(doc.Keys) != len(want) {
		t.Fatalf("got %d keys, want %d: %s", len(doc.Keys), len(want), body)
	}
	for _, k := range doc.Keys {
		kid, _ := k["kid"].(string)
		if k["alg"] != want[kid] || k["use"] != "sig" {
			t.Errorf("key %q: got alg=%v use=%v, want alg=%s use=sig", kid, k["alg"], k["use"], want[kid])
		}
		for _, private := range []string{"d", "p", "q", "dp", "dq", "qi"} {
			if _, ok := k[private]; ok {
				t.Errorf("key %q publishes private member %q", kid, private)
			}
		}
		switch k["kty"] {
		case "RSA":
			if k["n"] == nil || k["e"] == nil {
				t.Errorf("key %q lacks n or e", kid)
			}
		case "EC":
			if k["crv"] != "P-384" || k["x"] == nil || k["y"] == nil {
				t.Errorf("key %q: bad EC members %v", kid, k)
			}
		default:
			t.Errorf("key %q: got kty %v", kid, k["kty"])
		}
	}
	// The document round-trips into a key set that verifies the ring's tokens.
	set, err := ParsePublicKey(string(body))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := r.Sign([]byte("{}"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := set.Verify(context.Background(), tok, nil); err != nil {
		t.Fatal(err)
	}
}

func TestHandlerMethods(t *testing.T) {
	t.Parallel()
	h := Handler(PublicKey{Key: testRSA(t, 0), KeyID: "a"}) // a private key: only its public part is served
	tests := []struct {
		method     string
		wantStatus int
		wantBody   bool
	}{
		{http.MethodGet, http.StatusOK, true},
		{http.MethodHead, http.StatusOK, false},
		{http.MethodPost, http.StatusMethodNotAllowed, false},
		{http.MethodPut, http.StatusMethodNotAllowed, false},
		{http.MethodDelete, http.StatusMethodNotAllowed, false},
		{http.MethodOptions, http.StatusMethodNotAllowed, false},
	}
	for _, tc := range tests {
		t.Run(tc.method, func(t *testing.T) {
			t.Parallel()
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(tc.method, "/jwks.json", nil))
			if rec.Code != tc.wantStatus {
				t.Fatalf("got status %d, want %d", rec.Code, tc.wantStatus)
			}
			if tc.wantStatus == http.StatusMethodNotAllowed {
				if got := rec.Header().Get("Allow"); got != "GET, HEAD" {
					t.Errorf("got Allow %q", got)
				}
				return
			}
			if got := rec.Body.Len() > 0; got != tc.wantBody {
				t.Errorf("got body %q, want body=%v", rec.Body, tc.wantBody)
			}
			if rec.Header().Get("Content-Length") == "" {
				t.Error("no Content-Length")
			}
			if strings.Contains(rec.Body.String(), `"d"`) {
				t.Errorf("private part served: %s", rec.Body)
			}
		})
	}
}

func TestHandlerPanicsOnBadKey(t *testing.T) {
	t.Parallel()
	for name, k := range map[string]any{"nil": nil, "symmetric": []byte("secret"), "string": "key"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			defer func() {
				if recover() == nil {
					t.Fatal("Handler did not panic")
				}
			}()
			Handler(PublicKey{Key: k, KeyID: "x"})
		})
	}
}

func mustEd25519(t testing.TB) ed25519.PrivateKey {
	t.Helper()
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}
