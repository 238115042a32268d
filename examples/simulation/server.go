package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/ltikit/ltikit/examples/simulation/sim"
	"github.com/ltikit/ltikit/jwks"
	"github.com/ltikit/ltikit/outbox"
	"github.com/ltikit/ltikit/testing/ltitest"
	"github.com/ltikit/ltikit/tool"
)

// server is the running lab and, unless registrations were given, the
// development LMS that launches it.
type server struct {
	labURL   string
	regsFile string            // the registrations file, or ""
	lms      *ltitest.Platform // nil with a registrations file

	app    *sim.App
	scores *outbox.FileStore // the grades the outbox has yet to deliver
	ln     net.Listener
	srv    *http.Server
}

// start wires the lab: registrations (from the file, or the development
// LMS's), signing keys, the app. It listens on cfg.addr but serves
// nothing until serve.
func start(cfg config, logger *slog.Logger) (_ *server, err error) {
	s := &server{regsFile: cfg.registrations}
	defer func() {
		if err != nil {
			s.close() // what was opened before the error
		}
	}()
	var regs tool.PlatformStore
	if cfg.registrations != "" {
		f, err := tool.OpenPlatforms(cfg.registrations)
		if err != nil {
			return nil, fmt.Errorf("cannot load the registrations file given by %s: %w", cfg.regsSource, err)
		}
		regs = f
	}
	keys, err := jwks.LoadKeyDir(cfg.keyDir)
	if err != nil {
		return nil, fmt.Errorf("-keys %s: %w", cfg.keyDir, err)
	}
	s.ln, err = net.Listen("tcp", cfg.addr)
	if err != nil {
		return nil, fmt.Errorf("-addr: %w", err)
	}
	s.labURL = strings.TrimSuffix(cfg.baseURL, "/")
	switch {
	case s.labURL != "":
	case regs == nil: // localhost: another site than the LMS on 127.0.0.1, as in production
		s.labURL = "http://localhost:" + portOf(s.ln.Addr())
	default:
		s.labURL = "http://" + s.ln.Addr().String()
	}

	// Without registrations, the development LMS, which knows the lab's
	// URLs as an LMS administrator enters them.
	if regs == nil {
		s.lms, err = ltitest.Start(ltitest.WithAddr(cfg.platformAddr), ltitest.WithDevLMS("Projectile lab"),
			ltitest.WithLoginURL(s.labURL+"/lti/login"), ltitest.WithRedirectURIs(s.labURL+"/lti/launch"),
			ltitest.WithToolJWKSURL(s.labURL+"/.well-known/jwks.json"))
		if err != nil {
			return nil, fmt.Errorf("development LMS (-platform-addr %s): %w", cfg.platformAddr, err)
		}
		if regs, err = tool.NewMemoryPlatforms(s.lms.Registration()); err != nil {
			return nil, err
		}
	}
	if s.scores, err = outbox.OpenFileStore(cfg.scoreDir); err != nil {
		return nil, fmt.Errorf("-scores %s: %w", cfg.scoreDir, err)
	}
	s.app, err = sim.New(sim.Config{BaseURL: s.labURL, Platforms: regs, Keys: keys, Scores: s.scores, Logger: logger})
	if err != nil {
		return nil, err
	}
	var h http.Handler = s.app
	if s.lms != nil {
		h = s.lms.ObserveTool(h) // the LMS's message log shows the lab's verdict on each launch
	}
	s.srv = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	return s, nil
}

// portOf is the port of a TCP address.
func portOf(a net.Addr) string {
	_, port, _ := net.SplitHostPort(a.String())
	return port
}

// banner tells a person where to start.
func (s *server) banner() string {
	if s.lms != nil {
		return "ltikit simulation: open " + s.lms.URL + "/ and launch the lab"
	}
	return fmt.Sprintf("ltikit simulation: lab at %s for the platforms in %s; register it with the LMS as\n"+
		"  login URL        %s/lti/login\n  redirect URI     %s/lti/launch\n  public keyset    %s/.well-known/jwks.json",
		s.labURL, s.regsFile, s.labURL, s.labURL, s.labURL)
}

// serve serves the lab until shutdown.
func (s *server) serve() error {
	if err := s.srv.Serve(s.ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// shutdown stops serving gracefully, waiting for requests and grade
// deliveries in progress until ctx is done, then closes the lab and the
// development LMS. The grades not delivered stay in the -scores directory.
func (s *server) shutdown(ctx context.Context) error {
	err := s.srv.Shutdown(ctx)
	return errors.Join(err, s.closeCtx(ctx))
}

// close releases what start opened.
func (s *server) close() { s.closeCtx(context.Background()) }

func (s *server) closeCtx(ctx context.Context) error {
	var err error
	if s.ln != nil {
		s.ln.Close()
	}
	if s.app != nil {
		err = s.app.Close(ctx)
	}
	if s.scores != nil {
		err = errors.Join(err, s.scores.Close())
	}
	if s.lms != nil {
		s.lms.Close()
	}
	return err
}
