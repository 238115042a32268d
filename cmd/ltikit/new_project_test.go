package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestNew_project keeps the starter template from rotting: it generates a
// project against this checkout, then runs the project's go vet and go test
// (not under -short) and its go tool ltikit, builds it, starts it, and
// checks that its JWKS and login endpoints answer as a tool's must.
func TestNew_project(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command:", err)
	}
	dir := filepath.Join(t.TempDir(), "quiz")
	code, stdout, stderr := runCmd(t, "", "new", dir, "-module", "example.com/quiz", "-name", `Quiz "β"`, "-ltikit", checkoutRoot(t))
	if code != 0 {
		t.Fatalf("ltikit new: exit %d\n%s%s", code, stdout, stderr)
	}
	for _, s := range []string{`Created "Quiz \"β\""`, "main.go", "go.sum", "registrations.json", "keys/", "private signing key", "go run .", "go tool ltikit dev -tool"} {
		if !strings.Contains(stdout, s) {
			t.Errorf("output lacks %q:\n%s", s, stdout)
		}
	}
	checkProjectFiles(t, dir)

	goCmd(t, dir, "vet", "./...")
	if !testing.Short() {
		goCmd(t, dir, "test", "-count=1", "./...")
	}
	if out := goCmd(t, dir, "tool", "ltikit", "registrations", "list"); !strings.Contains(out, "http://127.0.0.1:8080") {
		t.Errorf("go tool ltikit registrations list: %s", out)
	}
	bin := filepath.Join(t.TempDir(), "quiz")
	goCmd(t, dir, "build", "-o", bin, ".")
	base := startProject(t, dir, bin)

	// The keys the platforms verify the tool's messages with.
	resp, err := http.Get(base + "/.well-known/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	var set struct {
		Keys []struct{ Kid, Kty string }
	}
	err = json.NewDecoder(resp.Body).Decode(&set)
	resp.Body.Close()
	kid, _ := os.ReadFile(filepath.Join(dir, "keys", "active"))
	if err != nil || resp.StatusCode != http.StatusOK || len(set.Keys) != 1 || set.Keys[0].Kid != strings.TrimSpace(string(kid)) {
		t.Errorf("JWKS: %s %+v %v; want the generated key %s", resp.Status, set, err, kid)
	}

	// A login from the development LMS registered in registrations.json
	// goes on to its authorization endpoint; an unknown one is refused.
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, tc := range []struct {
		iss      string
		status   int
		location string
	}{
		{"http://127.0.0.1:8080", http.StatusFound, "http://127.0.0.1:8080/auth?"},
		{"https://unknown.example", http.StatusBadRequest, ""},
	} {
		resp, err := noRedirect.PostForm(base+"/lti/login", url.Values{
			"iss": {tc.iss}, "client_id": {"ltitest-client"}, "lti_deployment_id": {"deployment-1"},
			"login_hint": {"user-1"}, "target_link_uri": {base + "/lti/launch"},
		})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.status || !strings.HasPrefix(resp.Header.Get("Location"), tc.location) {
			t.Errorf("login from %s: %s to %q; want %d to %q…", tc.iss, resp.Status, resp.Header.Get("Location"), tc.status, tc.location)
		}
	}
}

// checkProjectFiles checks what go vet and go test do not: the module's
// requirements, the key's permissions, and that the Go files are gofmt'ed.
func checkProjectFiles(t *testing.T, dir string) {
	t.Helper()
	mod, _ := os.ReadFile(filepath.Join(dir, "go.mod"))
	for _, s := range []string{"module example.com/quiz", "tool github.com/ltikit/ltikit/cmd/ltikit", "replace github.com/ltikit/ltikit => " + checkoutRoot(t)} {
		if !strings.Contains(string(mod), s) {
			t.Errorf("go.mod lacks %q:\n%s", s, mod)
		}
	}
	pems, _ := filepath.Glob(filepath.Join(dir, "keys", "*.pem"))
	if len(pems) != 1 {
		t.Fatalf("keys: %v, want one key", pems)
	}
	if fi, err := os.Stat(pems[0]); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("private key %s: mode %v, %v; want 0600", pems[0], fi.Mode(), err)
	}
	if out := goCmd(t, dir, "fmt", "./..."); out != "" {
		t.Errorf("generated Go files not gofmt'ed: %s", out)
	}
	main, _ := os.ReadFile(filepath.Join(dir, "main.go"))
	if !strings.Contains(string(main), `const toolName = "Quiz \"β\""`) {
		t.Errorf("main.go does not name the tool:\n%.600s", main)
	}
}

// goCmd runs the go command in dir and returns its output, failing the test
// when it fails.
func goCmd(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// startProject runs the built tool on a free loopback port until the test
// ends, and returns its URL, which it prints first.
func startProject(t *testing.T, dir, bin string) string {
	t.Helper()
	cmd := exec.Command(bin, "-addr", "127.0.0.1:0")
	cmd.Dir = dir
	cmd.Stderr = io.Discard
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, done := make(chan string, 1), make(chan error, 1)
	go func() {
		r := bufio.NewReader(out)
		l, _ := r.ReadString('\n')
		line <- strings.TrimSpace(l)
		io.Copy(io.Discard, r)
		done <- cmd.Wait()
	}()
	t.Cleanup(func() {
		cmd.Process.Signal(os.Interrupt)
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("the tool did not shut down cleanly: %v", err)
			}
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			t.Error("the tool did not stop on interrupt")
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	select {
	case l := <-line:
		// "<name> on http://127.0.0.1:PORT"
		if i := strings.LastIndex(l, " on http://"); i >= 0 {
			return l[i+len(" on "):]
		}
		t.Fatalf("the tool's first line %q names no URL", l)
	case <-ctx.Done():
		t.Fatal("the tool printed nothing in 30 seconds")
	}
	return ""
}
