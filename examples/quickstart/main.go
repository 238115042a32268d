// Command quickstart is a minimal LTI 1.3 tool built with ltikit, served
// together with an in-process fake platform (an LMS) to launch it from a
// browser. It needs no external service:
//
//	$ go run ./examples/quickstart
//	ltikit quickstart: open http://127.0.0.1:8001/ and click Launch
//
// The platform's page shows the course "Physics 101" with a learner, an
// instructor and a teaching assistant; each Launch button opens the tool in
// an iframe, as an LMS does. The tool's home page shows what the verified
// launch says (user, roles, course, resource link, custom parameters) and
// links to pages reached through the launch session.
//
// To launch the tool from a real LMS instead, register it there and give
// the registrations file (docs/registrations.md) with -registrations FILE
// or LTIKIT_REGISTRATIONS=FILE; no fake platform starts then, and
// -base-url sets the tool's public URL when the LMS reaches it through a
// proxy or tunnel. Flags:
//
//	-addr ADDR           the tool listens here (default 127.0.0.1:8000)
//	-platform-addr ADDR  the fake platform listens here (default 127.0.0.1:8001)
//	-registrations FILE  serve the platforms registered in FILE, without fake platform
//	-base-url URL        the tool's public origin (default http://ADDR)
//	-keys DIR            the tool's signing keys, generated on first start
//	                     (default ltikit-quickstart-keys in the temporary directory)
//
// The files are a pattern to copy: main.go wires ltikit (tool.New, the
// fake platform's view of the tool), handlers.go routes with gorilla/mux
// (the login, launch and keyset URLs, then the tool's pages) and serves the
// pages in templates/. The plumbing the examples share (flags, the
// registrations file or the fake platform, keys, listening, graceful
// shutdown) is in examples/internal/devserver.
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/ltikit/ltikit/examples/internal/devserver"
	"github.com/ltikit/ltikit/testing/ltitest"
	"github.com/ltikit/ltikit/tool"
)

// config is the quickstart's configuration, from flags and environment.
type config struct {
	devserver.Config
}

func main() { devserver.Main("quickstart", run) }

// run parses args, starts the tool (and, without registrations, the fake
// platform), prints where to start, and serves until ctx is done; then it
// shuts the servers down gracefully.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := parseFlags(args, getenv, stderr)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	a, err := newApp(cfg, logger)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, a.banner())
	logger.Info("tool started", "url", a.URL, "login", a.URL+"/lti/login",
		"launch", a.URL+"/lti/launch", "jwks", a.URL+"/.well-known/jwks.json", "keys", cfg.KeyDir)
	return a.Run(ctx, logger)
}

// parseFlags reads the command line; the registrations file may also come
// from the environment variable LTIKIT_REGISTRATIONS.
func parseFlags(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	var cfg config
	fs := devserver.Flags{Command: "quickstart", Tool: "tool", Platform: "fake platform",
		Addr: "127.0.0.1:8000", PlatformAddr: "127.0.0.1:8001", KeyDir: "ltikit-quickstart-keys"}.FlagSet(&cfg.Config, stderr)
	if err := devserver.Parse(fs, args, getenv, &cfg.Config); err != nil {
		return config{}, err
	}
	return cfg, nil
}

// app is the running quickstart: the tool, its HTTP server and, unless
// registrations were given, the fake platform that launches it.
type app struct {
	*devserver.Server
	tool *tool.Tool
}

// newApp wires the tool: devserver.Start loads the registrations (or
// starts the fake platform, which knows the tool's login and launch URLs
// as an LMS administrator would enter them) and the signing keys, and
// listens on cfg.Addr; then tool.New and the routes. It serves nothing
// until Run.
func newApp(cfg config, logger *slog.Logger) (_ *app, err error) {
	srv, err := devserver.Start(cfg.Config, devserver.Platform{Name: "fake platform",
		Options: func(toolURL string) []ltitest.Option {
			return []ltitest.Option{ltitest.WithLoginURL(toolURL + "/lti/login"), ltitest.WithRedirectURIs(toolURL + "/lti/launch")}
		}})
	if err != nil {
		return nil, err
	}
	a := &app{Server: srv}
	defer func() {
		if err != nil {
			a.Close() // what was opened before the error
		}
	}()

	// The tool: the platforms it accepts launches from, and its signing
	// keys, published at /.well-known/jwks.json.
	a.tool, err = tool.New(tool.Config{BaseURL: a.URL, Platforms: a.Platforms, Keys: a.Keys, Logger: logger})
	if err != nil {
		return nil, err
	}
	a.OnClose(func(context.Context) error { return a.tool.Close() })
	s, err := newSite(a, logger)
	if err != nil {
		return nil, err
	}
	a.Handle(newRouter(a.tool, s))
	return a, nil
}

// banner is the line that tells a person where to start.
func (a *app) banner() string {
	if a.Platform != nil {
		return "ltikit quickstart: open " + a.Platform.URL + "/ and click Launch"
	}
	return a.RegisterBanner("ltikit quickstart: tool")
}
