package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ltikit/ltikit/testing/ltitest"
	"github.com/ltikit/ltikit/tool"
)

// The command line of `ltikit dev`: what it refuses before starting
// anything, with exit status 2 for usage and 1 for a failure to start.
func TestDev_commandLine(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	for _, tc := range []struct {
		args     []string
		code     int
		inStderr string
	}{
		{[]string{"dev", "-h"}, 0, "Example:"},
		{[]string{"dev", "extra"}, 2, `unexpected argument "extra"`},
		{[]string{"dev", "-bogus"}, 2, "flag provided but not defined"},
		{[]string{"dev", "-addr", "8080"}, 2, "-addr"},
		{[]string{"dev", "-addr", "0.0.0.0:8080"}, 2, "loopback address"},
		{[]string{"dev", "-addr", "192.0.2.1:8080"}, 2, "loopback address"},
		{[]string{"dev", "-addr", "example.com:8080"}, 2, "loopback address"},
		{[]string{"dev", "-login", "http://localhost:9000/login"}, 2, "go with -tool"},
		{[]string{"dev", "-proctoring"}, 2, "-proctoring go with -tool"},
		{[]string{"dev", "-tool", "ftp://localhost:9000"}, 2, "-tool"},
		{[]string{"dev", "-tool", "localhost:9000"}, 2, "-tool"},
		{[]string{"dev", "-tool", "http://localhost:9000", "-jwks", "/jwks"}, 2, "-jwks"},
		{[]string{"dev", "-tool", "http://localhost:9000", "-launch", "http://"}, 2, "-launch"},
		{[]string{"dev", "-addr", busy.Addr().String()}, 1, "address already in use"},
		{[]string{"dev", "-addr", "127.0.0.1:0", "-registrations", filepath.Join(t.TempDir(), "no", "such", "dir.json")}, 1, "-registrations"},
	} {
		code, _, stderr := runCmd(t, "", tc.args...)
		if code != tc.code || !strings.Contains(stderr, tc.inStderr) {
			t.Errorf("ltikit %v: exit %d, stderr %q; want %d and %q", tc.args, code, stderr, tc.code, tc.inStderr)
		}
		if tc.code != 0 && strings.Count(strings.TrimSpace(stderr), "\n") > 0 {
			t.Errorf("ltikit %v: error is not one line: %q", tc.args, stderr)
		}
	}
}

func TestDevConfig_check(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		cfg  devConfig
		want devConfig
	}{
		{devConfig{addr: ":8080"}, devConfig{addr: "127.0.0.1:8080"}},
		{devConfig{addr: "localhost:8080"}, devConfig{addr: "localhost:8080"}},
		{devConfig{addr: "[::1]:0"}, devConfig{addr: "[::1]:0"}},
		{devConfig{addr: ":0", tool: "http://localhost:9000/"}, devConfig{addr: "127.0.0.1:0", tool: "http://localhost:9000",
			login: "http://localhost:9000/lti/login", launch: "http://localhost:9000/lti/launch", jwks: "http://localhost:9000/.well-known/jwks.json"}},
		{devConfig{addr: ":0", tool: "https://tool.test", login: "https://tool.test/login.php", jwks: "https://keys.test/jwks"},
			devConfig{addr: "127.0.0.1:0", tool: "https://tool.test", login: "https://tool.test/login.php",
				launch: "https://tool.test/lti/launch", jwks: "https://keys.test/jwks"}},
	} {
		got := tc.cfg
		if err := got.check(); err != nil || got != tc.want {
			t.Errorf("%+v: got %+v, %v; want %+v", tc.cfg, got, err, tc.want)
		}
	}
}

// A tool on the host name the LMS serves and signs as gets a warning, with
// the other loopback name to use; on another host, none. An -addr of
// localhost serves as 127.0.0.1, so a tool on localhost is cross-site.
func TestServeDev_sameSiteWarning(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		addr, tool string
		want       string // in the warning; "" for none
	}{
		{"127.0.0.1:0", "http://localhost:9000", ""},
		{"127.0.0.1:0", "https://tool.test", ""},
		{"127.0.0.1:0", "http://127.0.0.1:9000", "run the tool as http://localhost:9000 instead"},
		{"localhost:0", "http://LOCALHOST:9000/app", ""},
		{"localhost:0", "http://127.0.0.1:9000/app", "run the tool as http://localhost:9000/app instead"},
		{":0", "http://127.0.0.1", "run the tool as http://localhost instead"},
	} {
		cfg := devConfig{addr: tc.addr, tool: tc.tool}
		if err := cfg.check(); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel() // serveDev starts, warns, prints its banner and stops
		var stdout, stderr bytes.Buffer
		if err := serveDev(ctx, cfg, &env{stdout: &stdout, stderr: &stderr}); err != nil {
			t.Fatal(err)
		}
		got := stderr.String()
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("-addr %s -tool %s (%s): stderr %q, want the warning %q", tc.addr, tc.tool, stdout.String(), got, tc.want)
		}
	}
	if got := sameSiteWarning("http://localhost:8080", "http://localhost:9000"); !strings.Contains(got, "run the tool as http://127.0.0.1:9000 instead") {
		t.Errorf("LMS and tool on localhost: warning %q", got)
	}
}

// startTestDev starts `ltikit dev` with cfg, stopped when the test ends.
func startTestDev(t *testing.T, cfg devConfig) *devServer {
	t.Helper()
	if err := cfg.check(); err != nil {
		t.Fatal(err)
	}
	d, err := startDev(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	if d.srv != nil {
		go func() { served <- d.serve() }()
	} else {
		served <- nil
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := d.shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return d
}

// With -tool, the LMS launches that tool and prints the registration it
// needs; with -registrations, it writes it into the tool's file, again on
// the next start without duplicating it.
func TestDev_externalTool(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "registrations.json")
	for run := range 2 {
		d := startTestDev(t, devConfig{addr: "127.0.0.1:0", tool: "http://localhost:9000", proctoring: true, registrations: file})
		var out bytes.Buffer
		d.printBanner(&out, file)
		reg := d.lms.Registration()
		for _, want := range []string{d.lms.URL + "/", "http://localhost:9000", reg.Issuer, reg.ClientID, reg.Deployments[0],
			reg.AuthURL, reg.TokenURL, reg.JWKSURL, "added to " + file} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("banner lacks %q:\n%s", want, out.String())
			}
		}
		regs, err := tool.OpenPlatforms(file)
		if err != nil {
			t.Fatal(err)
		}
		list, err := regs.List(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != run+1 || !containsPlatform(list, reg) {
			t.Errorf("start %d: registrations %+v, want the LMS %s added", run+1, list, reg.Issuer)
		}
		resp, err := http.Get(d.lms.URL + "/")
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for _, want := range []string{"Tool at localhost:9000", "http://localhost:9000/lti/login", "http://localhost:9000/.well-known/jwks.json",
			`id="proctored-attempt-ada"`} { // -proctoring
			if !strings.Contains(string(page), want) {
				t.Errorf("course page lacks %q", want)
			}
		}
	}
}

func containsPlatform(list []tool.Platform, p tool.Platform) bool {
	for _, q := range list {
		if q.Issuer == p.Issuer && q.ClientID == p.ClientID && q.JWKSURL == p.JWKSURL {
			return true
		}
	}
	return false
}

// Without -tool the simulation runs in-process on localhost, and a
// learner's launch from the LMS on 127.0.0.1 reaches the lab.
func TestDev_simulation(t *testing.T) {
	t.Parallel()
	d := startTestDev(t, devConfig{addr: "127.0.0.1:0"})
	var out bytes.Buffer
	d.printBanner(&out, "")
	if !strings.Contains(out.String(), d.lms.URL+"/") || !strings.Contains(out.String(), d.toolURL) || !strings.HasPrefix(d.toolURL, "http://localhost:") {
		t.Errorf("banner: %q", out.String())
	}
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	resp, err := c.Get(d.lms.URL + "/dev/launch?user=chloe")
	if err != nil {
		t.Fatal(err)
	}
	if resp, err = ltitest.FollowForms(c, resp); err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(page), `id="fire"`) {
		t.Errorf("launch: %s %.300s", resp.Status, page)
	}
	// The simulation handles no LtiStartProctoring: the course offers no
	// proctored attempt.
	if resp, err = c.Get(d.lms.URL + "/"); err != nil {
		t.Fatal(err)
	}
	page, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(page), `id="launch-ada"`) || strings.Contains(string(page), "proctored-attempt") {
		t.Errorf("the course page offers a proctored attempt to the simulation:\n%.2000s", page)
	}
}
