package main

import (
	"context"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ltikit/ltikit/examples/internal/devserver"
	"github.com/ltikit/ltikit/testing/ltitest"
	"github.com/ltikit/ltikit/tool"
)

var browser = devserver.Browser

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
	line, stop := devserver.RunForTest(t, run, "-addr", "127.0.0.1:0", "-platform-addr", "127.0.0.1:0", "-keys", t.TempDir(), "-scores", t.TempDir())
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
	if err := stop(); err != nil {
		t.Errorf("run: got %v, want nil after the context ended", err)
	}
}

// With a registrations file the lab serves those platforms, and no
// development LMS starts.
func TestStart_registrations(t *testing.T) {
	t.Parallel()
	file := devserver.MoodleRegistrations(t)
	s, err := start(config{devserver.Config{Addr: "127.0.0.1:0", Registrations: file, KeyDir: t.TempDir()}, t.TempDir()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Platform != nil {
		t.Error("a development LMS started although registrations were given")
	}
	banner := s.banner()
	for _, want := range []string{file, s.URL + "/lti/login", s.URL + "/lti/launch", s.URL + "/.well-known/jwks.json"} {
		if !strings.Contains(banner, want) {
			t.Errorf("banner lacks %q:\n%s", want, banner)
		}
	}
	if !strings.HasPrefix(s.URL, "http://127.0.0.1:") {
		t.Errorf("lab URL: got %q, want http://ADDR", s.URL)
	}
}

// What stops the command before it serves, and how it says so.
func TestRun_errors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	broken := devserver.WriteFile(t, dir, "broken.json", `{"platforms": [`)
	notADir := devserver.WriteFile(t, dir, "file", "")
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
			var stdout strings.Builder
			err := run(context.Background(), args, devserver.Env(tc.env), &stdout, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("run: got %v, want an error containing %q", err, tc.want)
			}
			if stdout.Len() != 0 {
				t.Errorf("run printed %q before failing", stdout.String())
			}
		})
	}
}
