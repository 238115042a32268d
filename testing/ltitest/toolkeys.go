package ltitest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/ltikit/ltikit/jwks"
)

// The tool's keys: the platform verifies what the tool signs (client
// assertions at the token endpoint, deep-linking responses) with the key set
// the tool publishes at its JWKS URL, as an LMS administrator enters it in
// the tool's registration ("Public keyset URL").

// WithToolJWKSURL sets the URL where the tool publishes its public keys
// (the tool's JWKS, such as the one tool.Tool.JWKSHandler serves); see
// [Platform.SetToolJWKSURL].
func WithToolJWKSURL(u string) Option { return func(o *options) { o.toolJWKSURL = u } }

// SetToolJWKSURL sets the URL where the tool publishes its public keys, such
// as "http://127.0.0.1:8000/.well-known/jwks.json". The platform fetches the
// key set when it first needs it and again, once, whenever a token does not
// verify with the keys it has (an unknown kid or a bad signature), as Moodle
// does, so the tool may rotate its keys. Until it is set, the token
// endpoint refuses every client assertion.
func (p *Platform) SetToolJWKSURL(u string) {
	if err := p.e.updateRegistration(p.ClientID, func(r *registration) { r.jwksURL = u }); err != nil {
		panic(err) // the platform's own registration always exists
	}
}

// maxJWKSSize bounds the tool's key set document.
const maxJWKSSize = 1 << 20

// Errors of verifyToolJWS, besides those of jwks (ErrNoKID, ErrUnknownKID,
// ErrAlgorithm, ErrSignature, ErrMalformed).
var (
	errNoToolJWKSURL = errors.New("the platform has no keyset URL for the tool (ltitest.WithToolJWKSURL)")
	errToolJWKS      = errors.New("the tool's key set could not be fetched")
)

// toolKeys caches the key sets fetched from tools' JWKS URLs. It is safe for
// concurrent use.
type toolKeys struct {
	client *http.Client
	mu     sync.Mutex
	sets   map[string]*jwks.Static // by URL
}

func newToolKeys() *toolKeys {
	return &toolKeys{client: &http.Client{Timeout: 10 * time.Second}, sets: make(map[string]*jwks.Static)}
}

// verifyToolJWS verifies token, a compact JWS the tool clientID signed, with
// the tool's published keys and RS256, the only algorithm Moodle accepts.
// It returns the payload. The kid is required, as with Moodle's keyset
// URLs. Errors wrap errNoToolJWKSURL, errToolJWKS or the jwks sentinels.
func (e *engine) verifyToolJWS(ctx context.Context, clientID, token string) ([]byte, error) {
	reg, ok := e.registration(clientID)
	if !ok {
		return nil, fmt.Errorf("ltitest: no tool registered with client_id %q", clientID)
	}
	if reg.jwksURL == "" {
		return nil, errNoToolJWKSURL
	}
	if hdr, _ := decodeJWS(token); hdr == nil {
		return nil, jwks.ErrMalformed
	} else if kid, _ := hdr["kid"].(string); kid == "" {
		return nil, jwks.ErrNoKID
	}
	set, fresh, err := e.toolKeys.get(ctx, reg.jwksURL, false)
	if err != nil {
		return nil, err
	}
	algs := []string{"RS256"}
	payload, err := set.Verify(ctx, []byte(token), algs)
	if err != nil && !fresh && (errors.Is(err, jwks.ErrUnknownKID) || errors.Is(err, jwks.ErrSignature)) {
		// Moodle re-downloads the key set when a token does not verify.
		if set, _, ferr := e.toolKeys.get(ctx, reg.jwksURL, true); ferr == nil {
			payload, err = set.Verify(ctx, []byte(token), algs)
		}
	}
	return payload, err
}

// get returns the key set at u, fetching it when it is not cached or when
// refresh is set; fresh reports whether it was just fetched.
func (k *toolKeys) get(ctx context.Context, u string, refresh bool) (set *jwks.Static, fresh bool, err error) {
	k.mu.Lock()
	set = k.sets[u]
	k.mu.Unlock()
	if set != nil && !refresh {
		return set, false, nil
	}
	set, err = k.fetch(ctx, u)
	if err != nil {
		return nil, false, err
	}
	k.mu.Lock()
	k.sets[u] = set
	k.mu.Unlock()
	return set, true, nil
}

func (k *toolKeys) fetch(ctx context.Context, u string) (*jwks.Static, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errToolJWKS, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := k.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errToolJWKS, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKSSize+1))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errToolJWKS, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%w: GET %s: %s", errToolJWKS, u, resp.Status)
	}
	if len(body) > maxJWKSSize {
		return nil, fmt.Errorf("%w: GET %s: larger than %d bytes", errToolJWKS, u, maxJWKSSize)
	}
	set, err := jwks.ParsePublicKey(string(body))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errToolJWKS, err)
	}
	return set, nil
}
