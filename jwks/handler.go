package jwks

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"github.com/lestrrat-go/jwx/v2/jwk"
)

// handlerCacheControl is sent with every JWKS document.
const handlerCacheControl = "public, max-age=300"

// Handler serves keys as a JWKS document ({"keys":[{"kty","kid","alg",
// "use":"sig",...}]}), public parts only, even if a key's Key holds a
// private key. Keys without Algorithm get the default for their type
// (RS256, ES256/384/512 by curve, EdDSA). The document is rendered once; the
// handler answers GET and HEAD with Content-Type application/json and
// Cache-Control "public, max-age=300", and 405 to other methods. It is safe
// for concurrent use.
//
// Handler panics if a key is not an RSA, EC or Ed25519 key: that is a
// programming error, like a bad pattern for [http.ServeMux.Handle].
func Handler(keys ...PublicKey) http.Handler {
	body, err := marshalJWKS(keys)
	if err != nil {
		panic(err)
	}
	return jwksHandler{body: body, length: strconv.Itoa(len(body))}
}

// marshalJWKS renders the public JWKS document for keys.
func marshalJWKS(keys []PublicKey) ([]byte, error) {
	set := jwk.NewSet()
	for i, k := range keys {
		jk, err := jwk.PublicKeyOf(k.Key)
		if err != nil {
			return nil, fmt.Errorf("jwks: Handler: key #%d (%T): %w", i, k.Key, err)
		}
		switch jk.KeyType() {
		case "RSA", "EC", "OKP":
		default:
			return nil, fmt.Errorf("jwks: Handler: key #%d: unsupported key type %q", i, jk.KeyType())
		}
		alg := k.Algorithm
		if alg == "" {
			var raw any
			if err := jk.Raw(&raw); err != nil {
				return nil, fmt.Errorf("jwks: Handler: key #%d: %w", i, err)
			}
			alg = defaultAlgFor(raw)
		}
		if k.KeyID != "" {
			if err := jk.Set(jwk.KeyIDKey, k.KeyID); err != nil {
				return nil, fmt.Errorf("jwks: Handler: key #%d: %w", i, err)
			}
		}
		if err := jk.Set(jwk.AlgorithmKey, alg); err != nil {
			return nil, fmt.Errorf("jwks: Handler: key #%d: alg %q: %w", i, alg, err)
		}
		if err := jk.Set(jwk.KeyUsageKey, jwk.ForSignature); err != nil {
			return nil, fmt.Errorf("jwks: Handler: key #%d: %w", i, err)
		}
		if err := set.AddKey(jk); err != nil {
			return nil, fmt.Errorf("jwks: Handler: key #%d: %w", i, err)
		}
	}
	body, err := json.Marshal(set)
	if err != nil {
		return nil, fmt.Errorf("jwks: Handler: %w", err)
	}
	return body, nil
}

// jwksHandler serves a pre-rendered JWKS document.
type jwksHandler struct {
	body   []byte
	length string
}

// ServeHTTP implements http.Handler.
func (h jwksHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "application/json")
	hd.Set("Cache-Control", handlerCacheControl)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Content-Length", h.length)
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(h.body)
}
