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
// The files are a pattern to copy: main.go reads the configuration and runs
// the servers, app.go wires ltikit (registrations, keys, tool, fake
// platform), handlers.go routes with gorilla/mux and serves the pages in
// templates/.
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

// config is the quickstart's configuration, from flags and environment.
type config struct {
	addr          string // the tool listens here
	baseURL       string // the tool's public origin; "" means http://<addr>
	platformAddr  string // the fake platform listens here
	registrations string // the registrations file; "" starts the fake platform
	regsSource    string // where registrations came from, for error messages
	keyDir        string // the tool's signing keys
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
		os.Exit(0)
	case err != nil:
		fmt.Fprintln(os.Stderr, "ltikit quickstart:", err)
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
	logger.Info("tool started", "url", a.toolURL, "login", a.toolURL+"/lti/login",
		"launch", a.toolURL+"/lti/launch", "jwks", a.toolURL+"/.well-known/jwks.json", "keys", cfg.keyDir)

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
	fs := flag.NewFlagSet("quickstart", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.addr, "addr", "127.0.0.1:8000", "the tool listens on this `address`")
	fs.StringVar(&cfg.platformAddr, "platform-addr", "127.0.0.1:8001", "the fake platform listens on this `address`")
	fs.StringVar(&cfg.registrations, "registrations", "",
		"serve the platforms registered in `FILE` (docs/registrations.md) instead of starting the fake platform; default $"+tool.PlatformsEnv)
	fs.StringVar(&cfg.baseURL, "base-url", "", "the tool's public origin `URL`, when the LMS reaches it through a proxy (default http://ADDR)")
	fs.StringVar(&cfg.keyDir, "keys", filepath.Join(os.TempDir(), "ltikit-quickstart-keys"),
		"the tool's signing keys `DIR`, generated on first start")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected argument %q (see -h)", fs.Arg(0))
	}
	cfg.regsSource = "-registrations"
	if cfg.registrations == "" && getenv(tool.PlatformsEnv) != "" {
		cfg.registrations, cfg.regsSource = getenv(tool.PlatformsEnv), tool.PlatformsEnv
	}
	return cfg, nil
}
