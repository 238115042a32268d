package jwks

import (
	"context"
	"fmt"
)

// Static is a fixed key set: for tests and for platforms configured with a
// public key instead of a JWKS URL. Create it with [NewStatic] or
// [ParsePublicKey]; it never changes afterwards and is safe for concurrent
// use. The zero value holds no keys and rejects every token.
type Static struct {
	keys  []PublicKey
	ix    *keyIndex
	calls callPool
}

var _ KeySet = (*Static)(nil)

// NewStatic returns a key set holding keys. Every key must be a supported
// public key (RSA of at least 2048 bits, EC P-256/P-384/P-521 or Ed25519),
// and when there are several keys each needs a unique KeyID. A token
// without kid is accepted only when the set holds exactly one key.
func NewStatic(keys ...PublicKey) (*Static, error) {
	if len(keys) == 0 {
		return nil, fmt.Errorf("jwks: NewStatic needs at least one key")
	}
	vks := make([]verKey, 0, len(keys))
	seen := make(map[string]bool, len(keys))
	for i, k := range keys {
		if len(keys) > 1 {
			if k.KeyID == "" {
				return nil, fmt.Errorf("jwks: key #%d has no KeyID; several keys need one each", i)
			}
			if seen[k.KeyID] {
				return nil, fmt.Errorf("jwks: duplicate KeyID %q", k.KeyID)
			}
			seen[k.KeyID] = true
		}
		vk, err := newVerKey(k.Key, k.KeyID, k.Algorithm)
		if err != nil {
			return nil, err
		}
		vks = append(vks, vk)
	}
	return &Static{keys: append([]PublicKey(nil), keys...), ix: newKeyIndex(vks, false)}, nil
}

// Verify implements [KeySet]. It never does I/O; ctx is unused.
func (s *Static) Verify(ctx context.Context, token []byte, algs []string) ([]byte, error) {
	return verify(ctx, &s.calls, s, token, algs)
}

// PublicKeys returns a copy of the set's keys.
func (s *Static) PublicKeys() []PublicKey {
	return append([]PublicKey(nil), s.keys...)
}

// keysFor implements keySource.
func (s *Static) keysFor(_ context.Context, kid string) ([]verKey, error) {
	return s.ix.candidates(kid)
}
