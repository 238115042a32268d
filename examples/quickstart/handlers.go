package main

import (
	"bytes"
	"embed"
	"html/template"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/ltikit/ltikit/middleware"
	"github.com/ltikit/ltikit/tool"
)

//go:embed templates/*.html
var templateFiles embed.FS

// newRouter routes the tool's URLs with gorilla/mux. ltikit's middleware
// has the mux.MiddlewareFunc shape, so it goes into Use and around single
// handlers alike.
func newRouter(t *tool.Tool, s *site) http.Handler {
	r := mux.NewRouter()
	r.Use(logRequests(s.logger))

	// The three URLs registered with the LMS.
	r.Handle("/lti/login", t.LoginHandler()).Methods(http.MethodGet, http.MethodPost)
	r.Handle("/lti/launch", middleware.Launch(t)(http.HandlerFunc(s.home))).Methods(http.MethodPost)
	r.Handle("/.well-known/jwks.json", t.JWKSHandler()).Methods(http.MethodGet)

	// Pages reached from the launch, inside the LMS iframe: the session
	// restores the launch; the instructor page also needs the role.
	app := r.PathPrefix("/app").Subrouter()
	app.Use(middleware.Session(t))
	app.HandleFunc("/whoami", s.whoami).Methods(http.MethodGet)
	app.Handle("/instructor", middleware.RequireRole(tool.RoleInstructor)(http.HandlerFunc(s.instructor))).
		Methods(http.MethodGet)

	r.HandleFunc("/", s.index).Methods(http.MethodGet)
	return r
}

// site serves the tool's pages.
type site struct {
	app    *app
	tmpl   *template.Template
	logger *slog.Logger
}

func newSite(a *app, logger *slog.Logger) (*site, error) {
	tmpl, err := template.ParseFS(templateFiles, "templates/*.html")
	if err != nil {
		return nil, err
	}
	return &site{app: a, tmpl: tmpl, logger: logger}, nil
}

// home is the launch's landing page: what the verified launch says.
func (s *site) home(w http.ResponseWriter, r *http.Request) {
	l, _ := tool.LaunchFrom(r.Context()) // always there behind middleware.Launch
	s.logger.Info("launch", "sub", l.Subject, "name", l.Name, "roles", roleNames(l.Roles),
		"context", contextTitle(l), "message_type", l.MessageType, "launch", l.ID)
	s.render(w, "home.html", newLaunchView(l))
}

// whoami is a follow-up request: no id_token, the launch comes back from
// the session cookie and the launch id in the link.
func (s *site) whoami(w http.ResponseWriter, r *http.Request) {
	l, _ := tool.LaunchFrom(r.Context()) // always there behind middleware.Session
	s.render(w, "whoami.html", newLaunchView(l))
}

// instructor is only for instructors (and their sub-roles, such as
// teaching assistants): middleware.RequireRole refuses the others with 403.
func (s *site) instructor(w http.ResponseWriter, r *http.Request) {
	l, _ := tool.LaunchFrom(r.Context())
	s.render(w, "instructor.html", newLaunchView(l))
}

// index is the tool's root, opened outside an LMS: where to launch from.
func (s *site) index(w http.ResponseWriter, r *http.Request) {
	data := struct{ ToolURL, PlatformURL, RegsFile string }{ToolURL: s.app.URL, RegsFile: s.app.RegsFile}
	if s.app.Platform != nil {
		data.PlatformURL = s.app.Platform.URL + "/"
	}
	s.render(w, "index.html", data)
}

// render executes a template into a buffer first, so that a template
// error is a clean 500 rather than half a page.
func (s *site) render(w http.ResponseWriter, name string, data any) {
	var b bytes.Buffer
	if err := s.tmpl.ExecuteTemplate(&b, name, data); err != nil {
		s.logger.Error("template", "name", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(b.Bytes())
}

// launchView is what the templates show of a launch.
type launchView struct {
	L      *tool.Launch
	Roles  []roleView
	Checks []check
	Custom []keyValue

	// Links inside the tool carry the launch id (Launch.Link), so two
	// launches in two tabs stay apart.
	WhoamiURL, InstructorURL string
}

type roleView struct{ Short, URI string }

type check struct {
	Name string
	OK   bool
}

type keyValue struct{ Key, Value string }

func newLaunchView(l *tool.Launch) launchView {
	v := launchView{
		L:             l,
		WhoamiURL:     l.Link("/app/whoami"),
		InstructorURL: l.Link("/app/instructor"),
		Checks: []check{
			{"IsLearner", l.Roles.IsLearner()},
			{"IsInstructor", l.Roles.IsInstructor()},
			{"IsTeachingAssistant", l.Roles.IsTeachingAssistant()},
			{"IsAdministrator", l.Roles.IsAdministrator()},
			{"IsContentDeveloper", l.Roles.IsContentDeveloper()},
			{"IsMentor", l.Roles.IsMentor()},
			{"IsTestUser", l.Roles.IsTestUser()},
		},
	}
	for _, r := range l.Roles {
		v.Roles = append(v.Roles, roleView{Short: shortRole(r), URI: string(r)})
	}
	for k, val := range l.Custom {
		v.Custom = append(v.Custom, keyValue{k, val})
	}
	slices.SortFunc(v.Custom, func(a, b keyValue) int { return strings.Compare(a.Key, b.Key) })
	return v
}

// shortRole is the end of a role URI, such as "membership#Learner".
func shortRole(r tool.Role) string {
	s := string(r)
	if i := strings.Index(s, "/vocab/lis/v2/"); i >= 0 {
		return s[i+len("/vocab/lis/v2/"):]
	}
	return s
}

func roleNames(rs tool.Roles) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = shortRole(r)
	}
	return out
}

func contextTitle(l *tool.Launch) string {
	if l.Context == nil {
		return ""
	}
	return l.Context.Title
}

// logRequests logs each request with its status, as gorilla/mux middleware.
func logRequests(logger *slog.Logger) mux.MiddlewareFunc {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
			next.ServeHTTP(sw, r)
			logger.Info("request", "method", r.Method, "path", r.URL.Path, "status", sw.status,
				"duration", time.Since(start).Round(time.Microsecond))
		})
	}
}

// statusWriter remembers the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(status int) {
	w.status = status
	w.ResponseWriter.WriteHeader(status)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
