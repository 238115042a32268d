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

	"github.com/ltikit/ltikit/jwks"
	"github.com/ltikit/ltikit/testing/ltitest"
	"github.com/ltikit/ltikit/tool"
)

// app is the running proctoring tool: its HTTP server and, unless
// registrations were given, the fake platform that launches it.
type app struct {
	toolURL  string
	regsFile string            // the registrations file, or ""
	platform *ltitest.Platform // nil with a registrations file

	tool *tool.Tool
	keys *jwks.KeyRing
	ln   net.Listener
	srv  *http.Server
}

// newApp wires the tool: registrations (from the file, or the fake
// platform's), signing keys, tool.New and the routes. It listens on
// cfg.addr but serves nothing until serve.
func newApp(cfg config, logger *slog.Logger) (_ *app, err error) {
	a := &app{regsFile: cfg.registrations}
	defer func() {
		if err != nil {
			a.close() // what was opened before the error
		}
	}()

	// 1. The platforms the tool accepts launches from.
	var regs tool.PlatformStore
	if cfg.registrations != "" {
		f, err := tool.OpenPlatforms(cfg.registrations)
		if err != nil {
			return nil, fmt.Errorf("cannot load the registrations file given by %s: %w", cfg.regsSource, err)
		}
		regs = f
	}

	// 2. The tool's signing keys: they sign LtiStartAssessment messages and
	// the client assertions of service tokens, and are published at
	// /.well-known/jwks.json.
	a.keys, err = jwks.LoadKeyDir(cfg.keyDir)
	if err != nil {
		return nil, fmt.Errorf("-keys %s: %w", cfg.keyDir, err)
	}

	// 3. The tool's address and URL.
	a.ln, err = net.Listen("tcp", cfg.addr)
	if err != nil {
		return nil, fmt.Errorf("-addr: %w", err)
	}
	a.toolURL = strings.TrimSuffix(cfg.baseURL, "/")
	if a.toolURL == "" {
		a.toolURL = "http://" + a.ln.Addr().String()
	}

	// 4. Without registrations, the fake platform, which knows the tool's
	// login and launch URLs and its public keys, as an LMS administrator
	// would enter them.
	if regs == nil {
		a.platform, err = ltitest.Start(
			ltitest.WithAddr(cfg.platformAddr),
			ltitest.WithLoginURL(a.toolURL+"/lti/login"),
			ltitest.WithRedirectURIs(a.toolURL+"/lti/launch"),
			ltitest.WithToolJWKSURL(a.toolURL+"/.well-known/jwks.json"),
		)
		if err != nil {
			return nil, fmt.Errorf("fake platform (-platform-addr %s): %w", cfg.platformAddr, err)
		}
		regs, err = tool.NewMemoryPlatforms(a.platform.Registration())
		if err != nil {
			return nil, err
		}
	}

	// 5. The tool.
	a.tool, err = tool.New(tool.Config{BaseURL: a.toolURL, Platforms: regs, Keys: a.keys, Logger: logger,
		MessageTypes: messageTypes})
	if err != nil {
		return nil, err
	}
	s, err := newSite(a, cfg.policy, logger)
	if err != nil {
		return nil, err
	}
	a.srv = &http.Server{Handler: newRouter(a.tool, s), ReadHeaderTimeout: 10 * time.Second}
	return a, nil
}

// banner is the line that tells a person where to start.
func (a *app) banner() string {
	if a.platform != nil {
		return "ltikit proctoring: open " + a.platform.URL + `/ and click "Start proctored attempt"`
	}
	return fmt.Sprintf("ltikit proctoring: tool at %s for the platforms in %s; register it with the LMS as\n"+
		"  login URL        %s/lti/login\n  redirect URI     %s/lti/launch\n  public keyset    %s/.well-known/jwks.json",
		a.toolURL, a.regsFile, a.toolURL, a.toolURL, a.toolURL)
}

// serve serves the tool until shutdown.
func (a *app) serve() error {
	if err := a.srv.Serve(a.ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// shutdown stops the tool's server gracefully, waiting for requests in
// progress until ctx is done, then closes the tool and the fake platform.
func (a *app) shutdown(ctx context.Context) error {
	err := a.srv.Shutdown(ctx)
	a.close()
	return err
}

// close releases what newApp opened.
func (a *app) close() {
	if a.ln != nil {
		a.ln.Close()
	}
	if a.tool != nil {
		a.tool.Close()
	}
	if a.platform != nil {
		a.platform.Close()
	}
}
