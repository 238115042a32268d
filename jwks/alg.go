package jwks

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"fmt"
)

// minRSABits is the smallest RSA modulus this package accepts, both for
// verification keys and for the tool's own signing keys.
const minRSABits = 2048

// defaultAlg is the only algorithm accepted when the caller passes no list,
// following the LTI security framework and go-oidc.
const defaultAlg = "RS256"

// keyKind is the family of a public key.
type keyKind uint8

const (
	kindRSA keyKind = iota + 1
	kindEC
	kindEd25519
)

// algSpec is what an algorithm needs from a key.
type algSpec struct {
	kind  keyKind
	curve elliptic.Curve // kindEC only
}

// algSpecFor returns the key requirements of a supported JWS algorithm.
// "none", HS* and anything unknown are unsupported, whatever the caller
// allows.
func algSpecFor(alg string) (algSpec, bool) {
	switch alg {
	case "RS256", "RS384", "RS512", "PS256", "PS384", "PS512":
		return algSpec{kind: kindRSA}, true
	case "ES256":
		return algSpec{kind: kindEC, curve: elliptic.P256()}, true
	case "ES384":
		return algSpec{kind: kindEC, curve: elliptic.P384()}, true
	case "ES512":
		return algSpec{kind: kindEC, curve: elliptic.P521()}, true
	case "EdDSA":
		return algSpec{kind: kindEd25519}, true
	}
	return algSpec{}, false
}

// allowedAlg reports whether alg is supported and in algs (RS256 alone when
// algs is empty). It does not allocate.
func allowedAlg(algs []string, alg string) (algSpec, bool) {
	spec, ok := algSpecFor(alg)
	if !ok {
		return algSpec{}, false
	}
	if len(algs) == 0 {
		return spec, alg == defaultAlg
	}
	for _, a := range algs {
		if a == alg {
			return spec, true
		}
	}
	return algSpec{}, false
}

// defaultAlgFor picks the algorithm to publish for a key without one.
func defaultAlgFor(pub crypto.PublicKey) string {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P384():
			return "ES384"
		case elliptic.P521():
			return "ES512"
		}
		return "ES256"
	case ed25519.PublicKey:
		return "EdDSA"
	}
	return defaultAlg
}

// verKey is a public key converted once, when a set is built, into the raw
// form jws verifies with.
type verKey struct {
	kid   string
	alg   string // declared by the key; "" fits any algorithm of its kind
	kind  keyKind
	curve elliptic.Curve
	raw   crypto.PublicKey // *rsa.PublicKey, *ecdsa.PublicKey or ed25519.PublicKey
}

// newVerKey validates pub (type, size, curve, declared alg) and converts it.
func newVerKey(pub crypto.PublicKey, kid, alg string) (verKey, error) {
	k := verKey{kid: kid, alg: alg, raw: pub}
	switch p := pub.(type) {
	case *rsa.PublicKey:
		if p == nil || p.N == nil {
			return verKey{}, fmt.Errorf("jwks: key %q: empty RSA key", clip(kid))
		}
		if n := p.N.BitLen(); n < minRSABits {
			return verKey{}, fmt.Errorf("jwks: key %q: RSA key has %d bits, want at least %d", clip(kid), n, minRSABits)
		}
		k.kind = kindRSA
	case *ecdsa.PublicKey:
		if p == nil || p.Curve == nil {
			return verKey{}, fmt.Errorf("jwks: key %q: empty EC key", clip(kid))
		}
		switch p.Curve {
		case elliptic.P256(), elliptic.P384(), elliptic.P521():
		default:
			return verKey{}, fmt.Errorf("jwks: key %q: unsupported curve %s", clip(kid), p.Curve.Params().Name)
		}
		k.kind, k.curve = kindEC, p.Curve
	case ed25519.PublicKey:
		if len(p) != ed25519.PublicKeySize {
			return verKey{}, fmt.Errorf("jwks: key %q: bad Ed25519 key length %d", clip(kid), len(p))
		}
		k.kind = kindEd25519
	default:
		return verKey{}, fmt.Errorf("jwks: key %q: unsupported key type %T (want an RSA, EC or Ed25519 public key)", clip(kid), pub)
	}
	if alg != "" {
		spec, ok := algSpecFor(alg)
		if !ok {
			return verKey{}, fmt.Errorf("%w: key %q declares unsupported alg %q", ErrAlgorithm, clip(kid), clip(alg))
		}
		if !k.fitsSpec(spec) {
			return verKey{}, fmt.Errorf("%w: key %q declares alg %s, which does not fit a %s key", ErrAlgorithm, clip(kid), alg, k.describe())
		}
	}
	return k, nil
}

// fitsSpec reports whether the key's type (and curve) suits spec.
func (k *verKey) fitsSpec(spec algSpec) bool {
	return k.kind == spec.kind && (k.kind != kindEC || k.curve == spec.curve)
}

// fits reports whether the key may verify a signature made with alg.
func (k *verKey) fits(alg string, spec algSpec) bool {
	return k.fitsSpec(spec) && (k.alg == "" || k.alg == alg)
}

// describe names the key type for error messages.
func (k *verKey) describe() string {
	switch k.kind {
	case kindRSA:
		return "RSA"
	case kindEC:
		return "EC " + k.curve.Params().Name
	case kindEd25519:
		return "Ed25519"
	}
	return "unknown"
}
