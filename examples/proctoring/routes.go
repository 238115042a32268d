package main

import (
	"bytes"
	"embed"
	"encoding/json"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"github.com/gorilla/mux"

	"github.com/ltikit/ltikit/middleware"
	"github.com/ltikit/ltikit/tool"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// newRouter routes the tool's URLs with gorilla/mux.
func newRouter(t *tool.Tool, s *site) http.Handler {
	r := mux.NewRouter()
	r.Use(securityHeaders)

	// The three URLs registered with the LMS. The launch receives
	// cross-site POSTs by design; the LTI checks protect it.
	r.Handle("/lti/login", t.LoginHandler()).Methods(http.MethodGet, http.MethodPost)
	r.Handle("/lti/launch", middleware.Launch(t)(http.HandlerFunc(s.launch))).Methods(http.MethodPost)
	r.Handle("/.well-known/jwks.json", t.JWKSHandler()).Methods(http.MethodGet)
	r.PathPrefix("/static/").Handler(staticHandler())
	r.HandleFunc("/", s.index).Methods(http.MethodGet)

	// Pages reached from a launch, inside the LMS iframe: the session
	// restores the launch. Their POSTs come only from the tool's own pages:
	// CrossOriginProtection refuses cross-site ones.
	csrf := http.NewCrossOriginProtection()
	app := r.NewRoute().Subrouter()
	app.Use(csrf.Handler, middleware.Session(t))
	app.HandleFunc("/proctor/precheck", s.precheckPage).Methods(http.MethodGet)
	app.HandleFunc("/proctor/precheck", s.precheckSubmit).Methods(http.MethodPost)
	app.HandleFunc("/proctor/start", s.startPage).Methods(http.MethodGet)
	app.HandleFunc("/proctor/start", s.startSubmit).Methods(http.MethodPost)
	app.HandleFunc("/quiz", s.quizPage).Methods(http.MethodGet)
	app.HandleFunc("/quiz", s.quizSubmit).Methods(http.MethodPost)

	// The monitor window, named by its session's token (see session).
	mon := r.PathPrefix("/proctor/monitor/{token}").Subrouter()
	mon.Use(csrf.Handler)
	mon.HandleFunc("", s.monitorPage).Methods(http.MethodGet)
	mon.HandleFunc("/events", s.events).Methods(http.MethodPost)
	mon.HandleFunc("/status", s.monitorStatus).Methods(http.MethodGet)

	// The proctor dashboard, for instructors (and their sub-roles).
	dash := app.PathPrefix("/dashboard").Subrouter()
	dash.Use(middleware.RequireRole(tool.RoleInstructor))
	dash.HandleFunc("", s.dashboard).Methods(http.MethodGet)
	dash.HandleFunc("/sessions/{id}", s.sessionPage).Methods(http.MethodGet)
	dash.HandleFunc("/sessions/{id}/decision", s.decide).Methods(http.MethodPost)
	dash.HandleFunc("/sessions/{id}/snapshot", s.snapshot).Methods(http.MethodGet)
	return r
}

// securityHeaders sets the headers of every page: scripts only from the
// tool itself (styles may be inline: ltikit's error page has its own), the
// webcam stream for the snapshot, and framing by any LMS. The
// LtiStartAssessment page replaces the policy with its own, stricter one.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "+
			"media-src 'self' mediastream: blob:; connect-src 'self'; base-uri 'none'; frame-ancestors *")
		next.ServeHTTP(w, r)
	})
}

func staticHandler() http.Handler {
	sub, err := fs.Sub(staticFiles, "static")
	if err != nil {
		panic(err) // the embedded directory always exists
	}
	return http.StripPrefix("/static/", http.FileServerFS(sub))
}

// site serves the tool's pages.
type site struct {
	app      *app
	tool     *tool.Tool
	tmpl     *template.Template
	logger   *slog.Logger
	sessions *sessions
	policy   policy
	now      func() time.Time
}

func newSite(a *app, p policy, logger *slog.Logger) (*site, error) {
	tmpl, err := template.New("").Funcs(template.FuncMap{"clock": clock}).ParseFS(templateFiles, "templates/*.html")
	if err != nil {
		return nil, err
	}
	return &site{app: a, tool: a.tool, tmpl: tmpl, logger: logger, sessions: newSessions(), policy: p, now: time.Now}, nil
}

// clock formats a time for the pages.
func clock(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("15:04:05 UTC")
}

// render executes a template into a buffer first, so that a template
// error is a clean 500 rather than half a page.
func (s *site) render(w http.ResponseWriter, status int, name string, data any) {
	var b bytes.Buffer
	if err := s.tmpl.ExecuteTemplate(&b, name, data); err != nil {
		s.logger.Error("template", "name", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(b.Bytes())
}

// problem renders the tool's error page.
func (s *site) problem(w http.ResponseWriter, status int, title, detail string) {
	s.render(w, status, "problem.html", struct{ Title, Detail string }{title, detail})
}

// writeJSON writes v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// index is the tool's root, opened outside an LMS: where to launch from.
func (s *site) index(w http.ResponseWriter, r *http.Request) {
	data := struct{ ToolURL, PlatformURL, RegsFile string }{ToolURL: s.app.URL, RegsFile: s.app.RegsFile}
	if s.app.Platform != nil {
		data.PlatformURL = s.app.Platform.URL + "/"
	}
	s.render(w, http.StatusOK, "index.html", data)
}
