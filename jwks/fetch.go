package jwks

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
)

// maxJWKSBytes bounds a fetched JWKS document.
const maxJWKSBytes = 1 << 20

// httpGetter adapts an *http.Client to jwk.HTTPClient: requests run on the
// cache's context (never a waiter's), the body is read in full, bounded and
// closed here, and non-200 replies become errors.
type httpGetter struct {
	ctx    context.Context
	client *http.Client
}

// Get implements jwk.HTTPClient.
func (g httpGetter) Get(u string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(g.ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("jwks: %w", err)
	}
	req.Header.Set("Accept", "application/jwk-set+json, application/json")
	res, err := g.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("jwks: GET %s: %w", u, err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 4<<10))
		return nil, fmt.Errorf("jwks: GET %s: status %s", u, res.Status)
	}
	body, err := io.ReadAll(io.LimitReader(res.Body, maxJWKSBytes+1))
	if err != nil {
		return nil, fmt.Errorf("jwks: GET %s: read body: %w", u, err)
	}
	if len(body) > maxJWKSBytes {
		return nil, fmt.Errorf("jwks: GET %s: document larger than %d bytes", u, maxJWKSBytes)
	}
	res.Body = io.NopCloser(bytes.NewReader(body))
	return res, nil
}
