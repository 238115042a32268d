package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ltikit/ltikit/testing/ltitest"
	"github.com/ltikit/ltikit/tool"
)

// browser is an http.Client with its own cookies.
func browser(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Jar: jar, Transport: tr, Timeout: 30 * time.Second}
}

func get(t *testing.T, c *http.Client, u string) (*http.Response, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	resp, err = ltitest.FollowForms(c, resp)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// run prints where to start and serves the development LMS and the lab,
// on two host names (the LMS on 127.0.0.1, the lab on localhost), until
// its context ends.
func TestRun(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out, w := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-platform-addr", "127.0.0.1:0", "-keys", t.TempDir(), "-scores", t.TempDir()},
			func(string) string { return "" }, w, io.Discard)
		w.Close()
	}()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("reading the banner: %v (run: %v)", err, <-done)
	}
	go io.Copy(io.Discard, out)
	m := regexp.MustCompile(`^ltikit simulation: open (http://127\.0\.0\.1:\d+/) and launch the lab\n$`).FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("banner: got %q", line)
	}
	c := browser(t)
	if resp, page := get(t, c, m[1]); resp.StatusCode != http.StatusOK || !strings.Contains(page, "Projectile lab") {
		t.Errorf("GET %s: got %s %.200s", m[1], resp.Status, page)
	}
	resp, page := get(t, c, m[1]+"dev/launch?user=ada")
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Hostname() != "localhost" || !strings.Contains(page, `id="fire"`) {
		t.Errorf("launch: ended on %s %s: %.300s", resp.Request.URL, resp.Status, page)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("run: got %v, want nil after the context ended", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return after the context ended")
	}
}

// With a registrations file the lab serves those platforms, and no
// development LMS starts.
func TestStart_registrations(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "registrations.json")
	err := os.WriteFile(file, []byte(`{"platforms":[{"issuer":"https://moodle.example.edu","client_id":"2T1DmxSUCu2ZSuu",
		"deployment_ids":["1"],"auth_url":"https://moodle.example.edu/mod/lti/auth.php",
		"jwks_url":"https://moodle.example.edu/mod/lti/certs.php"}]}`), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	s, err := start(config{addr: "127.0.0.1:0", registrations: file, keyDir: t.TempDir(), scoreDir: t.TempDir()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	if s.lms != nil {
		t.Error("a development LMS started although registrations were given")
	}
	banner := s.banner()
	for _, want := range []string{file, s.labURL + "/lti/login", s.labURL + "/lti/launch", s.labURL + "/.well-known/jwks.json"} {
		if !strings.Contains(banner, want) {
			t.Errorf("banner lacks %q:\n%s", want, banner)
		}
	}
	if !strings.HasPrefix(s.labURL, "http://127.0.0.1:") {
		t.Errorf("lab URL: got %q, want http://ADDR", s.labURL)
	}
}

// What stops the command before it serves, and how it says so.
func TestRun_errors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	broken := filepath.Join(dir, "broken.json")
	if err := os.WriteFile(broken, []byte(`{"platforms": [`), 0o600); err != nil {
		t.Fatal(err)
	}
	notADir := filepath.Join(dir, "file")
	if err := os.WriteFile(notADir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		env  string
		want string
	}{
		{"unknown flag", []string{"-nope"}, "", "flag provided but not defined"},
		{"extra argument", []string{"extra"}, "", `unexpected argument "extra"`},
		{"missing registrations file", []string{"-registrations", filepath.Join(dir, "missing.json")}, "", "-registrations"},
		{"broken registrations from the environment", nil, broken, tool.PlatformsEnv},
		{"keys in a file", []string{"-keys", notADir}, "", "-keys"},
		{"scores in a file", []string{"-scores", notADir}, "", "-scores"},
		{"bad address", []string{"-addr", "127.0.0.1:http-nope"}, "", "-addr"},
		{"bad LMS address", []string{"-platform-addr", "127.0.0.1:http-nope"}, "", "development LMS"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"-addr", "127.0.0.1:0", "-platform-addr", "127.0.0.1:0", "-keys", filepath.Join(dir, "keys"),
				"-scores", filepath.Join(dir, "scores-"+strings.ReplaceAll(tc.name, " ", "-"))}, tc.args...)
			getenv := func(k string) string {
				if k == tool.PlatformsEnv {
					return tc.env
				}
				return ""
			}
			var stdout strings.Builder
			err := run(context.Background(), args, getenv, &stdout, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("run: got %v, want an error containing %q", err, tc.want)
			}
			if stdout.Len() != 0 {
				t.Errorf("run printed %q before failing", stdout.String())
			}
		})
	}
}
