// Package tool turns a Go web application into an LTI 1.3 tool.
//
// A [Tool] is built once from a [Config] with [New]. It serves the OIDC
// third-party login ([Tool.LoginHandler]) and the tool's public keys
// ([Tool.JWKSHandler]), and verifies the platform's launch POST
// ([Tool.VerifyLaunch]) into a typed [Launch]. The middleware package wraps
// these in func(http.Handler) http.Handler adapters:
//
//	t, err := tool.New(tool.Config{Platforms: regs, Keys: keys, BaseURL: "https://tool.example"})
//	if err != nil { log.Fatal(err) }
//	mux := http.NewServeMux()
//	mux.Handle("/lti/login", t.LoginHandler())
//	mux.Handle("/lti/launch", middleware.Launch(t)(http.HandlerFunc(home)))
//	mux.Handle("/.well-known/jwks.json", t.JWKSHandler())
//
// In a handler behind the middleware:
//
//	l, _ := tool.LaunchFrom(r.Context())
//	if l.Roles.IsInstructor() { … }
//
// Every verification failure is an [*Error] with a stable [Code]; compare
// with errors.Is against the sentinels such as [ErrStateMismatch].
package tool
