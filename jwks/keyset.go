package jwks

import (
	"context"
	"crypto"
)

// KeySet verifies compact JWS tokens against a set of public keys.
//
// Implementations must be safe for concurrent use by multiple goroutines.
type KeySet interface {
	// Verify checks token's signature with the key whose kid matches the
	// protected header, accepting only the algorithms in algs (nil or empty
	// means RS256 only; "none" and HS* are never accepted, even if listed).
	// It returns the payload bytes.
	//
	// The header's alg is never trusted alone: it must be in algs and fit
	// the selected key's type (RS* and PS* need RSA, ES* an EC key on the
	// matching curve, EdDSA Ed25519). The jku, jwk, x5u and x5c headers are
	// ignored. Errors wrap ErrMalformed, ErrNoKID, ErrUnknownKID,
	// ErrAlgorithm, ErrSignature or ErrFetch, or ctx's error when ctx ends
	// while Verify waits for a fetch.
	Verify(ctx context.Context, token []byte, algs []string) (payload []byte, err error)
}

// PublicKey is a verification key with its identity, as served in a JWKS.
type PublicKey struct {
	// Key is an *rsa.PublicKey (at least 2048 bits), an *ecdsa.PublicKey
	// (P-256, P-384 or P-521) or an ed25519.PublicKey.
	Key crypto.PublicKey
	// KeyID is the JWK "kid". It may be empty only for the sole key of a
	// set.
	KeyID string
	// Algorithm optionally pins the key to one JWS algorithm (JWK "alg").
	// Empty means any allowed algorithm that fits the key type.
	Algorithm string
}
