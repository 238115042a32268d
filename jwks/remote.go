package jwks

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwk"
)

// errRateLimited is refresh's answer inside MinRefetchInterval.
var errRateLimited = errors.New("jwks: refetch rate-limited")

// waitError reports a caller that stopped waiting for a fetch; the fetch
// itself goes on. It unwraps to the caller's context error.
type waitError struct {
	url string
	err error
}

func (e *waitError) Error() string {
	return "jwks: gave up waiting for key set " + e.url + ": " + e.err.Error()
}

func (e *waitError) Unwrap() error { return e.err }

// inflight is one fetch shared by every goroutine waiting for it (the
// go-oidc remote key set design). ix and err are set before done closes.
type inflight struct {
	done chan struct{}
	ix   *keyIndex
	err  error
}

// remoteSet is the KeySet for one JWKS URL of a Cache. The converted keys
// live in an atomic pointer, so steady-state verification takes no lock
// and does no I/O; mu guards only the fetch bookkeeping.
type remoteSet struct {
	c      *Cache
	url    string
	regErr error // set once at creation: invalid URL or registration failure

	keys  atomic.Pointer[keyIndex] // last good keys; nil until a fetch succeeds
	calls callPool

	mu        sync.Mutex
	inflight  *inflight
	lastFetch time.Time // start of the last fetch this set ran (Cache.now)
	lastErr   error     // result of that fetch
}

var _ KeySet = (*remoteSet)(nil)

// Verify implements KeySet.
func (s *remoteSet) Verify(ctx context.Context, token []byte, algs []string) ([]byte, error) {
	return verify(ctx, &s.calls, s, token, algs)
}

// keysFor implements keySource: memory first, one fetch on first use, one
// rate-limited refetch on an unknown kid.
func (s *remoteSet) keysFor(ctx context.Context, kid string) ([]verKey, error) {
	if s.regErr != nil {
		return nil, fmt.Errorf("%w: %w", ErrFetch, s.regErr)
	}
	ix := s.keys.Load()
	if ix == nil {
		var err error
		if ix, err = s.refresh(ctx, nil, false); err != nil {
			return nil, s.firstFetchError(err)
		}
	}
	keys, err := ix.candidates(kid)
	if err != ErrUnknownKID { //nolint:errorlint // bare sentinel from candidates
		return keys, err
	}
	nix, err := s.refresh(ctx, ix, false)
	var we *waitError
	switch {
	case err == nil:
		return nix.candidates(kid)
	case errors.As(err, &we):
		return nil, err
	case err == errRateLimited: //nolint:errorlint // internal sentinel, never wrapped
		return nil, fmt.Errorf("%w %q (refetch skipped: rate-limited)", ErrUnknownKID, clip(kid))
	default:
		return nil, fmt.Errorf("%w %q; refetch failed, keeping the cached keys: %w", ErrUnknownKID, clip(kid), err)
	}
}

// firstFetchError maps a failed fetch when no keys were ever cached.
func (s *remoteSet) firstFetchError(err error) error {
	var we *waitError
	if errors.As(err, &we) {
		return err
	}
	if err == errRateLimited { //nolint:errorlint // internal sentinel, never wrapped
		s.mu.Lock()
		last := s.lastErr
		s.mu.Unlock()
		if last == nil {
			return fmt.Errorf("%w: %s: retry later", ErrFetch, s.url)
		}
		return fmt.Errorf("%w: %s (not retried yet): %w", ErrFetch, s.url, last)
	}
	return fmt.Errorf("%w: %s: %w", ErrFetch, s.url, err)
}

// refresh returns keys newer than seen. If another fetch already replaced
// seen it returns those keys; otherwise it joins the fetch in flight or,
// unless rate-limited (force skips the limit), starts one on the cache's
// context. The caller waits on its own ctx and may give up (waitError);
// the fetch then completes for the others.
func (s *remoteSet) refresh(ctx context.Context, seen *keyIndex, force bool) (*keyIndex, error) {
	s.mu.Lock()
	if cur := s.keys.Load(); cur != nil && cur != seen && !force {
		s.mu.Unlock()
		return cur, nil
	}
	f := s.inflight
	if f == nil {
		now := s.c.now()
		if !force && !s.lastFetch.IsZero() && now.Sub(s.lastFetch) < s.c.minRefetch {
			s.mu.Unlock()
			return nil, errRateLimited
		}
		s.lastFetch = now
		f = &inflight{done: make(chan struct{})}
		s.inflight = f
		go s.run(f)
	}
	s.mu.Unlock()

	select {
	case <-f.done:
		return f.ix, f.err
	case <-ctx.Done():
		return nil, &waitError{url: s.url, err: ctx.Err()}
	}
}

// run performs the fetch of f and publishes its result. jwk.Cache keeps
// its last good data on failure, and postFetch replaces s.keys only on
// success, so a failed fetch never drops the cached keys.
func (s *remoteSet) run(f *inflight) {
	_, err := s.c.jc.Refresh(s.c.ctx, s.url)
	var ix *keyIndex
	if err == nil {
		ix = s.keys.Load()
	} else {
		s.c.log.Warn("jwks: fetch failed", "url", s.url, "err", err, "cached_keys", s.keys.Load() != nil)
	}
	s.mu.Lock()
	f.ix, f.err = ix, err
	s.lastErr = err
	s.inflight = nil
	s.mu.Unlock()
	close(f.done)
}

// postFetch runs inside jwk.Cache after every successful fetch (ours and
// the background refreshes): it converts the set once into raw keys and
// publishes them. A set without usable keys counts as a failed fetch, so
// the last good keys stay.
func (s *remoteSet) postFetch(u string, set jwk.Set) (jwk.Set, error) {
	keys := make([]verKey, 0, set.Len())
	for i := range set.Len() {
		k, ok := set.Key(i)
		if !ok {
			continue
		}
		vk, err := remoteVerKey(k)
		if err != nil {
			s.c.log.Debug("jwks: skipping key", "url", u, "kid", clip(k.KeyID()), "err", err)
			continue
		}
		keys = append(keys, vk)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("jwks: %s holds no usable signing keys", u)
	}
	s.keys.Store(newKeyIndex(keys, true))
	return set, nil
}

// remoteVerKey converts a fetched JWK, using only its public part.
func remoteVerKey(k jwk.Key) (verKey, error) {
	pk, err := publicKeyOf(k, true)
	if err != nil {
		return verKey{}, err
	}
	return newVerKey(pk.Key, pk.KeyID, pk.Algorithm)
}
