package middleware

import (
	"context"
	"errors"
	"net/http"

	"github.com/ltikit/ltikit/tool"
)

// Launch verifies the platform's launch POST with [tool.Tool.HandleLaunch],
// stores the launch for follow-up requests and calls next with the launch
// in the request context ([tool.LaunchFrom]). A refused launch never reaches
// next and stores nothing.
//
// The launch URL receives a cross-site POST from the platform: do not put it
// behind CSRF protection such as gorilla/csrf or http.CrossOriginProtection.
func Launch(t *tool.Tool) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			l, err := t.HandleLaunch(w, r)
			if err != nil {
				t.ServeError(w, r, err)
				return
			}
			next.ServeHTTP(w, r.WithContext(withLaunch(r.Context(), t, l)))
		})
	}
}

// Session restores the launch of a follow-up request inside the LMS iframe
// ([tool.Tool.SessionLaunch]) and calls next with it in the request context.
// Requests without a valid launch session are refused (no_session, 401), and
// so are those that name no launch (the "launch" query parameter or the
// LTI-Launch header) when the browser holds several launches or the method
// is not GET or HEAD (missing_launch_id, 400).
//
// CSRF: the session cookies are SameSite=None, as the LMS iframe needs, so
// a browser sends them with requests from any site. What keeps another site
// from posting as the user is the launch id, which only the tool's pages
// know: build every link and form with [tool.Launch.Link] (or send the
// LTI-Launch header from scripts), and keep it out of third-party requests
// (Referrer-Policy: no-referrer or same-origin). Also put the routes behind
// http.CrossOriginProtection, which refuses cross-site POSTs that modern
// browsers mark with Sec-Fetch-Site or Origin (never the launch URL, which
// receives the platform's cross-site POST):
//
//	mux.Handle("/app/", http.NewCrossOriginProtection().Handler(middleware.Session(t)(app)))
func Session(t *tool.Tool) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if l, ok := tool.LaunchFrom(r.Context()); ok {
				next.ServeHTTP(w, r.WithContext(withLaunch(r.Context(), t, l)))
				return
			}
			l, err := t.SessionLaunch(r)
			if err != nil {
				t.ServeError(w, r, err)
				return
			}
			next.ServeHTTP(w, r.WithContext(withLaunch(r.Context(), t, l)))
		})
	}
}

type toolKey struct{}

// withLaunch puts the launch, and the tool whose ErrorFunc later middleware
// uses, into ctx.
func withLaunch(ctx context.Context, t *tool.Tool, l *tool.Launch) context.Context {
	return tool.ContextWithLaunch(context.WithValue(ctx, toolKey{}, t), l)
}

// serveError writes err with the ErrorFunc of the tool in r's context, or
// as plain text when Launch or Session did not run.
func serveError(w http.ResponseWriter, r *http.Request, err error) {
	if t, ok := r.Context().Value(toolKey{}).(*tool.Tool); ok {
		t.ServeError(w, r, err)
		return
	}
	status := http.StatusInternalServerError
	var e *tool.Error
	if errors.As(err, &e) {
		status = e.Status()
	}
	http.Error(w, err.Error(), status)
}
