package tool

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// tokenCache keeps one service token per (registration, deployment, scope
// set) until shortly before it expires (SEC-CC-06). Concurrent callers that
// find no usable token share one token request: it runs detached from any
// one caller's context, and each caller waits on its own. The zero value is
// ready; it is safe for concurrent use.
type tokenCache struct {
	mu     sync.Mutex
	tokens map[string]*serviceToken
	flight singleflight.Group
}

// pruneAbove is the cache size from which expired tokens are dropped when a
// new one is stored (Canvas mints a deployment per course, and tokens are
// kept per deployment).
const pruneAbove = 256

// tokenKey names a cache entry. scopes are sorted and deduplicated.
func tokenKey(p *Platform, deploymentID string, scopes []string) string {
	return strings.Join([]string{p.Issuer, p.ClientID, deploymentID, p.TokenURL, p.TokenAudience,
		strings.Join(scopes, " ")}, "\x00")
}

// lookup returns the cached token for key if it may still be used at now.
func (c *tokenCache) lookup(key string, now time.Time) *serviceToken {
	c.mu.Lock()
	defer c.mu.Unlock()
	if tok := c.tokens[key]; tok != nil && now.Before(tok.reuse) {
		return tok
	}
	return nil
}

// store caches tok under key.
func (c *tokenCache) store(key string, tok *serviceToken, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.tokens == nil {
		c.tokens = make(map[string]*serviceToken)
	}
	if len(c.tokens) >= pruneAbove {
		for k, old := range c.tokens {
			if !now.Before(old.reuse) {
				delete(c.tokens, k)
			}
		}
	}
	c.tokens[key] = tok
}

// drop forgets tok, the token a service refused with 401, unless another
// caller has replaced it already.
func (c *tokenCache) drop(key string, tok *serviceToken) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.tokens[key] == tok {
		delete(c.tokens, key)
	}
}

// serviceToken returns a token of p for deploymentID and scopes (sorted,
// deduplicated), from the cache or from one shared token request.
func (t *Tool) serviceToken(ctx context.Context, p *Platform, deploymentID string, scopes []string) (*serviceToken, string, error) {
	c := &t.svc.tokens
	key := tokenKey(p, deploymentID, scopes)
	if tok := c.lookup(key, t.cfg.Now()); tok != nil {
		return tok, key, nil
	}
	ch := c.flight.DoChan(key, func() (any, error) {
		// A flight that ended just before this one began may have stored
		// a token already.
		if tok := c.lookup(key, t.cfg.Now()); tok != nil {
			return tok, nil
		}
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), tokenFetchTimeout)
		defer cancel()
		tok, err := t.fetchToken(fctx, p, deploymentID, scopes)
		if err != nil {
			return nil, err
		}
		c.store(key, tok, t.cfg.Now())
		return tok, nil
	})
	select {
	case r := <-ch:
		if r.Err != nil {
			return nil, key, r.Err
		}
		return r.Val.(*serviceToken), key, nil
	case <-ctx.Done():
		return nil, key, &Error{Code: CodeTokenRequestFailed, Detail: "gave up waiting for the token",
			Issuer: p.Issuer, ClientID: p.ClientID,
			Err: &ServiceError{Method: http.MethodPost, URL: p.TokenURL, Err: ctx.Err()}}
	}
}
