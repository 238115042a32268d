package dynreg

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/ltikit/ltikit/tool"
)

// Limits on the untrusted input of the registration URL.
const (
	maxConfigURL = 2 << 10
	maxToken     = 16 << 10
	maxForm      = 16 << 10
)

// storePrefix namespaces the registrations in progress in the tool's Store.
const storePrefix = "dynreg:"

// registerTimeout bounds the registration request and the saving of its
// result, which finish even if the administrator's browser goes away, so
// that a platform never holds a registration the tool lost.
const registerTimeout = time.Minute

// Handler serves the tool's registration URL (LTI Dynamic Registration
// 1.0). The LMS opens it with GET ?openid_configuration=…&registration_token=…
// in an iframe or popup: the Handler fetches and checks the platform's
// configuration and shows the administrator a confirmation page. The page
// posts back to the same URL; the Handler then registers the tool with the
// platform, stores the new registration and answers with a page that asks
// the LMS to close the window (org.imsglobal.lti.close).
//
// The confirmation is bound to a single-use token kept in the Tool's
// Store, and the post must come from the Handler's own page (same origin,
// http.CrossOriginProtection). A Handler is safe for concurrent use;
// create it once with [New].
type Handler struct {
	cfg    Config
	tc     tool.Config
	cop    *http.CrossOriginProtection
	policy string // the pages' Content-Security-Policy
	dev    bool   // the tool runs on loopback: platforms on loopback are allowed
	client *http.Client
}

// New validates cfg, fills in its defaults and returns the Handler. It
// does no I/O.
func New(cfg Config) (*Handler, error) {
	cfg, tc, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	dev := onLoopback(tc.BaseURL)
	return &Handler{cfg: cfg, tc: tc, cop: http.NewCrossOriginProtection(), policy: pagePolicy(cfg.LogoURL),
		dev: dev, client: platformClient(tc.HTTPClient, dev)}, nil
}

// pendingRegistration is what the tool keeps between the confirmation
// page and the confirmation.
type pendingRegistration struct {
	ConfigURL string          `json:"config_url"`
	Token     string          `json:"registration_token,omitempty"`
	Config    *platformConfig `json:"config"`
}

// ServeHTTP implements http.Handler: GET starts a registration, POST
// confirms or cancels it.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var err error
	switch r.Method {
	case http.MethodGet:
		err = h.start(w, r)
	case http.MethodPost:
		err = h.confirm(w, r)
	default:
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if err != nil {
		h.cfg.ErrorFunc(w, r, err)
	}
}

// start checks the platform and shows the confirmation page.
func (h *Handler) start(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	rawURL, token := q.Get("openid_configuration"), q.Get("registration_token")
	if rawURL == "" {
		return fail(ErrBadRequest, nil, "This is the tool's registration URL, which the LMS opens itself: paste it into the LMS "+
			"(Moodle: Site administration > Plugins > Activity modules > External tool > Manage tools, field Tool URL, button Add LTI Advantage).")
	}
	if len(rawURL) > maxConfigURL {
		return fail(ErrBadRequest, nil, "The openid_configuration parameter is too long.")
	}
	configURL, err := checkPlatformURL(rawURL, "openid_configuration", h.dev)
	if err != nil {
		return fail(ErrBadRequest, err, "The LMS opened the registration URL with an unusable openid_configuration parameter.")
	}
	if len(token) > maxToken || strings.IndexFunc(token, func(r rune) bool { return r <= ' ' || r > '~' }) >= 0 {
		return fail(ErrBadRequest, nil, "The LMS opened the registration URL with a malformed registration_token parameter.")
	}
	pc, err := fetchConfig(r.Context(), h.client, configURL, token, h.dev)
	if err != nil {
		return err
	}
	confirmation := rand.Text() // 130 bits
	state, err := json.Marshal(pendingRegistration{ConfigURL: configURL.String(), Token: token, Config: pc})
	if err != nil {
		return fail(ErrStore, err, "The tool could not keep the registration for confirmation.")
	}
	if err := h.tc.Store.Add(r.Context(), storePrefix+confirmation, state, h.cfg.ConfirmTTL); err != nil {
		return fail(ErrStore, err, "The tool could not keep the registration for confirmation. Try again in a moment.")
	}
	writePage(w, h.policy, http.StatusOK, confirmPage, confirmData{
		Name: h.cfg.Name, Description: h.cfg.Description, LogoURL: h.cfg.LogoURL,
		Issuer: pc.Issuer, Product: pc.Product(), Asks: h.asks(pc),
		Pending: h.cfg.RequireApproval, Confirmation: confirmation,
	})
	return nil
}

// confirm registers the tool with the platform, or cancels.
func (h *Handler) confirm(w http.ResponseWriter, r *http.Request) error {
	if err := h.cop.Check(r); err != nil {
		return fail(ErrBadRequest, err, "The confirmation did not come from the tool's registration page.")
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		return fail(ErrBadRequest, err, "The confirmation form is unreadable.")
	}
	confirmation := r.PostForm.Get("confirmation")
	if confirmation == "" || len(confirmation) > 128 {
		return fail(ErrBadRequest, nil, "The confirmation form lacks its confirmation token.")
	}
	// Taking the state makes the confirmation single-use: a second post,
	// a replay or a double click finds nothing.
	state, err := h.tc.Store.Take(r.Context(), storePrefix+confirmation)
	if errors.Is(err, tool.ErrKeyNotFound) {
		return fail(ErrExpired, nil, "This registration was already completed or cancelled, or waited longer than %s. Start a new registration from the LMS.", h.cfg.ConfirmTTL)
	}
	if err != nil {
		return fail(ErrStore, err, "The tool could not read the registration in progress. Try again in a moment.")
	}
	var pending pendingRegistration
	if err := json.Unmarshal(state, &pending); err != nil || pending.Config == nil {
		return fail(ErrStore, err, "The tool could not read the registration in progress. Start a new registration from the LMS.")
	}
	if r.PostForm.Get("action") == "cancel" {
		writePage(w, h.policy, http.StatusOK, cancelledPage, nil)
		return nil
	}

	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), registerTimeout)
	defer cancel()
	pc := pending.Config
	res, err := register(ctx, h.client, pc.RegistrationEndpoint, pending.Token, h.registrationRequest())
	if err != nil {
		return err
	}
	p := h.platform(pc, res)
	if err := p.Validate(); err != nil {
		return fail(ErrRefused, err, "The platform registered the tool with client ID %q, but the registration it describes is not usable. Delete the tool in the LMS.", res.ClientID)
	}
	if err := h.cfg.Registrations.Add(ctx, p); err != nil {
		return fail(ErrStore, err, "The platform registered the tool with client ID %q, but the tool could not save the registration. "+
			"Delete the new tool in the LMS and register again; if this happens again, tell the tool's administrator.", res.ClientID)
	}
	h.tc.Logger.LogAttrs(ctx, slog.LevelInfo, "ltikit: dynamic registration",
		slog.String("issuer", p.Issuer), slog.String("client_id", p.ClientID), slog.String("configuration", pending.ConfigURL),
		slog.Any("deployment_ids", p.Deployments), slog.Bool("pending", p.Pending))
	writePage(w, h.policy, http.StatusOK, donePage, doneData{Name: h.cfg.Name, Issuer: p.Issuer, ClientID: p.ClientID,
		DeploymentID: res.DeploymentID, Pending: p.Pending})
	return nil
}

// platform is the registration the tool stores (DR-08): the platform's
// endpoints, the client_id it issued, and its deployment_id as the only
// allowed deployment, or trust-on-first-use when it gave none.
func (h *Handler) platform(pc *platformConfig, res *registrationResponse) tool.Platform {
	p := tool.Platform{
		Issuer:     pc.Issuer,
		ClientID:   res.ClientID,
		AuthURL:    pc.AuthorizationEndpoint,
		TokenURL:   pc.TokenEndpoint,
		JWKSURL:    pc.JWKSURI,
		Algorithms: pc.algorithms(),
		Pending:    h.cfg.RequireApproval,
	}
	if pc.AuthorizationServer != "" && pc.AuthorizationServer != pc.TokenEndpoint {
		p.TokenAudience = pc.AuthorizationServer
	}
	if res.DeploymentID != "" {
		p.Deployments = []string{res.DeploymentID}
	} else {
		p.DeploymentPolicy = tool.TrustOnFirstUse
	}
	return p
}

// asks lists what the tool asks the platform for, for the confirmation
// page, noting what the platform does not advertise.
func (h *Handler) asks(pc *platformConfig) []ask {
	cfg := &h.cfg
	out := []ask{{Text: "Launches from courses, at " + cfg.TargetLinkURI + ", with the user's roles and " + identity(cfg.Claims) + "."}}
	if !pc.SupportsMessage(messageResourceLink) {
		out[0].Note = "The platform does not list resource-link launches among its messages."
	}
	if cfg.DeepLinkingURL != "" {
		a := ask{Text: "Deep linking: course builders pick content in the tool, which adds it to the course."}
		if !pc.SupportsMessage(messageDeepLinking) {
			a.Note = "The platform does not list deep linking among its messages."
		}
		out = append(out, a)
	}
	for _, s := range []struct {
		on     bool
		text   string
		scopes []string
	}{
		{cfg.Grades, "Grades: gradebook columns, scores and results (Assignment and Grade Services).", gradeScopes},
		{cfg.Roster, "Course rosters: the members of a course and their roles (Names and Role Provisioning Services).", rosterScopes},
	} {
		if !s.on {
			continue
		}
		a := ask{Text: s.text}
		for _, scope := range s.scopes {
			if !pc.SupportsScope(scope) {
				a.Note = "The platform does not list all of this service's scopes and may not grant them."
				break
			}
		}
		out = append(out, a)
	}
	return out
}

// identity describes the identity claims for people.
func identity(claims []string) string {
	var name, email bool
	for _, c := range claims {
		switch c {
		case "name", "given_name", "family_name":
			name = true
		case "email":
			email = true
		}
	}
	switch {
	case name && email:
		return "their name and email address"
	case name:
		return "their name"
	case email:
		return "their email address"
	default:
		return "an opaque user ID only"
	}
}
