package jwks

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwk"
)

// Defaults for [CacheConfig].
const (
	defaultHTTPTimeout        = 10 * time.Second
	defaultMinRefetchInterval = 30 * time.Second
	defaultRefreshFloor       = 15 * time.Minute
)

// CacheConfig configures a [Cache]. The zero value is ready to use.
type CacheConfig struct {
	// HTTPClient fetches the key sets. Default: a client with a 10-second
	// timeout.
	HTTPClient *http.Client

	// MinRefetchInterval rate-limits the fetches a URL gets for tokens
	// with an unknown kid: inside the interval after the set's last fetch
	// (first use, refetch or Prefetch) an unknown kid fails fast with
	// ErrUnknownKID and no network call, so a flood of forged kids cannot
	// make the tool hammer the platform. A set whose fetches have all failed
	// is retried at the same pace (ErrFetch in between). Default (zero or
	// negative): 30 seconds.
	MinRefetchInterval time.Duration

	// RefreshFloor is the shortest interval between background refreshes
	// of a key set: a Cache-Control max-age (or Expires) below it is
	// raised to it. Default (zero or negative): 15 minutes.
	RefreshFloor time.Duration

	// Now is the clock of the refetch rate limiter. Default: time.Now.
	Now func() time.Time

	// Logger receives background fetch failures and skipped keys; never
	// anything per verification. Default: slog.Default().
	Logger *slog.Logger
}

// Cache holds the remote key sets of platforms, fetched from their JWKS
// URLs and kept in memory. A [jwk.Cache] underneath refreshes each set in
// the background, honouring Cache-Control with a floor (see
// CacheConfig.RefreshFloor); on a token with an unknown kid the set is
// refetched once, shared by all waiters and rate-limited. When a fetch
// fails the last good keys stay in use.
//
// A Cache is safe for concurrent use. Create one per process and reuse it;
// its background work stops when the context given to [NewCache] ends or
// [Cache.Close] is called.
type Cache struct {
	ctx        context.Context
	cancel     context.CancelFunc
	jc         *jwk.Cache
	getter     httpGetter
	minRefetch time.Duration
	floor      time.Duration
	now        func() time.Time
	log        *slog.Logger

	mu   sync.RWMutex
	sets map[string]*remoteSet
}

// NewCache returns an empty cache. ctx bounds the background refresh: every
// fetch runs on it (never on a caller's context), and when it ends fetches
// stop while the keys already cached keep verifying. NewCache does no I/O.
func NewCache(ctx context.Context, cfg CacheConfig) *Cache {
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: defaultHTTPTimeout}
	}
	if cfg.MinRefetchInterval <= 0 {
		cfg.MinRefetchInterval = defaultMinRefetchInterval
	}
	if cfg.RefreshFloor <= 0 {
		cfg.RefreshFloor = defaultRefreshFloor
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	ctx, cancel := context.WithCancel(ctx)
	// The refresh window is how often jwk.Cache looks for due refreshes;
	// keep it no coarser than the floor.
	window := min(cfg.RefreshFloor, defaultRefreshFloor)
	c := &Cache{
		ctx:        ctx,
		cancel:     cancel,
		getter:     httpGetter{ctx: ctx, client: cfg.HTTPClient},
		minRefetch: cfg.MinRefetchInterval,
		floor:      cfg.RefreshFloor,
		now:        cfg.Now,
		log:        cfg.Logger,
		sets:       make(map[string]*remoteSet),
	}
	c.jc = jwk.NewCache(ctx, jwk.WithRefreshWindow(window), jwk.WithErrSink(errSink{c.log}))
	return c
}

// KeySet returns the key set published at jwksURL, registering it on first
// use; every call with the same URL returns the same shared set. It does no
// I/O: the keys are fetched when first needed (or by [Cache.Prefetch]). An
// invalid URL yields a set whose Verify fails with ErrFetch.
func (c *Cache) KeySet(jwksURL string) KeySet {
	return c.set(jwksURL)
}

// Prefetch fetches the key set at jwksURL now (joining a fetch already in
// flight), to warm the cache or to check a registration. The fetch runs on
// the cache's context; ctx only bounds the wait. Errors wrap ErrFetch, or
// are ctx's error.
func (c *Cache) Prefetch(ctx context.Context, jwksURL string) error {
	s := c.set(jwksURL)
	if s.regErr != nil {
		return fmt.Errorf("%w: %w", ErrFetch, s.regErr)
	}
	_, err := s.refresh(ctx, nil, true)
	var we *waitError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &we):
		return err
	default:
		return fmt.Errorf("%w: %s: %w", ErrFetch, jwksURL, err)
	}
}

// Close stops the background refresh and any further fetch. Keys already
// cached keep verifying. Close is idempotent.
func (c *Cache) Close() {
	c.cancel()
}

// set returns the shared remoteSet for u, creating and registering it.
func (c *Cache) set(u string) *remoteSet {
	c.mu.RLock()
	s := c.sets[u]
	c.mu.RUnlock()
	if s != nil {
		return s
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if s := c.sets[u]; s != nil {
		return s
	}
	s = &remoteSet{c: c, url: u}
	if err := checkURL(u); err != nil {
		s.regErr = err
	} else if err := c.jc.Register(u,
		jwk.WithHTTPClient(c.getter),
		jwk.WithMinRefreshInterval(c.floor),
		jwk.WithIgnoreParseError(true),
		jwk.WithPostFetcher(jwk.PostFetchFunc(s.postFetch)),
	); err != nil {
		s.regErr = fmt.Errorf("jwks: register %s: %w", u, err)
	}
	c.sets[u] = s
	return s
}

// checkURL accepts absolute http(s) URLs.
func checkURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("jwks: bad JWKS URL: %w", err)
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("jwks: JWKS URL %q is not an absolute http(s) URL", s)
	}
	return nil
}

// errSink logs the failures of jwk.Cache's background refreshes.
type errSink struct{ log *slog.Logger }

// Error implements jwk.ErrSink.
func (e errSink) Error(err error) {
	e.log.Warn("jwks: background refresh failed; keeping the last good keys", "err", err)
}
