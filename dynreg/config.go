package dynreg

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/ltikit/ltikit/tool"
)

// DefaultConfirmTTL is how long the confirmation page stays valid unless
// Config.ConfirmTTL says otherwise.
const DefaultConfirmTTL = 30 * time.Minute

// The OAuth scopes each service asks for.
var (
	gradeScopes = []string{
		"https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
		"https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
		"https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
		"https://purl.imsglobal.org/spec/lti-ags/scope/score",
	}
	rosterScopes = []string{
		"https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
	}
)

// defaultClaims are the identity claims a tool asks for unless
// Config.Claims says otherwise: who the user is, by name and email.
var defaultClaims = []string{"iss", "sub", "name", "given_name", "family_name", "email"}

// Config configures the registration [Handler]. Zero values take the
// defaults stated on each field; [New] validates it and fills them in.
type Config struct {
	// Tool is the tool being registered. Required. Its configuration
	// supplies the origin (BaseURL), the redirect URI (LaunchURL), the
	// Store that keeps a registration between the confirmation page and
	// the confirmation, the HTTPClient (and its timeout) that talks to the
	// platform, the clock and the logger.
	Tool *tool.Tool
	// Registrations receives the new registrations. Default: the Tool's
	// Platforms, which must then implement tool.Registrations (as
	// tool.FilePlatforms, tool.MemoryPlatforms and pgstore.Platforms do).
	Registrations tool.Registrations

	// Name is the client_name: what the LMS calls the tool. Required.
	Name string
	// Description is shown by the LMS next to the name. Optional.
	Description string
	// LogoURL is the logo_uri: the icon the LMS shows, and the
	// confirmation page too (its Content-Security-Policy allows images
	// from the logo's origin). Optional.
	LogoURL string
	// LoginURL is the initiate_login_uri. Default: BaseURL + "/lti/login".
	LoginURL string
	// JWKSURL is the jwks_uri, where the tool publishes its keys.
	// Default: BaseURL + "/.well-known/jwks.json".
	JWKSURL string
	// TargetLinkURI is the launch URL of the tool's resource links.
	// Default: the Tool's LaunchURL.
	TargetLinkURI string
	// DeepLinkingURL, when set, offers deep linking: the platform lets
	// course builders pick content in the tool, launched with an
	// LtiDeepLinkingRequest to this target_link_uri (Moodle: "Select
	// content" when adding an activity). Empty: no deep linking.
	DeepLinkingURL string
	// Grades asks for the Assignment and Grade Services: line items, scores
	// and results.
	Grades bool
	// Roster asks for the Names and Role Provisioning Service: the members
	// of a course and their roles.
	Roster bool
	// Claims are the identity claims the tool asks for. Default: iss, sub,
	// name, given_name, family_name, email. Moodle sends names only when
	// one of the name claims is listed, and email only when email is.
	Claims []string
	// CustomParameters are sent with every launch, such as
	// {"course": "$Context.id"}; platforms expand substitution variables.
	CustomParameters map[string]string

	// RequireApproval stores new registrations as Pending: their launches
	// are refused until an administrator of the tool approves them
	// (tool.Approve, `ltikit registrations approve`). Without it a new
	// registration is active at once. The registration URL is public, so
	// anyone can register a platform of their own with the tool; set
	// RequireApproval unless the tool is meant for any LMS, or put the
	// Handler behind the tool's own sign-in.
	RequireApproval bool
	// ConfirmTTL is how long the confirmation page can be confirmed.
	// Default: DefaultConfirmTTL.
	ConfirmTTL time.Duration

	// ErrorFunc writes the page for a failed registration; err is an
	// [*Error]. Default: a page for the LMS administrator saying what
	// failed and what to do, logged with the Tool's logger.
	ErrorFunc func(w http.ResponseWriter, r *http.Request, err error)
}

// withDefaults validates cfg and returns it with every default filled in,
// and the Tool's configuration.
func (cfg Config) withDefaults() (Config, tool.Config, error) {
	if cfg.Tool == nil {
		return cfg, tool.Config{}, errors.New("dynreg: Config.Tool is required")
	}
	tc := cfg.Tool.Config()
	if cfg.Registrations == nil {
		regs, ok := tc.Platforms.(tool.Registrations)
		if !ok {
			return cfg, tc, fmt.Errorf("dynreg: Config.Registrations is required: the Tool's Platforms (%T) cannot add registrations", tc.Platforms)
		}
		cfg.Registrations = regs
	}
	if cfg.Name == "" {
		return cfg, tc, errors.New("dynreg: Config.Name is required")
	}
	if cfg.LoginURL == "" {
		cfg.LoginURL = tc.BaseURL + "/lti/login"
	}
	if cfg.JWKSURL == "" {
		cfg.JWKSURL = tc.BaseURL + "/.well-known/jwks.json"
	}
	if cfg.TargetLinkURI == "" {
		cfg.TargetLinkURI = tc.LaunchURL
	}
	for _, f := range []struct{ name, value string }{
		{"LoginURL", cfg.LoginURL}, {"JWKSURL", cfg.JWKSURL}, {"TargetLinkURI", cfg.TargetLinkURI},
		{"DeepLinkingURL", cfg.DeepLinkingURL}, {"LogoURL", cfg.LogoURL},
	} {
		if f.value == "" {
			continue
		}
		if _, err := checkURL(f.value, f.name); err != nil {
			return cfg, tc, fmt.Errorf("dynreg: Config.%w", err)
		}
	}
	if len(cfg.Claims) == 0 {
		cfg.Claims = defaultClaims
	}
	for k := range cfg.CustomParameters {
		if k == "" {
			return cfg, tc, errors.New("dynreg: Config.CustomParameters has an empty name")
		}
	}
	if cfg.ConfirmTTL == 0 {
		cfg.ConfirmTTL = DefaultConfirmTTL
	}
	if cfg.ConfirmTTL < 0 {
		return cfg, tc, errors.New("dynreg: Config.ConfirmTTL must not be negative")
	}
	if cfg.ErrorFunc == nil {
		cfg.ErrorFunc = defaultErrorFunc(tc.Logger)
	}
	return cfg, tc, nil
}

// scopes returns the OAuth scopes of the services cfg enables.
func (cfg *Config) scopes() []string {
	var s []string
	if cfg.Grades {
		s = append(s, gradeScopes...)
	}
	if cfg.Roster {
		s = append(s, rosterScopes...)
	}
	return s
}

// domain is the tool's host (with its port, if any), from its origin.
func domain(baseURL string) string {
	u, err := url.Parse(baseURL)
	if err != nil {
		return ""
	}
	return u.Host
}

// defaultErrorFunc logs err and writes the error page.
func defaultErrorFunc(log *slog.Logger) func(http.ResponseWriter, *http.Request, error) {
	return func(w http.ResponseWriter, r *http.Request, err error) {
		var e *Error
		if !errors.As(err, &e) {
			e = &Error{Kind: ErrStore, Message: "The registration failed.", Err: err}
		}
		attrs := []slog.Attr{slog.String("kind", e.Kind.Error()), slog.String("message", e.Message)}
		var pe *PlatformError
		if errors.As(err, &pe) {
			attrs = append(attrs, slog.String("url", pe.URL), slog.Int("status", pe.StatusCode), slog.String("body", pe.Body))
		}
		if e.Err != nil {
			attrs = append(attrs, slog.Any("cause", e.Err))
		}
		log.LogAttrs(r.Context(), slog.LevelWarn, "ltikit: dynamic registration failed", attrs...)
		writePage(w, pagePolicy(""), e.Status(), errorPage, e)
	}
}
