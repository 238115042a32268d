package tool

import (
	"context"
	"net/http"
	"sync"

	"github.com/ltikit/ltikit/jwks"
)

// Tool is an LTI 1.3 tool: it serves the OIDC login, verifies launches and
// publishes the tool's keys. Create one with [New] and reuse it; it is safe
// for concurrent use.
type Tool struct {
	cfg   Config
	close context.CancelFunc // stops the background refresh of a default PlatformKeys

	staticKeys sync.Map // Platform.PublicKey → *jwks.Static

	svc services // service tokens and clients (service.go)
}

// New validates cfg, fills in its defaults and returns the Tool. It does no
// I/O. Call Close when the tool is no longer needed.
func New(cfg Config) (*Tool, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	t := &Tool{cfg: cfg, close: func() {}}
	if t.cfg.PlatformKeys == nil {
		ctx, cancel := context.WithCancel(context.Background())
		cache := jwks.NewCache(ctx, jwks.CacheConfig{HTTPClient: withUserAgent(cfg.HTTPClient), Now: cfg.Now, Logger: cfg.Logger})
		t.cfg.PlatformKeys = cache
		t.close = func() { cache.Close(); cancel() }
	}
	return t, nil
}

// Close stops the background refresh of the platforms' keys when the tool
// created the key cache itself. A closed Tool must not be used.
func (t *Tool) Close() error {
	t.close()
	return nil
}

// Config returns the tool's configuration with every default filled in.
func (t *Tool) Config() Config { return t.cfg }

// JWKSHandler serves the tool's public keys as a JWKS document.
func (t *Tool) JWKSHandler() http.Handler { return t.cfg.Keys.Handler() }

// ServeError writes err with the configured ErrorFunc. Middleware uses it
// for every refusal.
func (t *Tool) ServeError(w http.ResponseWriter, r *http.Request, err error) {
	t.cfg.ErrorFunc(w, r, err)
}

// keySet returns the key set that verifies p's tokens.
func (t *Tool) keySet(p *Platform) (jwks.KeySet, error) {
	if p.PublicKey == "" {
		return t.cfg.PlatformKeys.KeySet(p.JWKSURL), nil
	}
	if ks, ok := t.staticKeys.Load(p.PublicKey); ok {
		return ks.(jwks.KeySet), nil
	}
	ks, err := jwks.ParsePublicKey(p.PublicKey)
	if err != nil {
		return nil, err
	}
	t.staticKeys.Store(p.PublicKey, ks)
	return ks, nil
}

// platform finds the registration for (issuer, clientID) and maps store
// errors to codes.
func (t *Tool) platform(ctx context.Context, issuer, clientID string) (*Platform, error) {
	p, err := t.cfg.Platforms.Platform(ctx, issuer, clientID)
	switch {
	case err == nil && p.Pending:
		return nil, &Error{Code: CodeInactivePlatform, Detail: "the registration waits for approval by the tool's administrator", Issuer: issuer, ClientID: clientID}
	case err == nil && p.Disabled:
		return nil, &Error{Code: CodeInactivePlatform, Detail: "the registration is disabled", Issuer: issuer, ClientID: clientID}
	case err == nil:
		return p, nil
	case isErr(err, ErrPlatformNotFound):
		return nil, &Error{Code: CodeUnknownPlatform, Detail: "no registration for this issuer and client_id", Issuer: issuer, ClientID: clientID, Err: err}
	case isErr(err, ErrPlatformAmbiguous):
		return nil, &Error{Code: CodeAmbiguousPlatform, Detail: "the issuer has several registrations and the platform sent no client_id", Issuer: issuer, Err: err}
	default:
		return nil, &Error{Code: CodeStoreFailure, Detail: "registration lookup failed", Issuer: issuer, ClientID: clientID, Err: err}
	}
}
