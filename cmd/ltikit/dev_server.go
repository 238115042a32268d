package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"time"

	"github.com/ltikit/ltikit/examples/simulation/sim"
	"github.com/ltikit/ltikit/jwks"
	"github.com/ltikit/ltikit/outbox"
	"github.com/ltikit/ltikit/testing/ltitest"
	"github.com/ltikit/ltikit/tool"
)

// devServer is a running `ltikit dev`: the development LMS and, without
// -tool, the simulation it launches.
type devServer struct {
	lms      *ltitest.Platform
	toolURL  string // the tool's base URL
	external bool   // the tool runs elsewhere (-tool)

	app *sim.App // nil with -tool
	ln  net.Listener
	srv *http.Server
}

// serveDev starts the servers, prints where to start, and serves until ctx
// is done.
func serveDev(ctx context.Context, cfg devConfig, e *env) error {
	d, err := startDev(cfg, slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		return err
	}
	if w := sameSiteWarning(d.lms.URL, cfg.tool); w != "" {
		fmt.Fprintln(e.stderr, "ltikit dev: warning:", w)
	}
	d.printBanner(e.stdout, cfg.registrations)
	served := make(chan error, 1)
	if d.srv != nil { // with -tool, only the LMS serves, on its own
		go func() { served <- d.serve() }()
	}
	select {
	case err = <-served:
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return errors.Join(err, d.shutdown(sctx))
}

// startDev starts the development LMS on cfg.addr with the tool registered
// (the simulation, listening on a free loopback port, unless cfg.tool is
// set) and adds its registration to cfg.registrations. The simulation is
// reached as http://localhost:PORT, another site than the LMS on
// 127.0.0.1, so that its iframe is cross-site as in production.
func startDev(cfg devConfig, logger *slog.Logger) (_ *devServer, err error) {
	d := &devServer{toolURL: cfg.tool, external: cfg.tool != ""}
	defer func() {
		if err != nil {
			d.close()
		}
	}()
	name := "Projectile lab"
	if d.external {
		name = "Tool at " + hostOf(cfg.tool)
	} else {
		if d.ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			return nil, err
		}
		_, port, _ := net.SplitHostPort(d.ln.Addr().String())
		d.toolURL = "http://localhost:" + port
		cfg.login, cfg.launch, cfg.jwks = d.toolURL+"/lti/login", d.toolURL+"/lti/launch", d.toolURL+"/.well-known/jwks.json"
	}
	opts := []ltitest.Option{ltitest.WithAddr(cfg.addr), ltitest.WithDevLMS(name),
		ltitest.WithLoginURL(cfg.login), ltitest.WithRedirectURIs(cfg.launch), ltitest.WithToolJWKSURL(cfg.jwks)}
	if cfg.proctoring {
		opts = append(opts, ltitest.WithDevProctoring())
	}
	d.lms, err = ltitest.Start(opts...)
	if err != nil {
		return nil, fmt.Errorf("-addr %s: %w", cfg.addr, err)
	}
	var regs tool.PlatformStore
	if cfg.registrations != "" {
		if regs, err = addRegistration(cfg.registrations, d.lms.Registration()); err != nil {
			return nil, err
		}
	}
	if d.external {
		return d, nil
	}
	if regs == nil {
		if regs, err = tool.NewMemoryPlatforms(d.lms.Registration()); err != nil {
			return nil, err
		}
	}
	key, err := jwks.GenerateKey()
	if err != nil {
		return nil, err
	}
	keys, err := jwks.NewKeyRing(key)
	if err != nil {
		return nil, err
	}
	// The grades wait in memory for delivery: the LMS keeps its own in
	// memory too.
	if d.app, err = sim.New(sim.Config{BaseURL: d.toolURL, Platforms: regs, Keys: keys,
		Scores: outbox.NewMemoryStore(), Logger: logger}); err != nil {
		return nil, err
	}
	// The LMS's message log shows the simulation's verdict on each launch.
	d.srv = &http.Server{Handler: d.lms.ObserveTool(d.app), ReadHeaderTimeout: 10 * time.Second}
	return d, nil
}

// addRegistration adds the development LMS to the registrations file path,
// creating it when missing, or updates the entry it left there before.
func addRegistration(path string, p tool.Platform) (*tool.FilePlatforms, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	switch {
	case err == nil:
		_, err = f.WriteString("{\"platforms\": []}\n")
		err = errors.Join(err, f.Close())
	case errors.Is(err, os.ErrExist):
		err = nil
	}
	if err != nil {
		return nil, fmt.Errorf("-registrations: %w", err)
	}
	regs, err := tool.OpenPlatforms(path)
	if err != nil {
		return nil, fmt.Errorf("-registrations: %w", err)
	}
	ctx := context.Background()
	err = regs.Add(ctx, p)
	if errors.Is(err, tool.ErrPlatformExists) {
		err = regs.Update(ctx, p.Issuer, p.ClientID, func(old *tool.Platform) error { *old = p; return nil })
	}
	if err != nil {
		return nil, fmt.Errorf("-registrations %s: %w", path, err)
	}
	return regs, nil
}

// printBanner says where to start and, for an external tool, the values
// it needs.
func (d *devServer) printBanner(w io.Writer, regsFile string) {
	fmt.Fprintf(w, "ltikit dev: open %s/ and click a Launch button\n", d.lms.URL)
	if !d.external {
		fmt.Fprintf(w, "  the projectile lab (examples/simulation) runs at %s\n", d.toolURL)
		return
	}
	reg := d.lms.Registration()
	fmt.Fprintf(w, "  the tool at %s needs this registration (docs/registrations.md):\n", d.toolURL)
	for _, kv := range [][2]string{{"issuer", reg.Issuer}, {"client_id", reg.ClientID},
		{"deployment_id", reg.Deployments[0]}, {"auth_url", reg.AuthURL}, {"token_url", reg.TokenURL},
		{"jwks_url", reg.JWKSURL}} {
		fmt.Fprintf(w, "    %-14s %s\n", kv[0], kv[1])
	}
	if regsFile != "" {
		fmt.Fprintf(w, "  added to %s\n", regsFile)
	}
}

// serve serves the simulation until shutdown.
func (d *devServer) serve() error {
	if err := d.srv.Serve(d.ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// shutdown stops the simulation's server and its grade deliveries
// gracefully, waiting until ctx is done at most, then closes everything.
func (d *devServer) shutdown(ctx context.Context) error {
	var err error
	if d.srv != nil {
		err = d.srv.Shutdown(ctx)
	}
	return errors.Join(err, d.closeCtx(ctx))
}

// close releases what startDev opened.
func (d *devServer) close() { d.closeCtx(context.Background()) }

func (d *devServer) closeCtx(ctx context.Context) error {
	var err error
	if d.ln != nil {
		d.ln.Close()
	}
	if d.app != nil {
		err = d.app.Close(ctx)
	}
	if d.lms != nil {
		d.lms.Close()
	}
	return err
}

// hostOf is the host of a URL, for the page.
func hostOf(u string) string {
	if v, err := url.Parse(u); err == nil && v.Host != "" {
		return v.Host
	}
	return u
}
