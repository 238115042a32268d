package ltitest

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"strings"

	"github.com/ltikit/ltikit/jwks"
)

// The platform signs its tokens itself rather than through jwks.KeyRing:
// negative tests need headers and algorithms no sane signer produces.

// signJWS returns the compact JWS of claims under header, signed with key
// by the algorithm header["alg"] names when the platform can produce it,
// otherwise by key.Algorithm (see Message.MutateHeader).
func signJWS(key jwks.Key, header, claims map[string]any) (string, error) {
	h, err := marshalJSON(header)
	if err != nil {
		return "", fmt.Errorf("ltitest: header: %w", err)
	}
	c, err := marshalJSON(claims)
	if err != nil {
		return "", fmt.Errorf("ltitest: claims: %w", err)
	}
	input := b64(h) + "." + b64(c)
	alg, _ := header["alg"].(string)
	sig, err := signature(key, alg, []byte(input))
	if err != nil {
		return "", err
	}
	return input + "." + b64(sig), nil
}

// signature signs input with key under alg, falling back to key.Algorithm
// when alg does not fit the key.
func signature(key jwks.Key, alg string, input []byte) ([]byte, error) {
	if alg == "none" {
		return nil, nil
	}
	if h, ok := hashFor(alg, "HS"); ok {
		// Key confusion: HMAC keyed with the public key a verifier knows.
		der, err := x509.MarshalPKIXPublicKey(key.Signer.Public())
		if err != nil {
			return nil, fmt.Errorf("ltitest: %s: %w", alg, err)
		}
		mac := hmac.New(h.New, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
		mac.Write(input)
		return mac.Sum(nil), nil
	}
	if !fits(key, alg) {
		alg = key.Algorithm
	}
	switch {
	case strings.HasPrefix(alg, "RS"), strings.HasPrefix(alg, "PS"), strings.HasPrefix(alg, "ES"):
		h, ok := hashFor(alg, alg[:2])
		if !ok {
			break
		}
		d := h.New()
		d.Write(input)
		var opts crypto.SignerOpts = h
		if alg[:2] == "PS" {
			opts = &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: h}
		}
		sig, err := key.Signer.Sign(rand.Reader, d.Sum(nil), opts)
		if err != nil {
			return nil, fmt.Errorf("ltitest: sign %s: %w", alg, err)
		}
		if alg[:2] == "ES" {
			return rawECDSA(key.Signer.Public(), sig)
		}
		return sig, nil
	}
	return nil, fmt.Errorf("ltitest: cannot sign with algorithm %q", alg)
}

// fits reports whether key can sign under alg.
func fits(key jwks.Key, alg string) bool {
	switch key.Signer.Public().(type) {
	case *rsa.PublicKey:
		_, rs := hashFor(alg, "RS")
		_, ps := hashFor(alg, "PS")
		return rs || ps
	case *ecdsa.PublicKey:
		_, ok := hashFor(alg, "ES")
		return ok
	}
	return false
}

// hashFor returns the hash of alg if alg is family followed by 256, 384 or
// 512.
func hashFor(alg, family string) (crypto.Hash, bool) {
	switch alg {
	case family + "256":
		return crypto.SHA256, true
	case family + "384":
		return crypto.SHA384, true
	case family + "512":
		return crypto.SHA512, true
	}
	return 0, false
}

// rawECDSA converts an ASN.1 ECDSA signature to JWS's fixed-size r||s.
func rawECDSA(pub crypto.PublicKey, der []byte) ([]byte, error) {
	var rs struct{ R, S *big.Int }
	if _, err := asn1.Unmarshal(der, &rs); err != nil {
		return nil, fmt.Errorf("ltitest: ECDSA signature: %w", err)
	}
	ec, ok := pub.(*ecdsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("ltitest: ECDSA signature from a %T", pub)
	}
	size := (ec.Curve.Params().BitSize + 7) / 8
	out := make([]byte, 2*size)
	rs.R.FillBytes(out[:size])
	rs.S.FillBytes(out[size:])
	return out, nil
}

// decodeJWS decodes the header and claims of a compact JWS without
// verifying it. Either result is nil when it does not decode.
func decodeJWS(token string) (header, claims map[string]any) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, nil
	}
	dec := func(s string) map[string]any {
		b, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil {
			return nil
		}
		var m map[string]any
		d := json.NewDecoder(bytes.NewReader(b))
		d.UseNumber()
		if d.Decode(&m) != nil {
			return nil
		}
		return m
	}
	return dec(parts[0]), dec(parts[1])
}

// marshalJSON is json.Marshal without HTML escaping, so that URLs keep
// their & as platforms send them.
func marshalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
