package jwks

import (
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func pemOf(t testing.TB, typ string, der []byte) []byte {
	t.Helper()
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func pkcs8(t testing.TB, k any) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return pemOf(t, "PRIVATE KEY", der)
}

func pkcs1(t testing.TB, k *rsa.PrivateKey) []byte {
	return pemOf(t, "RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(k))
}

func TestLoadKeyDirGeneratesAndReloads(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "keys", "tool")
	r1, err := LoadKeyDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o700 {
		t.Errorf("got dir mode %o, want 700", got)
	}
	kid := r1.Active().ID
	fi, err = os.Stat(filepath.Join(dir, kid+".pem"))
	if err != nil {
		t.Fatalf("key file: %v", err)
	}
	if got := fi.Mode().Perm(); got != 0o600 {
		t.Errorf("got key file mode %o, want 600", got)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("got %d files in %s, want 1 (no temporary files left)", len(entries), dir)
	}
	if want := mustThumbprint(t, r1.Active()); kid != want {
		t.Errorf("got kid %q, want thumbprint %q", kid, want)
	}

	r2, err := LoadKeyDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if r2.Active().ID != kid {
		t.Fatalf("reload: got active %q, want %q", r2.Active().ID, kid)
	}
	if !r2.Active().Signer.(*rsa.PrivateKey).Equal(r1.Active().Signer) {
		t.Fatal("reload: got a different key")
	}
	// The existing empty directory case: no chmod of a directory we did not create.
	empty := t.TempDir()
	if err := os.Chmod(empty, 0o750); err != nil {
		t.Fatal(err)
	}
	r3, err := LoadKeyDir(empty)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(empty, r3.Active().ID+".pem")); err != nil {
		t.Fatal(err)
	}
}

func TestLoadKeyDirActiveKey(t *testing.T) {
	t.Parallel()
	a, b, c := testRSA(t, 0), testRSA(t, 1), testEC(t, elliptic.P256())
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	type file struct {
		name string
		data []byte
		age  time.Duration // older files have larger ages
	}
	tests := []struct {
		name       string
		files      []file
		wantActive string
		wantKeys   int
		wantErr    string
	}{
		{name: "newest wins", wantActive: "new", wantKeys: 3, files: []file{
			{"old.pem", pkcs1(t, a), 2 * time.Hour}, {"new.pem", pkcs8(t, b), 0}, {"mid.pem", pkcs8(t, c), time.Hour}}},
		{name: "active file wins", wantActive: "old", wantKeys: 2, files: []file{
			{"old.pem", pkcs1(t, a), time.Hour}, {"new.pem", pkcs8(t, b), 0}, {"active", []byte("old\n"), 0}}},
		{name: "same mtime: last name", wantActive: "b", wantKeys: 2, files: []file{
			{"a.pem", pkcs1(t, a), 0}, {"b.pem", pkcs1(t, b), 0}}},
		{name: "other files ignored", wantActive: "k", wantKeys: 1, files: []file{
			{"k.pem", pkcs1(t, a), 0}, {"README", []byte("hi"), 0}, {"k.pem.bak", []byte("junk"), 0}, {".hidden.pem", []byte("junk"), 0}}},

		{name: "active names a missing key", wantErr: "no ghost.pem", files: []file{
			{"k.pem", pkcs1(t, a), 0}, {"active", []byte("ghost"), 0}}},
		{name: "garbage pem", wantErr: "bad.pem", files: []file{
			{"k.pem", pkcs1(t, a), 0}, {"bad.pem", []byte("not a key"), 0}}},
		{name: "public key pem", wantErr: "want a private key", files: []file{
			{"pub.pem", pemOf(t, "RSA PUBLIC KEY", x509.MarshalPKCS1PublicKey(&a.PublicKey)), 0}}},
		{name: "weak key", wantErr: "1024 bits", files: []file{
			{"weak.pem", pkcs1(t, mustRSA(t, 1024)), 0}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			for _, f := range tc.files {
				p := filepath.Join(dir, f.name)
				if err := os.WriteFile(p, f.data, 0o600); err != nil {
					t.Fatal(err)
				}
				mt := base.Add(-f.age)
				if err := os.Chtimes(p, mt, mt); err != nil {
					t.Fatal(err)
				}
			}
			r, err := LoadKeyDir(dir)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.HasPrefix(err.Error(), "jwks: ") {
					t.Fatalf("got err %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := r.Active().ID; got != tc.wantActive {
				t.Errorf("got active %q, want %q", got, tc.wantActive)
			}
			if got := len(r.PublicKeys()); got != tc.wantKeys {
				t.Errorf("got %d keys, want %d", got, tc.wantKeys)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != len(tc.files) {
				t.Errorf("LoadKeyDir wrote files into a directory that had keys")
			}
		})
	}
	t.Run("not a directory", func(t *testing.T) {
		t.Parallel()
		f := filepath.Join(t.TempDir(), "file")
		if err := os.WriteFile(f, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadKeyDir(f); err == nil {
			t.Fatal("got nil error")
		}
		if _, err := LoadKeyDir(""); err == nil {
			t.Fatal("empty dir: got nil error")
		}
	})
}

func TestLoadPEM(t *testing.T) {
	t.Parallel()
	a := testRSA(t, 0)
	ec := testEC(t, elliptic.P384())
	ecDER, err := x509.MarshalECPrivateKey(ec)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		kid     string
		pem     []byte
		wantAlg string
		wantErr bool
	}{
		{name: "PKCS#1", kid: "k", pem: pkcs1(t, a), wantAlg: "RS256"},
		{name: "PKCS#8", kid: "k", pem: pkcs8(t, a), wantAlg: "RS256"},
		{name: "SEC 1 EC", kid: "k", pem: pemOf(t, "EC PRIVATE KEY", ecDER), wantAlg: "ES384"},
		{name: "PKCS#8 Ed25519", kid: "k", pem: pkcs8(t, mustEd25519(t)), wantAlg: "EdDSA"},
		{name: "empty kid uses thumbprint", pem: pkcs1(t, a), wantAlg: "RS256"},

		{name: "garbage", kid: "k", pem: []byte("garbage"), wantErr: true},
		{name: "empty", kid: "k", wantErr: true},
		{name: "public key", kid: "k", pem: pemOf(t, "PUBLIC KEY", mustPKIX(t, &a.PublicKey)), wantErr: true},
		{name: "certificate type with junk", kid: "k", pem: pemOf(t, "CERTIFICATE", []byte("junk")), wantErr: true},
		{name: "corrupt DER", kid: "k", pem: pemOf(t, "RSA PRIVATE KEY", []byte("junk")), wantErr: true},
		{name: "two keys", kid: "k", pem: append(pkcs1(t, a), pkcs1(t, testRSA(t, 1))...), wantErr: true},
		{name: "RSA 1024", kid: "k", pem: pkcs1(t, mustRSA(t, 1024)), wantErr: true},
		{name: "P-224", kid: "k", pem: pkcs8(t, testEC(t, elliptic.P224())), wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			k, err := LoadPEM(tc.kid, tc.pem)
			if tc.wantErr {
				if err == nil || !strings.HasPrefix(err.Error(), "jwks: ") {
					t.Fatalf("got err %v, want a jwks: error", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if k.Algorithm != tc.wantAlg {
				t.Errorf("got alg %q, want %q", k.Algorithm, tc.wantAlg)
			}
			wantID := tc.kid
			if wantID == "" {
				wantID = mustThumbprint(t, k)
			}
			if k.ID != wantID {
				t.Errorf("got ID %q, want %q", k.ID, wantID)
			}
			if _, err := NewKeyRing(k); err != nil {
				t.Errorf("loaded key rejected by NewKeyRing: %v", err)
			}
		})
	}
}

func mustThumbprint(t testing.TB, k Key) string {
	t.Helper()
	tp, err := thumbprint(k.Signer.Public())
	if err != nil {
		t.Fatal(err)
	}
	return tp
}

func mustPKIX(t testing.TB, pub any) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return der
}
