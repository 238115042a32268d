package sim

import (
	"bytes"
	"net/http"

	"github.com/gorilla/mux"

	"github.com/ltikit/ltikit/middleware"
	"github.com/ltikit/ltikit/tool"
)

// routes maps the lab's URLs with gorilla/mux; ltikit's middleware has the
// mux.MiddlewareFunc shape.
func (a *App) routes(static http.Handler) http.Handler {
	t := a.tool
	r := mux.NewRouter()

	// The three URLs registered with the LMS. The launch URL is also the
	// URL of every activity the lab creates by deep linking.
	r.Handle("/lti/login", t.LoginHandler()).Methods(http.MethodGet, http.MethodPost)
	r.Handle("/lti/launch", middleware.Launch(t)(http.HandlerFunc(a.launch))).Methods(http.MethodPost)
	r.Handle("/.well-known/jwks.json", t.JWKSHandler()).Methods(http.MethodGet)

	// Requests from the lab's pages inside the LMS iframe: the session
	// cookie and the launch id in the URL (Launch.Link) restore the launch.
	// Their POSTs come only from the lab's own pages: CrossOriginProtection
	// refuses cross-site ones, and Session refuses a POST without its
	// launch id.
	app := r.PathPrefix("/app").Subrouter()
	app.Use(http.NewCrossOriginProtection().Handler, middleware.Session(t))
	app.HandleFunc("/lab", a.lab).Methods(http.MethodGet)
	app.HandleFunc("/attempt", a.attempt).Methods(http.MethodPost)
	app.Handle("/class", middleware.RequireRole(tool.RoleInstructor)(http.HandlerFunc(a.class))).Methods(http.MethodGet)
	app.Handle("/deeplink", middleware.RequireMessageType(tool.DeepLinkingRequest)(http.HandlerFunc(a.deepLink))).
		Methods(http.MethodPost)

	r.PathPrefix("/static/").Handler(http.StripPrefix("/static/", static)).Methods(http.MethodGet)
	r.HandleFunc("/", a.index).Methods(http.MethodGet)
	return r
}

// launch is where the LMS's launches land: deep linking opens the
// scenario catalog; an instructor's resource-link launch opens the class's
// results, a learner's the lab.
func (a *App) launch(w http.ResponseWriter, r *http.Request) {
	l, _ := tool.LaunchFrom(r.Context()) // always there behind middleware.Launch
	switch {
	case l.MessageType == tool.DeepLinkingRequest:
		a.catalog(w, r)
	case l.Roles.IsInstructor():
		a.class(w, r)
	default:
		a.lab(w, r)
	}
}

// index is the lab's root, opened outside an LMS.
func (a *App) index(w http.ResponseWriter, r *http.Request) {
	base := a.tool.Config().BaseURL
	a.render(w, http.StatusOK, "index.html", map[string]any{"Base": base, "Scenarios": Catalog()})
}

// render executes a page into a buffer first, so that a template error is
// a clean 500 rather than half a page.
func (a *App) render(w http.ResponseWriter, status int, name string, data any) {
	var b bytes.Buffer
	if err := a.pages.ExecuteTemplate(&b, name, data); err != nil {
		a.logger.Error("sim: template", "name", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
}

// problem shows what keeps a page from working, for the person who can fix
// it (usually the instructor or the LMS administrator).
func (a *App) problem(w http.ResponseWriter, status int, title, detail string) {
	a.render(w, status, "problem.html", map[string]string{"Title": title, "Detail": detail})
}
