// Command simulation serves the projectile lab (package sim), an LTI 1.3
// tool built with ltikit, together with an in-process development LMS to
// launch it from a browser. It needs no external service:
//
//	$ go run ./examples/simulation
//	ltikit simulation: open http://127.0.0.1:8001/ and launch the lab
//
// The development LMS (`ltikit dev` runs the same) shows the course
// "Physics 101" with an instructor, a teaching assistant and three
// learners. A learner's Launch button opens the lab in an iframe: hit the
// targets, and the grade appears in the LMS's gradebook. The instructor's
// "Add activity" runs deep linking: pick scenarios, and they become
// activities with their own gradebook columns. The instructor's Launch
// shows the class from the roster service with each learner's result.
//
// To serve the lab to a real LMS such as Moodle (docs/moodle.md), give the
// registrations file (docs/registrations.md) with -registrations FILE or
// LTIKIT_REGISTRATIONS=FILE: no development LMS starts then. Flags:
//
//	-addr ADDR           the lab listens here (default 127.0.0.1:8000)
//	-platform-addr ADDR  the development LMS listens here (default 127.0.0.1:8001)
//	-registrations FILE  serve the platforms registered in FILE, without development LMS
//	-base-url URL        the lab's public origin (default http://localhost:PORT
//	                     with the development LMS, a different site from the
//	                     LMS's 127.0.0.1 as in production; else http://ADDR)
//	-keys DIR            the lab's signing keys, generated on first start
//	                     (default ltikit-simulation-keys in the temporary directory)
//	-scores DIR          the grades the outbox has not delivered yet, kept across
//	                     restarts (default ltikit-simulation-scores in the temporary
//	                     directory)
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/ltikit/ltikit/examples/internal/devserver"
)

// config is the command's configuration, from flags and environment.
type config struct {
	devserver.Config
	scoreDir string // the outbox's store of grades not delivered yet
}

func main() { devserver.Main("simulation", run) }

// run parses args, starts the lab (and, without registrations, the
// development LMS), prints where to start, and serves until ctx is done;
// then it shuts down gracefully.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := parseFlags(args, getenv, stderr)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	s, err := start(cfg, logger)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, s.banner())
	return s.Run(ctx, logger)
}

// parseFlags reads the command line; the registrations file may also come
// from the environment variable LTIKIT_REGISTRATIONS.
func parseFlags(args []string, getenv func(string) string, stderr io.Writer) (config, error) {
	var cfg config
	fs := devserver.Flags{Command: "simulation", Tool: "lab", Platform: "development LMS",
		Addr: "127.0.0.1:8000", PlatformAddr: "127.0.0.1:8001", KeyDir: "ltikit-simulation-keys",
		BaseURLUsage: "the lab's public origin `URL` (default http://localhost:PORT with the development LMS, else http://ADDR)",
	}.FlagSet(&cfg.Config, stderr)
	fs.StringVar(&cfg.scoreDir, "scores", filepath.Join(os.TempDir(), "ltikit-simulation-scores"),
		"keep the grades not delivered to the LMS yet in `DIR` (the outbox's store)")
	if err := devserver.Parse(fs, args, getenv, &cfg.Config); err != nil {
		return config{}, err
	}
	return cfg, nil
}
