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
// The files are a pattern to copy: main.go reads the configuration,
// app.go wires ltikit, routes.go routes with gorilla/mux; precheck.go,
// monitor.go, policy.go, quiz.go, dashboard.go and end.go are the tool's
// pages, sessions.go keeps the proctoring sessions in memory.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/ltikit/ltikit/tool"
)

// config is the tool's configuration, from flags and environment.
type config struct {
	addr          string // the tool listens here
	baseURL       string // the tool's public origin; "" means http://<addr>
	platformAddr  string // the fake platform listens here
	registrations string // the registrations file; "" starts the fake platform
	regsSource    string // where registrations came from, for error messages
	keyDir        string // the tool's signing keys
	policy        policy // what integrity events lead to
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
		os.Exit(0)
	case err != nil:
		fmt.Fprintln(os.Stderr, "ltikit proctoring:", err)
		os.Exit(1)
	}
}

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
	logger.Info("tool started", "url", a.toolURL, "keys", cfg.keyDir,
		"flag_on", cfg.policy.FlagOn, "terminate_after", cfg.policy.TerminateAfter)

	served := make(chan error, 1)
	go func() { served <- a.serve() }()
	select {
	case err = <-served:
	case <-ctx.Done():
		logger.Info("shutting down")
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return errors.Join(err, a.shutdown(sctx))
}

// parseFlags reads the command line; the registrations file may also come
// from the environment variable LTIKIT_REGISTRATIONS.
func parseFlags(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	var cfg config
	fs := flag.NewFlagSet("proctoring", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.addr, "addr", "127.0.0.1:8010", "the tool listens on this `address`")
	fs.StringVar(&cfg.platformAddr, "platform-addr", "127.0.0.1:8011", "the fake platform listens on this `address`")
	fs.StringVar(&cfg.registrations, "registrations", "",
		"serve the platforms registered in `FILE` (docs/registrations.md) instead of starting the fake platform; default $"+tool.PlatformsEnv)
	fs.StringVar(&cfg.baseURL, "base-url", "", "the tool's public origin `URL`, when the LMS reaches it through a proxy (default http://ADDR)")
	fs.StringVar(&cfg.keyDir, "keys", filepath.Join(os.TempDir(), "ltikit-proctoring-keys"),
		"the tool's signing keys `DIR`, generated on first start")
	fs.IntVar(&cfg.policy.FlagOn, "flag-on", 1, "flag the attempt at the `N`th integrity event (0: never)")
	fs.IntVar(&cfg.policy.TerminateAfter, "terminate-after", 3, "terminate the attempt at the `N`th integrity event (0: never)")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected argument %q (see -h)", fs.Arg(0))
	}
	if cfg.policy.FlagOn < 0 || cfg.policy.TerminateAfter < 0 {
		return config{}, errors.New("-flag-on and -terminate-after must not be negative")
	}
	cfg.regsSource = "-registrations"
	if cfg.registrations == "" && getenv(tool.PlatformsEnv) != "" {
		cfg.registrations, cfg.regsSource = getenv(tool.PlatformsEnv), tool.PlatformsEnv
	}
	return cfg, nil
}
