package jwks

import (
	"bytes"
	"context"
	"crypto/elliptic"
	"crypto/x509"
	"encoding/pem"
	"strings"
	"testing"

	"github.com/lestrrat-go/jwx/v2/jwk"
)

func TestStaticVerify(t *testing.T) {
	t.Parallel()
	rsaKey, other := testRSA(t, 0), testRSA(t, 1)
	ecKey := testEC(t, elliptic.P256())
	payload := []byte(`{"sub":"42"}`)

	pubDER, err := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	attackerJWK, err := jwk.FromRaw(&other.PublicKey)
	if err != nil {
		t.Fatal(err)
	}

	multi, err := NewStatic(
		PublicKey{Key: &rsaKey.PublicKey, KeyID: "rsa"},
		PublicKey{Key: &ecKey.PublicKey, KeyID: "ec"},
		PublicKey{Key: &other.PublicKey, KeyID: "rs512-only", Algorithm: "RS512"},
	)
	if err != nil {
		t.Fatal(err)
	}
	single, err := NewStatic(PublicKey{Key: &rsaKey.PublicKey, KeyID: "rsa"})
	if err != nil {
		t.Fatal(err)
	}
	anonymous, err := NewStatic(PublicKey{Key: &rsaKey.PublicKey})
	if err != nil {
		t.Fatal(err)
	}

	valid := sign(t, "RS256", rsaKey, map[string]any{"kid": "rsa"}, payload)
	parts := bytes.Split(valid, []byte("."))
	tampered := bytes.Join([][]byte{parts[0], []byte("eyJzdWIiOiI0MyJ9"), parts[2]}, []byte("."))
	badSig := append(bytes.Clone(valid[:len(valid)-4]), []byte("AAAA")...)

	tests := []struct {
		name  string
		set   *Static
		token []byte
		algs  []string
		want  error
	}{
		{name: "RS256 by kid", set: multi, token: valid},
		{name: "RS256 listed with others", set: multi, token: valid, algs: []string{"ES256", "RS256"}},
		{name: "ES256 by kid", set: multi, algs: []string{"ES256"},
			token: sign(t, "ES256", ecKey, map[string]any{"kid": "ec"}, payload)},
		{name: "PS256 with RSA key", set: multi, algs: []string{"PS256"},
			token: sign(t, "PS256", rsaKey, map[string]any{"kid": "rsa"}, payload)},
		{name: "no kid, one key", set: single, token: sign(t, "RS256", rsaKey, nil, payload)},
		{name: "any kid, one key without KeyID", set: anonymous, token: valid},
		{name: "jku header ignored", set: multi,
			token: sign(t, "RS256", rsaKey, map[string]any{"kid": "rsa", "jku": "http://127.0.0.1:1/evil.json"}, payload)},

		{name: "alg none", set: multi, want: ErrAlgorithm,
			token: craft(map[string]any{"alg": "none", "kid": "rsa"}, payload, nil)},
		{name: "alg none even if listed", set: multi, want: ErrAlgorithm, algs: []string{"none", "RS256"},
			token: craft(map[string]any{"alg": "none", "kid": "rsa"}, payload, nil)},
		{name: "HS256 keyed with the RSA public key PEM", set: single, want: ErrAlgorithm,
			token: sign(t, "HS256", pubPEM, map[string]any{"kid": "rsa"}, payload)},
		{name: "HS256 even if listed", set: single, want: ErrAlgorithm, algs: []string{"HS256", "RS256"},
			token: sign(t, "HS256", pubPEM, map[string]any{"kid": "rsa"}, payload)},
		{name: "HS256 keyed with DER, no kid", set: anonymous, want: ErrAlgorithm, algs: []string{"HS256"},
			token: sign(t, "HS256", pubDER, nil, payload)},
		{name: "RS256 but only ES256 allowed", set: multi, token: valid, algs: []string{"ES256"}, want: ErrAlgorithm},
		{name: "RS512 not in default list", set: multi, want: ErrAlgorithm,
			token: sign(t, "RS512", rsaKey, map[string]any{"kid": "rsa"}, payload)},
		{name: "ES256 header on RSA key", set: multi, algs: []string{"ES256", "RS256"}, want: ErrAlgorithm,
			token: sign(t, "ES256", ecKey, map[string]any{"kid": "rsa"}, payload)},
		{name: "RS256 header on EC key", set: multi, algs: []string{"ES256", "RS256"}, want: ErrAlgorithm,
			token: sign(t, "RS256", rsaKey, map[string]any{"kid": "ec"}, payload)},
		{name: "ES384 header on P-256 key", set: multi, algs: []string{"ES384"}, want: ErrAlgorithm,
			token: sign(t, "ES384", testEC(t, elliptic.P384()), map[string]any{"kid": "ec"}, payload)},
		{name: "key pinned to RS512", set: multi, want: ErrAlgorithm,
			token: sign(t, "RS256", other, map[string]any{"kid": "rs512-only"}, payload)},
		{name: "unknown alg", set: multi, want: ErrAlgorithm,
			token: craft(map[string]any{"alg": "XS256", "kid": "rsa"}, payload, []byte("sig"))},
		{name: "no kid, several keys", set: multi, want: ErrNoKID, token: sign(t, "RS256", rsaKey, nil, payload)},
		{name: "unknown kid", set: multi, want: ErrUnknownKID,
			token: sign(t, "RS256", rsaKey, map[string]any{"kid": "nope"}, payload)},
		{name: "other key under our kid", set: multi, want: ErrSignature,
			token: sign(t, "RS256", other, map[string]any{"kid": "rsa"}, payload)},
		{name: "jku and jwk headers do not bring keys", set: multi, want: ErrSignature,
			token: sign(t, "RS256", other, map[string]any{"kid": "rsa", "jku": "http://127.0.0.1:1/k", "jwk": attackerJWK}, payload)},
		{name: "tampered payload", set: multi, token: tampered, want: ErrSignature},
		{name: "tampered signature", set: multi, token: badSig, want: ErrSignature},
		{name: "empty signature", set: multi, want: ErrSignature,
			token: bytes.Join([][]byte{parts[0], parts[1], nil}, []byte("."))},
		{name: "truncated token", set: multi, token: valid[:len(parts[0])+len(parts[1])+1], want: ErrMalformed},
		{name: "four parts", set: multi, token: append(bytes.Clone(valid), []byte(".x")...), want: ErrMalformed},
		{name: "garbage", set: multi, token: []byte("not a token"), want: ErrMalformed},
		{name: "garbage header", set: multi, token: []byte("!!!.e30.AAAA"), want: ErrMalformed},
		{name: "header not JSON", set: multi, token: []byte("bm90anNvbg.e30.AAAA"), want: ErrMalformed},
		{name: "empty", set: multi, token: nil, want: ErrMalformed},
		{name: "JSON serialization", set: multi, want: ErrMalformed,
			token: []byte(`{"payload":"` + string(parts[1]) + `","protected":"` + string(parts[0]) + `","signature":"` + string(parts[2]) + `"}`)},
		{name: "crit header", set: multi, want: ErrMalformed,
			token: sign(t, "RS256", rsaKey, map[string]any{"kid": "rsa", "crit": []string{"exp"}, "exp": 1}, payload)},
		{name: "b64 false", set: multi, want: ErrMalformed,
			token: craft(map[string]any{"alg": "RS256", "kid": "rsa", "b64": false}, payload, []byte("sig"))},
		{name: "zero Static", set: &Static{}, token: valid, want: ErrUnknownKID},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := tc.set.Verify(context.Background(), tc.token, tc.algs)
			wantErr(t, err, tc.want)
			if tc.want == nil && !bytes.Equal(got, payload) {
				t.Fatalf("got payload %q, want %q", got, payload)
			}
			if tc.want != nil && got != nil {
				t.Fatalf("got payload %q with error %v, want none", got, err)
			}
			if err != nil && !strings.HasPrefix(err.Error(), "jwks: ") {
				t.Errorf("error %q lacks the jwks: prefix", err)
			}
		})
	}
}

func TestNewStatic(t *testing.T) {
	t.Parallel()
	small := mustRSA(t, 1024)
	rsaKey := testRSA(t, 0)
	tests := []struct {
		name string
		keys []PublicKey
		ok   bool
	}{
		{name: "one RSA key", keys: []PublicKey{{Key: &rsaKey.PublicKey}}, ok: true},
		{name: "two keys with kids", keys: []PublicKey{{Key: &rsaKey.PublicKey, KeyID: "a"}, {Key: &testRSA(t, 1).PublicKey, KeyID: "b"}}, ok: true},
		{name: "no keys"},
		{name: "nil key", keys: []PublicKey{{KeyID: "a"}}},
		{name: "private key", keys: []PublicKey{{Key: rsaKey, KeyID: "a"}}},
		{name: "symmetric key", keys: []PublicKey{{Key: []byte("secret"), KeyID: "a"}}},
		{name: "RSA 1024", keys: []PublicKey{{Key: &small.PublicKey, KeyID: "a"}}},
		{name: "P-224", keys: []PublicKey{{Key: &testEC(t, elliptic.P224()).PublicKey, KeyID: "a"}}},
		{name: "several keys, one without kid", keys: []PublicKey{{Key: &rsaKey.PublicKey, KeyID: "a"}, {Key: &testRSA(t, 1).PublicKey}}},
		{name: "duplicate kid", keys: []PublicKey{{Key: &rsaKey.PublicKey, KeyID: "a"}, {Key: &testRSA(t, 1).PublicKey, KeyID: "a"}}},
		{name: "alg HS256", keys: []PublicKey{{Key: &rsaKey.PublicKey, Algorithm: "HS256"}}},
		{name: "alg none", keys: []PublicKey{{Key: &rsaKey.PublicKey, Algorithm: "none"}}},
		{name: "alg ES256 on RSA key", keys: []PublicKey{{Key: &rsaKey.PublicKey, Algorithm: "ES256"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, err := NewStatic(tc.keys...)
			if tc.ok != (err == nil) {
				t.Fatalf("got err %v, want ok=%v", err, tc.ok)
			}
			if err != nil && !strings.HasPrefix(err.Error(), "jwks: ") {
				t.Errorf("error %q lacks the jwks: prefix", err)
			}
			if err == nil && len(s.PublicKeys()) != len(tc.keys) {
				t.Errorf("got %d keys, want %d", len(s.PublicKeys()), len(tc.keys))
			}
		})
	}
}

func TestErrorsClipHeaderValues(t *testing.T) {
	t.Parallel()
	key := testRSA(t, 0)
	set, err := NewStatic(pubOf(key, "a"), pubOf(testRSA(t, 1), "b"))
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("k", 10_000)
	for name, tok := range map[string][]byte{
		"kid": sign(t, "RS256", key, map[string]any{"kid": long}, testPayload),
		"alg": craft(map[string]any{"alg": long, "kid": "a"}, testPayload, []byte("x")),
	} {
		_, err := set.Verify(context.Background(), tok, nil)
		if err == nil {
			t.Fatalf("%s: got success", name)
		}
		if n := len(err.Error()); n > 200 {
			t.Errorf("%s: got an error of %d bytes, want a short one", name, n)
		}
	}
}
