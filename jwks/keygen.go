package jwks

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/pem"
	"fmt"

	"github.com/lestrrat-go/jwx/v2/jwk"
)

// GenerateKey returns a new RSA 2048-bit key for RS256, whose ID is its
// RFC 7638 thumbprint (SHA-256, base64url).
func GenerateKey() (Key, error) {
	priv, err := rsa.GenerateKey(rand.Reader, minRSABits)
	if err != nil {
		return Key{}, fmt.Errorf("jwks: generate key: %w", err)
	}
	kid, err := thumbprint(priv.Public())
	if err != nil {
		return Key{}, err
	}
	return Key{ID: kid, Algorithm: defaultAlg, Signer: priv}, nil
}

// LoadPEM parses one PEM private key (PKCS#1 "RSA PRIVATE KEY", PKCS#8
// "PRIVATE KEY" or SEC 1 "EC PRIVATE KEY") as a Key with ID kid; an empty
// kid becomes the key's RFC 7638 thumbprint. The Algorithm is the default
// for the key type (RS256 for RSA). A PEM holding several keys is refused.
func LoadPEM(kid string, pemBytes []byte) (Key, error) {
	raw, rest, err := jwk.DecodePEM(pemBytes)
	if err != nil {
		return Key{}, fmt.Errorf("jwks: key %q: %w", kid, err)
	}
	if blk, _ := pem.Decode(bytes.TrimSpace(rest)); blk != nil {
		return Key{}, fmt.Errorf("jwks: key %q: PEM holds more than one block", kid)
	}
	var signer crypto.Signer
	switch k := raw.(type) {
	case *rsa.PrivateKey:
		signer = k
	case *ecdsa.PrivateKey:
		signer = k
	case ed25519.PrivateKey:
		signer = k
	default:
		return Key{}, fmt.Errorf("jwks: key %q: want a private key, got %T", kid, raw)
	}
	if kid == "" {
		if kid, err = thumbprint(signer.Public()); err != nil {
			return Key{}, err
		}
	}
	alg := defaultAlgFor(signer.Public())
	if _, err := newVerKey(signer.Public(), kid, alg); err != nil {
		return Key{}, err
	}
	return Key{ID: kid, Algorithm: alg, Signer: signer}, nil
}

// thumbprint returns the RFC 7638 SHA-256 thumbprint of pub, base64url.
func thumbprint(pub crypto.PublicKey) (string, error) {
	jk, err := jwk.FromRaw(pub)
	if err != nil {
		return "", fmt.Errorf("jwks: thumbprint: %w", err)
	}
	sum, err := jk.Thumbprint(crypto.SHA256)
	if err != nil {
		return "", fmt.Errorf("jwks: thumbprint: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(sum), nil
}
