// Package middleware adapts a [tool.Tool] to net/http middleware of the
// shape func(http.Handler) http.Handler, which works with http.ServeMux,
// gorilla/mux (mux.MiddlewareFunc) and most routers.
//
//	mux.Handle("/lti/launch", middleware.Launch(t)(http.HandlerFunc(home)))
//	mux.Handle("/app/", middleware.Session(t)(middleware.RequireRole(tool.RoleInstructor)(app)))
//
// Every refusal is written by the tool's Config.ErrorFunc and never reaches
// the wrapped handler.
package middleware
