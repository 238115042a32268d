package devserver

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"time"

	"github.com/ltikit/ltikit/tool"
)

// TB is the part of testing.TB the test helpers use; *testing.T has it.
// (The helpers take it rather than testing.TB so that the examples'
// commands do not link package testing.)
type TB interface {
	Helper()
	Cleanup(func())
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
	TempDir() string
}

// ForTest returns cfg with free loopback ports for the addresses and a
// temporary key directory where cfg leaves them empty.
func ForTest(t TB, cfg Config) Config {
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	if cfg.PlatformAddr == "" {
		cfg.PlatformAddr = "127.0.0.1:0"
	}
	if cfg.KeyDir == "" {
		cfg.KeyDir = t.TempDir()
	}
	return cfg
}

// Servable is what ServeForTest serves: a *Server, or an example's app
// that embeds one.
type Servable interface {
	Serve() error
	Shutdown(ctx context.Context) error
}

// ServeForTest serves s until the test ends, then shuts it down and
// reports the errors of Shutdown and Serve.
func ServeForTest(t TB, s Servable) {
	t.Helper()
	served := make(chan error, 1)
	go func() { served <- s.Serve() }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
}

// RunForTest calls run with args, an empty environment and no log, and
// returns the first line it prints (the banner, with its newline) and
// stop, which ends run's context and returns what run returns; the test
// fails if run has not returned 10 seconds later.
func RunForTest(t TB, run RunFunc, args ...string) (banner string, stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	out, w := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, args, Env(""), w, io.Discard)
		w.Close()
	}()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("reading the banner: %v (run: %v)", err, <-done)
	}
	go io.Copy(io.Discard, out)
	return line, func() error {
		t.Helper()
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(10 * time.Second):
			t.Fatalf("run did not return after the context ended")
			return nil
		}
	}
}

// Env is a getenv for run whose only variable is $LTIKIT_REGISTRATIONS
// (tool.PlatformsEnv), set to registrations ("" for none).
func Env(registrations string) func(string) string {
	return func(k string) string {
		if k == tool.PlatformsEnv {
			return registrations
		}
		return ""
	}
}

// WriteFile writes content to the file name in dir and returns its path.
func WriteFile(t TB, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatalf("%v", err)
	}
	return p
}

// MoodleRegistrations writes a registrations file with one Moodle site in
// a temporary directory and returns its path.
func MoodleRegistrations(t TB) string {
	t.Helper()
	return WriteFile(t, t.TempDir(), "registrations.json", `{"platforms":[{"issuer":"https://moodle.example.edu","client_id":"2T1DmxSUCu2ZSuu",
		"deployment_ids":["1"],"auth_url":"https://moodle.example.edu/mod/lti/auth.php",
		"jwks_url":"https://moodle.example.edu/mod/lti/certs.php"}]}`)
}

// Browser is an http.Client with its own cookies: one person's browser.
// Its idle connections close when the test ends.
func Browser(t TB) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatalf("%v", err)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Jar: jar, Transport: tr, Timeout: 30 * time.Second}
}
