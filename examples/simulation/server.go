package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/ltikit/ltikit/examples/internal/devserver"
	"github.com/ltikit/ltikit/examples/simulation/sim"
	"github.com/ltikit/ltikit/outbox"
	"github.com/ltikit/ltikit/testing/ltitest"
)

// server is the running lab and, unless registrations were given, the
// development LMS that launches it.
type server struct {
	*devserver.Server
	app    *sim.App
	scores *outbox.FileStore // the grades the outbox has yet to deliver
}

// start wires the lab: registrations (from the file, or the development
// LMS's), signing keys, the app. It listens on cfg.Addr but serves
// nothing until Run. Without -base-url and registrations the lab is
// http://localhost:PORT: another site than the LMS on 127.0.0.1, as in
// production.
func start(cfg config, logger *slog.Logger) (_ *server, err error) {
	srv, err := devserver.Start(cfg.Config, devserver.Platform{Name: "development LMS", Localhost: true,
		// The development LMS knows the lab's URLs as an LMS administrator enters them.
		Options: func(labURL string) []ltitest.Option {
			return []ltitest.Option{ltitest.WithDevLMS("Projectile lab"),
				ltitest.WithLoginURL(labURL + "/lti/login"), ltitest.WithRedirectURIs(labURL + "/lti/launch"),
				ltitest.WithToolJWKSURL(labURL + "/.well-known/jwks.json")}
		}})
	if err != nil {
		return nil, err
	}
	s := &server{Server: srv}
	defer func() {
		if err != nil {
			s.Close() // what was opened before the error
		}
	}()
	if s.scores, err = outbox.OpenFileStore(cfg.scoreDir); err != nil {
		return nil, fmt.Errorf("-scores %s: %w", cfg.scoreDir, err)
	}
	s.OnClose(func(context.Context) error { return s.scores.Close() })
	s.app, err = sim.New(sim.Config{BaseURL: s.URL, Platforms: s.Platforms, Keys: s.Keys, Scores: s.scores, Logger: logger})
	if err != nil {
		return nil, err
	}
	s.OnClose(s.app.Close) // waits for grade deliveries in progress; the others stay in -scores
	var h http.Handler = s.app
	if s.Platform != nil {
		h = s.Platform.ObserveTool(h) // the LMS's message log shows the lab's verdict on each launch
	}
	s.Handle(h)
	return s, nil
}

// banner tells a person where to start.
func (s *server) banner() string {
	if s.Platform != nil {
		return "ltikit simulation: open " + s.Platform.URL + "/ and launch the lab"
	}
	return s.RegisterBanner("ltikit simulation: lab")
}
