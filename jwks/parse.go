package jwks

import (
	"bytes"
	"fmt"

	"github.com/lestrrat-go/jwx/v2/jwk"
)

// ParsePublicKey builds a [Static] key set from s, which holds one of:
//   - PEM: one "PUBLIC KEY", "RSA PUBLIC KEY" or "CERTIFICATE" block; the
//     key has no KeyID, so it verifies tokens whatever their kid;
//   - a JWK JSON object;
//   - a JWKS JSON document ({"keys":[...]}).
//
// Private keys are refused, so a secret pasted into a platform
// registration is reported instead of used.
func ParsePublicKey(s string) (*Static, error) {
	data := bytes.TrimSpace([]byte(s))
	if len(data) == 0 {
		return nil, fmt.Errorf("jwks: empty public key")
	}
	var (
		set jwk.Set
		err error
	)
	switch data[0] {
	case '-':
		set, err = jwk.Parse(data, jwk.WithPEM(true))
	case '{':
		set, err = jwk.Parse(data)
	default:
		return nil, fmt.Errorf("jwks: public key is neither PEM nor JSON")
	}
	if err != nil {
		return nil, fmt.Errorf("jwks: parse public key: %w", err)
	}
	if data[0] == '-' && set.Len() > 1 {
		return nil, fmt.Errorf("jwks: PEM holds %d keys, want one (use a JWKS with a kid per key)", set.Len())
	}
	keys := make([]PublicKey, 0, set.Len())
	for i := range set.Len() {
		k, _ := set.Key(i)
		pk, err := publicKeyOf(k, false)
		if err != nil {
			return nil, fmt.Errorf("jwks: key #%d: %w", i, err)
		}
		keys = append(keys, pk)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("jwks: no keys in public key set")
	}
	return NewStatic(keys...)
}

// publicKeyOf converts a parsed JWK into a PublicKey, refusing symmetric
// keys and keys not meant for signatures. A private key is refused unless
// allowPrivate, when only its public part is used.
func publicKeyOf(k jwk.Key, allowPrivate bool) (PublicKey, error) {
	switch k.KeyType() {
	case "RSA", "EC", "OKP":
	default:
		return PublicKey{}, fmt.Errorf("unsupported key type %q", k.KeyType())
	}
	private, err := jwk.IsPrivateKey(k)
	if err != nil {
		return PublicKey{}, err
	}
	if private {
		if !allowPrivate {
			return PublicKey{}, fmt.Errorf("got a private key; pass the public key only")
		}
		if k, err = k.PublicKey(); err != nil {
			return PublicKey{}, err
		}
	}
	if use := k.KeyUsage(); use != "" && use != string(jwk.ForSignature) {
		return PublicKey{}, fmt.Errorf("key %q has use %q, want %q", k.KeyID(), use, jwk.ForSignature)
	}
	var raw any
	if err := k.Raw(&raw); err != nil {
		return PublicKey{}, err
	}
	return PublicKey{Key: raw, KeyID: k.KeyID(), Algorithm: k.Algorithm().String()}, nil
}
