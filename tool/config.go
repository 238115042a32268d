package tool

import (
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gorilla/sessions"

	"github.com/ltikit/ltikit/jwks"
)

// Config configures a [Tool]. Zero values take the defaults stated on each
// field; [New] validates it and fills them in.
type Config struct {
	// BaseURL is the tool's public origin, such as "https://tool.example".
	// Required. A login's target_link_uri must share its origin (or be in
	// TargetLinkOrigins). It must be https, except for loopback hosts
	// (localhost, 127.0.0.1, ::1) during development.
	BaseURL string
	// LaunchURL is the redirect_uri registered with the platforms, where
	// they post the id_token. Default: BaseURL + "/lti/launch".
	LaunchURL string
	// TargetLinkOrigins lists extra origins a target_link_uri may point to.
	TargetLinkOrigins []string

	// Platforms finds registrations. Required; see MemoryPlatforms and
	// FilePlatforms.
	Platforms PlatformStore
	// Keys are the tool's signing keys, published by JWKSHandler. Required.
	Keys *jwks.KeyRing
	// PlatformKeys caches the platforms' key sets. Default: a jwks.Cache
	// using HTTPClient, refreshed in the background until Tool.Close.
	PlatformKeys *jwks.Cache

	// Store keeps pending logins, used nonces and launches. Default: an
	// in-memory store (one process). Use a shared store when several
	// processes serve the tool.
	Store Store
	// Sessions stores the cookie sessions that tie follow-up requests to
	// launches, one per launch (named "ltikit_launch_" and the start of
	// the launch id). Default: a gorilla/sessions cookie store keyed with
	// SessionKeys.
	Sessions sessions.Store
	// SessionKeys authenticate (and, when a second key of 16, 24 or 32
	// bytes follows, encrypt) the default session cookies; see
	// securecookie. Default: a random key per process, so sessions do not
	// survive a restart or span processes: set it whenever Store is shared
	// ([New] logs a warning when Store is set and SessionKeys is not).
	SessionKeys [][]byte

	// HTTPClient makes every outbound request. Default: 10-second timeout,
	// up to 16 idle connections per host.
	HTTPClient *http.Client
	// Now is the clock. Default: time.Now.
	Now func() time.Time
	// Leeway is the clock skew allowed on exp, iat and nbf. Default: 30 seconds,
	// which passes Moodle's 60-second tokens with a few seconds of skew.
	Leeway time.Duration
	// MaxTokenAge rejects tokens whose iat is older than this. Default: 10 minutes.
	MaxTokenAge time.Duration
	// LoginTTL is how long a pending login (state and nonce) waits for the
	// platform's answer. Default: 10 minutes.
	LoginTTL time.Duration
	// LaunchTTL is how long a verified launch serves follow-up requests.
	// Default: 8 hours.
	LaunchTTL time.Duration
	// MessageTypes are the message types the tool accepts; others are
	// refused with CodeUnsupportedMessageType before they reach a handler.
	// Default: LtiResourceLinkRequest and LtiDeepLinkingRequest. A tool
	// that handles submission review or proctoring lists those too
	// (SubmissionReviewRequest, StartProctoring, EndAssessment).
	MessageTypes []MessageType

	// ErrorFunc writes the response for a refused login or launch. Default:
	// an HTML page for the administrator naming the failed check, without
	// echoing the token.
	ErrorFunc func(w http.ResponseWriter, r *http.Request, err error)
	// Logger receives refusals and store failures. Default: slog.Default().
	Logger *slog.Logger
}

// Defaults.
const (
	DefaultLeeway      = 30 * time.Second
	DefaultMaxTokenAge = 10 * time.Minute
	DefaultLoginTTL    = 10 * time.Minute
	DefaultLaunchTTL   = 8 * time.Hour
)

// withDefaults validates cfg and returns it with every default filled in.
func (cfg Config) withDefaults() (Config, error) {
	if cfg.Platforms == nil {
		return cfg, errors.New("tool: Config.Platforms is required")
	}
	if cfg.Keys == nil {
		return cfg, errors.New("tool: Config.Keys is required")
	}
	base, err := parseOrigin(cfg.BaseURL)
	if err != nil {
		return cfg, fmt.Errorf("tool: Config.BaseURL: %w", err)
	}
	cfg.BaseURL = base.String()
	if cfg.LaunchURL == "" {
		cfg.LaunchURL = cfg.BaseURL + "/lti/launch"
	} else if _, err := parseURL(cfg.LaunchURL); err != nil {
		return cfg, fmt.Errorf("tool: Config.LaunchURL: %w", err)
	}
	for i, o := range cfg.TargetLinkOrigins {
		u, err := parseOrigin(o)
		if err != nil {
			return cfg, fmt.Errorf("tool: Config.TargetLinkOrigins[%d]: %w", i, err)
		}
		cfg.TargetLinkOrigins[i] = u.String()
	}
	if cfg.HTTPClient == nil {
		// Service calls (grades, rosters) go to few hosts, often from
		// several goroutines: keep more than net/http's 2 idle connections
		// per host so they are reused.
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = 16
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second, Transport: tr}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Leeway == 0 {
		cfg.Leeway = DefaultLeeway
	}
	if cfg.MaxTokenAge == 0 {
		cfg.MaxTokenAge = DefaultMaxTokenAge
	}
	if cfg.LoginTTL == 0 {
		cfg.LoginTTL = DefaultLoginTTL
	}
	if cfg.LaunchTTL == 0 {
		cfg.LaunchTTL = DefaultLaunchTTL
	}
	if cfg.Leeway < 0 || cfg.MaxTokenAge < 0 || cfg.LoginTTL < 0 || cfg.LaunchTTL < 0 {
		return cfg, errors.New("tool: Config durations must not be negative")
	}
	if len(cfg.MessageTypes) == 0 {
		cfg.MessageTypes = []MessageType{ResourceLinkRequest, DeepLinkingRequest}
	}
	if _, memory := cfg.Store.(*MemoryStore); cfg.Store != nil && !memory && cfg.Sessions == nil && len(cfg.SessionKeys) == 0 {
		cfg.Logger.Warn("ltikit: Config.Store is set but Config.SessionKeys is not: session cookies are keyed with a random key per process, " +
			"so follow-up requests fail on the tool's other processes and after a restart; set SessionKeys")
	}
	if cfg.Store == nil {
		cfg.Store = NewMemoryStore()
	}
	if cfg.Sessions == nil {
		if len(cfg.SessionKeys) == 0 {
			key := make([]byte, 32)
			rand.Read(key)
			cfg.SessionKeys = [][]byte{key}
		}
		store := sessions.NewCookieStore(cfg.SessionKeys...)
		store.Options = cookieOptions(int(cfg.LaunchTTL / time.Second))
		cfg.Sessions = store
	}
	if cfg.ErrorFunc == nil {
		cfg.ErrorFunc = defaultErrorFunc(cfg.Logger, cfg.Now)
	}
	return cfg, nil
}

// parseURL accepts absolute http(s) URLs without a fragment.
func parseURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, err
	}
	if u.Scheme != "https" && u.Scheme != "http" || u.Host == "" || u.Fragment != "" || u.User != nil {
		return nil, fmt.Errorf("%q is not an absolute http(s) URL", s)
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		return nil, fmt.Errorf("%q must use https (http is only allowed for localhost)", s)
	}
	return u, nil
}

// parseOrigin parses s as a scheme://host[:port] origin; a trailing slash is dropped.
func parseOrigin(s string) (*url.URL, error) {
	u, err := parseURL(strings.TrimSuffix(s, "/"))
	if err != nil {
		return nil, err
	}
	if u.Path != "" || u.RawQuery != "" {
		return nil, fmt.Errorf("%q must be an origin (scheme://host[:port]) without a path", s)
	}
	return &url.URL{Scheme: u.Scheme, Host: u.Host}, nil
}

func isLoopback(host string) bool {
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// cookieOptions are the attributes of every cookie the tool sets. Cookies
// must survive the LMS iframe, so they are HttpOnly, Secure, SameSite=None
// and Partitioned (CHIPS). Browsers (and net/http/cookiejar) treat
// http://localhost as a secure origin, so the same attributes work during
// development without TLS.
func cookieOptions(maxAge int) *sessions.Options {
	return &sessions.Options{Path: "/", MaxAge: maxAge, HttpOnly: true, Secure: true,
		SameSite: http.SameSiteNoneMode, Partitioned: true}
}
