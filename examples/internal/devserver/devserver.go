// Package devserver is the plumbing the examples share, apart from their
// LTI wiring: the command line (-addr, -platform-addr, -registrations or
// $LTIKIT_REGISTRATIONS, -base-url, -keys), the registrations file or, in
// its place, an in-process fake platform (package ltitest), the signing
// keys, the listener that gives the tool its URL, serving, and the graceful
// shutdown. Each example keeps tool.New and its routes in its own main.go.
package devserver

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/ltikit/ltikit/jwks"
	"github.com/ltikit/ltikit/testing/ltitest"
	"github.com/ltikit/ltikit/tool"
)

// RunFunc is an example's run: it parses args (and the environment
// through getenv), serves until ctx is done and returns after a graceful
// shutdown. It prints where to start on stdout and logs on stderr.
type RunFunc func(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error

// Main runs run with the command line and the environment until SIGINT or
// SIGTERM. It exits with 0 after -h, and with 1 after printing the error
// as "ltikit NAME: error" when run fails.
func Main(name string, run RunFunc) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
		os.Exit(0)
	case err != nil:
		fmt.Fprintln(os.Stderr, "ltikit "+name+":", err)
		os.Exit(1)
	}
}

// Config is the configuration the examples share, from flags and
// environment.
type Config struct {
	Addr          string // the tool listens here
	BaseURL       string // the tool's public origin; "" means the default
	PlatformAddr  string // the fake platform listens here
	Registrations string // the registrations file; "" starts the fake platform
	RegsSource    string // where Registrations came from, for error messages
	KeyDir        string // the tool's signing keys
}

// Flags says how an example names and defaults the shared flags.
type Flags struct {
	Command      string // the flag set's name, such as "quickstart"
	Tool         string // what the help calls the tool, such as "tool" or "lab"
	Platform     string // what it calls the fake platform, such as "fake platform"
	Addr         string // the default -addr
	PlatformAddr string // the default -platform-addr
	KeyDir       string // the default -keys: this directory in os.TempDir()

	// BaseURLUsage is the help of -base-url; "" means the tool's public
	// origin, when the LMS reaches it through a proxy (default http://ADDR).
	BaseURLUsage string
}

// FlagSet returns a flag set that sets cfg from the shared flags and
// writes its messages to stderr. The example adds its own flags, then
// calls Parse.
func (f Flags) FlagSet(cfg *Config, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(f.Command, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.Addr, "addr", f.Addr, "the "+f.Tool+" listens on this `address`")
	fs.StringVar(&cfg.PlatformAddr, "platform-addr", f.PlatformAddr, "the "+f.Platform+" listens on this `address`")
	fs.StringVar(&cfg.Registrations, "registrations", "",
		"serve the platforms registered in `FILE` (docs/registrations.md) instead of starting the "+f.Platform+"; default $"+tool.PlatformsEnv)
	usage := f.BaseURLUsage
	if usage == "" {
		usage = "the " + f.Tool + "'s public origin `URL`, when the LMS reaches it through a proxy (default http://ADDR)"
	}
	fs.StringVar(&cfg.BaseURL, "base-url", "", usage)
	fs.StringVar(&cfg.KeyDir, "keys", filepath.Join(os.TempDir(), f.KeyDir),
		"the "+f.Tool+"'s signing keys `DIR`, generated on first start")
	return fs
}

// Parse parses args with fs, refuses arguments after the flags, and
// takes the registrations file from $LTIKIT_REGISTRATIONS (tool.PlatformsEnv)
// when -registrations is not given, noting in cfg.RegsSource where it
// came from.
func Parse(fs *flag.FlagSet, args []string, getenv func(string) string, cfg *Config) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (see -h)", fs.Arg(0))
	}
	cfg.RegsSource = "-registrations"
	if cfg.Registrations == "" && getenv(tool.PlatformsEnv) != "" {
		cfg.Registrations, cfg.RegsSource = getenv(tool.PlatformsEnv), tool.PlatformsEnv
	}
	return nil
}

// Platform says how Start sets up the fake platform that stands in for
// the registrations when none are given.
type Platform struct {
	// Name is what error messages call it, such as "fake platform".
	Name string
	// Localhost makes the tool's default URL http://localhost:PORT, another
	// site than the platform on 127.0.0.1, as in production; else it is
	// http://ADDR. It does not apply with registrations or -base-url.
	Localhost bool
	// Options configure the platform for the tool at toolURL (its login
	// and launch URLs, as an LMS administrator enters them); Start adds
	// the platform's address.
	Options func(toolURL string) []ltitest.Option
}

// Server is a tool's HTTP server, listening, and what it was started
// with: the platforms, the signing keys and, without registrations, the
// fake platform.
type Server struct {
	URL       string             // the tool's origin, without a trailing slash
	RegsFile  string             // the registrations file, or ""
	Platform  *ltitest.Platform  // the fake platform; nil with a registrations file
	Platforms tool.PlatformStore // the platforms the tool accepts launches from
	Keys      *jwks.KeyRing      // the tool's signing keys, loaded from cfg.KeyDir

	ln      net.Listener
	srv     *http.Server
	closers []func(context.Context) error
}

// Start loads the registrations file (checked before anything starts),
// the signing keys, listens on cfg.Addr (listening first gives the real
// port when it ends in :0) to derive the tool's URL and, without
// registrations, starts the fake platform p describes. It serves nothing
// until Handle and Serve. On error it releases what it opened.
func Start(cfg Config, p Platform) (_ *Server, err error) {
	s := &Server{RegsFile: cfg.Registrations}
	defer func() {
		if err != nil {
			s.Close() // what was opened before the error
		}
	}()
	if cfg.Registrations != "" {
		f, err := tool.OpenPlatforms(cfg.Registrations)
		if err != nil {
			return nil, fmt.Errorf("cannot load the registrations file given by %s: %w", cfg.RegsSource, err)
		}
		s.Platforms = f
	}
	if s.Keys, err = jwks.LoadKeyDir(cfg.KeyDir); err != nil {
		return nil, fmt.Errorf("-keys %s: %w", cfg.KeyDir, err)
	}
	if s.ln, err = net.Listen("tcp", cfg.Addr); err != nil {
		return nil, fmt.Errorf("-addr: %w", err)
	}
	s.URL = strings.TrimSuffix(cfg.BaseURL, "/")
	switch {
	case s.URL != "":
	case s.Platforms == nil && p.Localhost:
		_, port, _ := net.SplitHostPort(s.ln.Addr().String())
		s.URL = "http://localhost:" + port
	default:
		s.URL = "http://" + s.ln.Addr().String()
	}
	if s.Platforms == nil {
		var opts []ltitest.Option
		if p.Options != nil {
			opts = p.Options(s.URL)
		}
		s.Platform, err = ltitest.Start(slices.Concat([]ltitest.Option{ltitest.WithAddr(cfg.PlatformAddr)}, opts)...)
		if err != nil {
			return nil, fmt.Errorf("%s (-platform-addr %s): %w", p.Name, cfg.PlatformAddr, err)
		}
		if s.Platforms, err = tool.NewMemoryPlatforms(s.Platform.Registration()); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Handle sets the tool's handler.
func (s *Server) Handle(h http.Handler) {
	s.srv = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
}

// OnClose adds f to what Shutdown and Close release, after the listener
// and before the fake platform, the last added first.
func (s *Server) OnClose(f func(context.Context) error) {
	s.closers = append(s.closers, f)
}

// RegisterBanner is the banner with registrations: intro, such as
// "ltikit quickstart: tool", then the tool's URL, the registrations file
// and the three URLs to register with the LMS.
func (s *Server) RegisterBanner(intro string) string {
	return fmt.Sprintf("%s at %s for the platforms in %s; register it with the LMS as\n"+
		"  login URL        %s/lti/login\n  redirect URI     %s/lti/launch\n  public keyset    %s/.well-known/jwks.json",
		intro, s.URL, s.RegsFile, s.URL, s.URL, s.URL)
}

// Serve serves the tool's handler until Shutdown.
func (s *Server) Serve() error {
	if err := s.srv.Serve(s.ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Shutdown stops serving gracefully, waiting for requests in progress
// until ctx is done, then releases everything as Close does.
func (s *Server) Shutdown(ctx context.Context) error {
	var err error
	if s.srv != nil {
		err = s.srv.Shutdown(ctx)
	}
	return errors.Join(err, s.release(ctx))
}

// Close releases what Start opened and what OnClose added, without
// waiting for requests in progress.
func (s *Server) Close() error { return s.release(context.Background()) }

func (s *Server) release(ctx context.Context) error {
	var err error
	if s.ln != nil {
		s.ln.Close()
	}
	for _, f := range slices.Backward(s.closers) {
		err = errors.Join(err, f(ctx))
	}
	s.closers = nil
	if s.Platform != nil {
		s.Platform.Close()
	}
	return err
}

// Run serves until ctx is done (or serving fails), then shuts down
// gracefully, giving requests in progress 5 seconds.
func (s *Server) Run(ctx context.Context, logger *slog.Logger) error {
	served := make(chan error, 1)
	go func() { served <- s.Serve() }()
	var err error
	select {
	case err = <-served:
	case <-ctx.Done():
		logger.Info("shutting down")
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return errors.Join(err, s.Shutdown(sctx))
}
