package main

import (
	"cmp"
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

// devConfig is what `ltikit dev` runs.
type devConfig struct {
	addr          string // the development LMS listens here: a loopback address
	tool          string // the base URL of an external tool; "" runs the simulation in-process
	login, launch string // the external tool's login initiation and launch URLs
	jwks          string // the external tool's public keyset URL
	proctoring    bool   // the course has the proctored assessment, for an external proctoring tool
	registrations string // a registrations file to add the development LMS to; "" for none
}

// runDev is `ltikit dev`: a development LMS in the browser, launching the
// simulation example in-process or the tool at -tool, until interrupted.
func runDev(args []string, e *env) error {
	fs := newFlags(e, "dev", "[-addr ADDR] [-tool URL [-login URL] [-launch URL] [-jwks URL] [-proctoring]] [-registrations FILE]",
		"ltikit dev    # then open http://127.0.0.1:8080/ and click a learner's Launch button")
	var cfg devConfig
	fs.StringVar(&cfg.addr, "addr", "127.0.0.1:8080", "the development LMS listens on this loopback `address` (\":8080\" means 127.0.0.1:8080)")
	fs.StringVar(&cfg.tool, "tool", "", "launch the tool at this base `URL` instead of the simulation example, such as http://localhost:9000")
	fs.StringVar(&cfg.login, "login", "", "the tool's login initiation `URL` (default TOOL/lti/login)")
	fs.StringVar(&cfg.launch, "launch", "", "the tool's launch (redirect) `URL` (default TOOL/lti/launch)")
	fs.StringVar(&cfg.jwks, "jwks", "", "the tool's public keyset `URL` (default TOOL/.well-known/jwks.json)")
	fs.BoolVar(&cfg.proctoring, "proctoring", false,
		"add a proctored assessment (LTI Proctoring Services: LtiStartProctoring launches) for a proctoring tool at -tool, such as examples/proctoring")
	fs.StringVar(&cfg.registrations, "registrations", "",
		"add the development LMS to this registrations `FILE` (docs/registrations.md), created when missing; the simulation also serves the platforms in it")
	if err := fs.parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("unexpected argument %q", fs.Arg(0))
	}
	if err := cfg.check(); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return serveDev(ctx, cfg, e)
}

// check validates the flags and fills in the tool's URLs: the errors are
// usage errors.
func (c *devConfig) check() error {
	host, port, err := net.SplitHostPort(c.addr)
	if err != nil {
		return usagef("-addr %q: %v", c.addr, err)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return usagef("-addr %q: the development LMS is not hardened for a network: give a loopback address such as 127.0.0.1:%s", c.addr, port)
	}
	c.addr = net.JoinHostPort(host, port)
	if c.tool == "" {
		if c.login != "" || c.launch != "" || c.jwks != "" || c.proctoring {
			return usagef("-login, -launch, -jwks and -proctoring go with -tool")
		}
		return nil
	}
	c.tool = strings.TrimSuffix(c.tool, "/")
	c.login = cmp.Or(c.login, c.tool+"/lti/login")
	c.launch = cmp.Or(c.launch, c.tool+"/lti/launch")
	c.jwks = cmp.Or(c.jwks, c.tool+"/.well-known/jwks.json")
	for _, f := range [][2]string{{"-tool", c.tool}, {"-login", c.login}, {"-launch", c.launch}, {"-jwks", c.jwks}} {
		if u, err := url.Parse(f[1]); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return usagef("%s %q: want an absolute http(s) URL", f[0], f[1])
		}
	}
	return nil
}

// sameSiteWarning says what to change when the tool at toolURL has the
// host name of the LMS at lmsURL, the URL it serves and signs as (an -addr
// of localhost listens on, and is named, 127.0.0.1): the tool's iframe in
// the LMS is then not cross-site, as it is in production, and hides the
// cookie problems a real LMS would show. It is "" otherwise.
func sameSiteWarning(lmsURL, toolURL string) string {
	lms, err := url.Parse(lmsURL)
	if err != nil || toolURL == "" {
		return ""
	}
	u, err := url.Parse(toolURL)
	if err != nil || !strings.EqualFold(u.Hostname(), lms.Hostname()) {
		return ""
	}
	other := "localhost"
	if strings.EqualFold(lms.Hostname(), "localhost") {
		other = "127.0.0.1"
	}
	alt := *u
	alt.Host = other
	if port := u.Port(); port != "" {
		alt.Host = net.JoinHostPort(other, port)
	}
	return fmt.Sprintf("the tool and the LMS (%s) are both on %s, so the tool's iframe is not cross-site as in production and cookie problems stay hidden: "+
		"run the tool as %s instead", lmsURL, lms.Hostname(), alt.String())
}
