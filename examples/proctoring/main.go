// Command proctoring is a proctoring tool built with ltikit: LTI
// Proctoring Services 1.0 for platforms that have it, and a proctored quiz
// of its own for platforms that do not, such as Moodle 4.5. It runs
// together with an in-process fake platform when no registrations are
// given:
//
//	$ go run ./examples/proctoring
//	ltikit proctoring: open http://127.0.0.1:8011/ and click "Start proctored attempt"
//
// With LTI Proctoring Services the platform launches the tool with
// LtiStartProctoring before an attempt. The candidate goes through the
// pre-check (identity confirmed against the name the platform verified, an
// environment checklist, consent, an optional webcam snapshot); its start
// button opens a small monitor window and sends the browser back with a
// signed LtiStartAssessment, and the platform starts the attempt in its
// own exam page. The monitor window records its own closing, and copy and
// paste in it, as incidents (its focus changes and its being hidden, which
// working in the exam window causes, for information only), and the tool
// reports incidents through the Assessment Control Service as its policy
// says: flag the first, terminate after N. The platform sends
// LtiEndAssessment when the attempt ends.
//
// Launched as a plain resource link (Moodle), the same tool runs a short
// quiz itself, after the same pre-check, with the monitor in the quiz page
// (focus loss, tab switches, copy and paste, leaving full screen are
// incidents), and posts the score to the gradebook through the Assignment
// and Grade Services. Instructors get the proctor dashboard: the course's learners
// (from the Names and Role Provisioning Services when the platform grants
// them), their sessions and events, and a decision for each session.
//
// Flags:
//
//	-addr ADDR             the tool listens here (default 127.0.0.1:8010)
//	-platform-addr ADDR    the fake platform listens here (default 127.0.0.1:8011)
//	-registrations FILE    serve the platforms registered in FILE (docs/registrations.md)
//	                       instead of the fake platform; also $LTIKIT_REGISTRATIONS
//	-base-url URL          the tool's public origin (default http://ADDR)
//	-keys DIR              the tool's signing keys, generated on first start
//	-flag-on N             flag the attempt at the Nth integrity event (default 1; 0 never)
//	-terminate-after N     terminate the attempt at the Nth integrity event (default 3; 0 never)
//
// The files are a pattern to copy: main.go reads the configuration and
// wires ltikit (tool.New with the message types it accepts, the fake
// platform's view of the tool), routes.go routes with gorilla/mux; precheck.go,
// monitor.go, policy.go, quiz.go, dashboard.go and end.go are the tool's
// pages, sessions.go keeps the proctoring sessions in memory. The plumbing
// the examples share (flags, the registrations file or the fake platform,
// keys, listening, graceful shutdown) is in examples/internal/devserver.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"

	"github.com/ltikit/ltikit/examples/internal/devserver"
	"github.com/ltikit/ltikit/testing/ltitest"
	"github.com/ltikit/ltikit/tool"
)

// config is the tool's configuration, from flags and environment.
type config struct {
	devserver.Config
	policy policy // what integrity events lead to
}

func main() { devserver.Main("proctoring", run) }

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
	logger.Info("tool started", "url", a.URL, "keys", cfg.KeyDir,
		"flag_on", cfg.policy.FlagOn, "terminate_after", cfg.policy.TerminateAfter)
	return a.Run(ctx, logger)
}

// parseFlags reads the command line; the registrations file may also come
// from the environment variable LTIKIT_REGISTRATIONS.
func parseFlags(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	var cfg config
	fs := devserver.Flags{Command: "proctoring", Tool: "tool", Platform: "fake platform",
		Addr: "127.0.0.1:8010", PlatformAddr: "127.0.0.1:8011", KeyDir: "ltikit-proctoring-keys"}.FlagSet(&cfg.Config, stderr)
	fs.IntVar(&cfg.policy.FlagOn, "flag-on", 1, "flag the attempt at the `N`th integrity event (0: never)")
	fs.IntVar(&cfg.policy.TerminateAfter, "terminate-after", 3, "terminate the attempt at the `N`th integrity event (0: never)")
	if err := devserver.Parse(fs, args, getenv, &cfg.Config); err != nil {
		return config{}, err
	}
	if cfg.policy.FlagOn < 0 || cfg.policy.TerminateAfter < 0 {
		return config{}, errors.New("-flag-on and -terminate-after must not be negative")
	}
	return cfg, nil
}

// app is the running proctoring tool: the tool, its HTTP server and,
// unless registrations were given, the fake platform that launches it.
type app struct {
	*devserver.Server
	tool *tool.Tool
}

// newApp wires the tool: devserver.Start loads the registrations (or
// starts the fake platform, which knows the tool's login and launch URLs
// and its public keys, as an LMS administrator would enter them) and the
// signing keys, and listens on cfg.Addr; then tool.New and the routes. It
// serves nothing until Run.
func newApp(cfg config, logger *slog.Logger) (*app, error) {
	srv, err := devserver.Start(cfg.Config, devserver.Platform{Name: "fake platform",
		Options: func(toolURL string) []ltitest.Option {
			return []ltitest.Option{ltitest.WithLoginURL(toolURL + "/lti/login"), ltitest.WithRedirectURIs(toolURL + "/lti/launch"),
				ltitest.WithToolJWKSURL(toolURL + "/.well-known/jwks.json")}
		}})
	if err != nil {
		return nil, err
	}
	a, h, err := wire(srv, cfg.policy, logger)
	if err != nil {
		srv.Close() // what was opened before the error
		return nil, err
	}
	srv.Handle(h)
	return a, nil
}

// wire builds the tool on srv and returns it with its routes. The tool's signing
// keys sign LtiStartAssessment messages and the client assertions of
// service tokens, and are published at /.well-known/jwks.json; it accepts
// proctoring launches besides resource links (messageTypes).
func wire(srv *devserver.Server, p policy, logger *slog.Logger) (*app, http.Handler, error) {
	t, err := tool.New(tool.Config{BaseURL: srv.URL, Platforms: srv.Platforms, Keys: srv.Keys, Logger: logger,
		MessageTypes: messageTypes})
	if err != nil {
		return nil, nil, err
	}
	srv.OnClose(func(context.Context) error { return t.Close() })
	a := &app{Server: srv, tool: t}
	s, err := newSite(a, p, logger)
	if err != nil {
		return nil, nil, err
	}
	return a, newRouter(t, s), nil
}

// banner is the line that tells a person where to start.
func (a *app) banner() string {
	if a.Platform != nil {
		return "ltikit proctoring: open " + a.Platform.URL + `/ and click "Start proctored attempt"`
	}
	return a.RegisterBanner("ltikit proctoring: tool")
}
