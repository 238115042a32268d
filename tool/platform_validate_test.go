package tool

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestValidate_PublicKey: a registration's public_key must parse as a
// public key (PEM, JWK or JWKS), so that a store refuses a key that could
// never verify a launch when it is added or loaded, not at the launch.
func TestValidate_PublicKey(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pub := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	privDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	priv := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: privDER}))
	tests := []struct {
		name, key string
		ok        bool
	}{
		{"PEM public key", pub, true},
		{"JWK", `{"kty":"EC","crv":"P-256","x":"` + base64.RawURLEncoding.EncodeToString(key.X.FillBytes(make([]byte, 32))) + `","y":"` + base64.RawURLEncoding.EncodeToString(key.Y.FillBytes(make([]byte, 32))) + `"}`, true},
		{"text", "not a key", false},
		{"truncated PEM", pub[:len(pub)/2], false},
		{"PEM with a corrupt body", strings.Replace(pub, "M", "!", 3), false},
		{"private key", priv, false},
		{"two PEM keys", pub + pub, false},
		{"symmetric JWK", `{"kty":"oct","k":"c2VjcmV0"}`, false},
		{"empty JWK", `{}`, false},
		{"empty key set", `{"keys":[]}`, false},
		{"only spaces", "   ", false},
	}
	for _, tt := range tests {
		p := testPlatform()
		p.JWKSURL, p.PublicKey = "", tt.key
		err := p.Validate()
		if (err == nil) != tt.ok {
			t.Errorf("%s: Validate = %v, want ok %v", tt.name, err, tt.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "public_key") {
			t.Errorf("%s: %v does not name public_key", tt.name, err)
		}
	}

	// The stores refuse it up front: when added, and when a file holds it.
	bad := testPlatform()
	bad.PublicKey = "not a key"
	m, _ := NewMemoryPlatforms()
	if err := m.Add(context.Background(), bad); err == nil || !strings.Contains(err.Error(), "public_key") {
		t.Errorf("MemoryPlatforms.Add = %v, want the public_key refused", err)
	}
	path := filepath.Join(t.TempDir(), "registrations.json")
	doc := `{"platforms":[{"issuer":"https://lms.example","client_id":"c1","deployment_ids":["1"],"auth_url":"https://lms.example/auth","public_key":"not a key"}]}`
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenPlatforms(path); err == nil || !strings.Contains(err.Error(), "public_key") {
		t.Errorf("OpenPlatforms = %v, want the public_key refused", err)
	}
}
