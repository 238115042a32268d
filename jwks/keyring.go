package jwks

import (
	"crypto"
	"fmt"
	"net/http"
	"strconv"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jws"
)

// Key is one of the tool's own signing keys.
type Key struct {
	// ID is the kid published in the JWKS and put in signed headers.
	// Required.
	ID string
	// Algorithm is the JWS algorithm. Default: RS256 for RSA keys (ES256,
	// ES384 or ES512 by curve for EC keys, EdDSA for Ed25519).
	Algorithm string
	// Signer holds the private key: an *rsa.PrivateKey (at least 2048
	// bits), or any crypto.Signer, such as a KMS-backed key, whose Public
	// method returns a supported public key.
	Signer crypto.Signer
}

// KeyRing holds the tool's keys: one active key that signs, plus other
// published keys (the next key before a rotation, retired keys after one)
// whose public parts stay in the JWKS so platforms can verify tokens signed
// with them.
//
// A KeyRing is immutable once built and safe for concurrent use; to rotate,
// build a new one (for instance with [LoadKeyDir] after changing the active
// file) and swap it in.
type KeyRing struct {
	active  Key
	keys    []Key // active first
	pub     []PublicKey
	handler http.Handler
}

// NewKeyRing returns a key ring that signs with active and publishes active
// and published. It validates every key: ID non-empty and unique, Signer
// set, Algorithm supported (RS*, PS*, ES*, EdDSA; never none or HS*) and
// fitting the key, RSA keys of at least 2048 bits.
func NewKeyRing(active Key, published ...Key) (*KeyRing, error) {
	all := append([]Key{active}, published...)
	r := &KeyRing{keys: make([]Key, 0, len(all)), pub: make([]PublicKey, 0, len(all))}
	seen := make(map[string]bool, len(all))
	for i, k := range all {
		if k.ID == "" {
			return nil, fmt.Errorf("jwks: key #%d has no ID", i)
		}
		if seen[k.ID] {
			return nil, fmt.Errorf("jwks: duplicate key ID %q", k.ID)
		}
		seen[k.ID] = true
		if k.Signer == nil {
			return nil, fmt.Errorf("jwks: key %q has no Signer", k.ID)
		}
		pub := k.Signer.Public()
		if k.Algorithm == "" {
			k.Algorithm = defaultAlgFor(pub)
		}
		if _, err := newVerKey(pub, k.ID, k.Algorithm); err != nil {
			return nil, err
		}
		r.keys = append(r.keys, k)
		r.pub = append(r.pub, PublicKey{Key: pub, KeyID: k.ID, Algorithm: k.Algorithm})
	}
	r.active = r.keys[0]
	body, err := marshalJWKS(r.pub)
	if err != nil {
		return nil, err
	}
	r.handler = jwksHandler{body: body, length: strconv.Itoa(len(body))}
	return r, nil
}

// Active returns the key that signs.
func (r *KeyRing) Active() Key { return r.active }

// Sign signs payload with the active key and returns a compact JWS whose
// protected header is {"alg", "kid", "typ":"JWT"}.
func (r *KeyRing) Sign(payload []byte) ([]byte, error) {
	h := jws.NewHeaders()
	if err := h.Set(jws.KeyIDKey, r.active.ID); err != nil {
		return nil, fmt.Errorf("jwks: sign: %w", err)
	}
	if err := h.Set(jws.TypeKey, "JWT"); err != nil {
		return nil, fmt.Errorf("jwks: sign: %w", err)
	}
	tok, err := jws.Sign(payload, jws.WithKey(jwa.SignatureAlgorithm(r.active.Algorithm), r.active.Signer, jws.WithProtectedHeaders(h)))
	if err != nil {
		return nil, fmt.Errorf("jwks: sign with key %q: %w", r.active.ID, err)
	}
	return tok, nil
}

// PublicKeys returns the public parts of every key, the active one first.
// Pass them to [NewStatic] to verify what the ring signs.
func (r *KeyRing) PublicKeys() []PublicKey {
	return append([]PublicKey(nil), r.pub...)
}

// Handler serves the ring's public keys as a JWKS document; see [Handler].
func (r *KeyRing) Handler() http.Handler { return r.handler }
