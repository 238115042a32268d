package jwks

import (
	"context"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"strings"
	"testing"
	"time"
)

func TestParsePublicKey(t *testing.T) {
	t.Parallel()
	a, b := testRSA(t, 0), testRSA(t, 1)
	ec := testEC(t, elliptic.P256())
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "lms"},
		NotBefore: time.Unix(0, 0), NotAfter: time.Date(2049, 1, 1, 0, 0, 0, 0, time.UTC)}
	certDER, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &a.PublicKey, a)
	if err != nil {
		t.Fatal(err)
	}
	jwkA := jwkString(t, pubOf(a, "a"))
	jwkB := jwkString(t, pubOf(b, "b"))
	tokA := sign(t, "RS256", a, map[string]any{"kid": "a"}, testPayload)
	tokNoKID := sign(t, "RS256", a, nil, testPayload)

	tests := []struct {
		name     string
		in       string
		wantKeys int
		token    []byte // verifies when set
		wantErr  string
	}{
		{name: "PEM PKIX", in: string(pemOf(t, "PUBLIC KEY", mustPKIX(t, &a.PublicKey))), wantKeys: 1, token: tokA},
		{name: "PEM PKCS#1 with spaces", in: "\n  " + string(pemOf(t, "RSA PUBLIC KEY", x509.MarshalPKCS1PublicKey(&a.PublicKey))) + "\n", wantKeys: 1, token: tokNoKID},
		{name: "PEM certificate", in: string(pemOf(t, "CERTIFICATE", certDER)), wantKeys: 1, token: tokA},
		{name: "PEM EC", in: string(pemOf(t, "PUBLIC KEY", mustPKIX(t, &ec.PublicKey))), wantKeys: 1},
		{name: "JWK", in: jwkA, wantKeys: 1, token: tokA},
		{name: "JWKS", in: `{"keys":[` + jwkA + `,` + jwkB + `]}`, wantKeys: 2, token: tokA},

		{name: "two PEM keys", in: string(pemOf(t, "PUBLIC KEY", mustPKIX(t, &a.PublicKey))) + string(pemOf(t, "PUBLIC KEY", mustPKIX(t, &b.PublicKey))), wantErr: "2 keys"},
		{name: "garbage", in: "hello", wantErr: "neither PEM nor JSON"},
		{name: "empty", in: "  ", wantErr: "empty"},
		{name: "broken PEM", in: "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", wantErr: "parse"},
		{name: "broken JSON", in: `{"keys":[`, wantErr: "parse"},
		{name: "empty JWKS", in: `{"keys":[]}`, wantErr: "no keys"},
		{name: "private PEM", in: string(pkcs8(t, a)), wantErr: "private"},
		{name: "private JWK", in: privateJWK(t, a, "a"), wantErr: "private"},
		{name: "symmetric JWK", in: `{"kty":"oct","k":"c2VjcmV0"}`, wantErr: "unsupported key type"},
		{name: "encryption key", in: strings.Replace(jwkA, `"use":"sig"`, `"use":"enc"`, 1), wantErr: "use"},
		{name: "JWKS keys without kid", in: `{"keys":[` + strings.Replace(jwkA, `"kid":"a",`, "", 1) + `,` + jwkB + `]}`, wantErr: "KeyID"},
		{name: "RSA 1024", in: string(pemOf(t, "PUBLIC KEY", mustPKIX(t, &mustRSA(t, 1024).PublicKey))), wantErr: "1024"},
		{name: "JWK with HS256 alg", in: strings.Replace(jwkA, `"RS256"`, `"HS256"`, 1), wantErr: "HS256"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, err := ParsePublicKey(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.HasPrefix(err.Error(), "jwks: ") {
					t.Fatalf("got err %v, want a jwks: error containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := len(s.PublicKeys()); got != tc.wantKeys {
				t.Fatalf("got %d keys, want %d", got, tc.wantKeys)
			}
			if tc.token != nil {
				if _, err := s.Verify(context.Background(), tc.token, nil); err != nil {
					t.Fatalf("verify: %v", err)
				}
			}
		})
	}
}

// jwkString renders k as a public JWK with kid, alg and use.
func jwkString(t testing.TB, k PublicKey) string {
	t.Helper()
	doc, err := marshalJWKS([]PublicKey{k})
	if err != nil {
		t.Fatal(err)
	}
	s := string(doc)
	return s[len(`{"keys":[`) : len(s)-2]
}
