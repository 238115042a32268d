package jwks

import (
	"bytes"
	"context"
	"crypto/elliptic"
	"errors"
	"testing"
)

// FuzzVerify feeds arbitrary tokens to a Static set: Verify must never
// panic, must return the signed payload when it succeeds, and must classify
// every failure with one of the package's sentinels.
func FuzzVerify(f *testing.F) {
	key := testRSA(f, 0)
	ec := testEC(f, elliptic.P256())
	set, err := NewStatic(pubOf(key, "a"), pubOf(ec, "e"))
	if err != nil {
		f.Fatal(err)
	}
	payload := []byte(`{"sub":"fuzz"}`)
	valid := sign(f, "RS256", key, map[string]any{"kid": "a"}, payload)
	f.Add(valid)
	f.Add(sign(f, "ES256", ec, map[string]any{"kid": "e"}, payload))
	f.Add(sign(f, "HS256", []byte("secret"), map[string]any{"kid": "a"}, payload))
	f.Add(craft(map[string]any{"alg": "none", "kid": "a"}, payload, nil))
	f.Add(craft(map[string]any{"alg": "RS256", "kid": "a", "b64": false, "crit": []string{"b64"}}, payload, []byte("x")))
	f.Add(valid[:len(valid)/2])
	f.Add([]byte("a.b.c"))
	f.Add([]byte(".."))
	f.Add([]byte(`{"payload":"e30","signatures":[]}`))
	f.Add([]byte{})

	sentinels := []error{ErrMalformed, ErrNoKID, ErrUnknownKID, ErrAlgorithm, ErrSignature}
	algs := []string{"RS256", "ES256", "HS256", "none"}
	f.Fuzz(func(t *testing.T, token []byte) {
		got, err := set.Verify(context.Background(), token, algs)
		if err == nil {
			if !bytes.Equal(got, payload) {
				t.Fatalf("verified a payload nobody signed: %q", got)
			}
			return
		}
		for _, s := range sentinels {
			if errors.Is(err, s) {
				return
			}
		}
		t.Fatalf("unclassified error: %v", err)
	})
}
