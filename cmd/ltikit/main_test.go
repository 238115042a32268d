package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func runCmd(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestCLI_UsageAndExitStatus(t *testing.T) {
	tests := []struct {
		args     []string
		code     int
		inStderr string
	}{
		{nil, 2, "Commands:"},
		{[]string{"-h"}, 0, "Commands:"},
		{[]string{"nope"}, 2, `unknown command "nope"`},
		{[]string{"version", "extra"}, 2, "takes no arguments"},
		{[]string{"inspect"}, 2, "want one token"},
		{[]string{"inspect", "-bogus", "x"}, 2, "flag provided but not defined"},
		{[]string{"inspect", "-h"}, 0, "Example:"},
		{[]string{"inspect", "-now", "yesterday", "a.b.c"}, 2, "-now"},
		{[]string{"inspect", "not-a-token"}, 1, "no such file"},
		{[]string{"inspect", "a.b.c"}, 1, "malformed_token"},
		{[]string{"keys"}, 2, "missing sub-command"},
		{[]string{"keys", "burn"}, 2, `unknown sub-command "burn"`},
		{[]string{"keys", "list", "-dir", "/nonexistent/keys"}, 1, "key directory"},
		{[]string{"keys", "rotate", "-grace", "-1h"}, 2, "-grace"},
	}
	for _, tt := range tests {
		code, _, stderr := runCmd(t, "", tt.args...)
		if code != tt.code || !strings.Contains(stderr, tt.inStderr) {
			t.Errorf("ltikit %v: exit %d, stderr %q; want %d and %q", tt.args, code, stderr, tt.code, tt.inStderr)
		}
		if tt.code != 0 && strings.Count(strings.TrimSpace(stderr), "\n") > 0 && tt.args != nil {
			t.Errorf("ltikit %v: error is not one line: %q", tt.args, stderr)
		}
		if strings.Contains(stderr, "goroutine") || strings.Contains(stderr, "panic") {
			t.Errorf("ltikit %v: stack trace on stderr", tt.args)
		}
	}
	if code, out, _ := runCmd(t, "", "version"); code != 0 || !strings.HasPrefix(out, "ltikit ") {
		t.Errorf("version: %d %q", code, out)
	}
}

// moodleRegistrations writes a registrations file for the recorded Moodle
// platform, with its recorded JWKS as a static key.
func moodleRegistrations(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile("testdata/platform_jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	var rec struct{ Body json.RawMessage }
	json.Unmarshal(data, &rec)
	doc, _ := json.Marshal(map[string]any{"platforms": []map[string]any{{
		"issuer": "http://127.0.0.1:8081", "client_id": "2T1DmxSUCu2ZSuu", "deployment_ids": []string{"1"},
		"auth_url": "http://127.0.0.1:8081/mod/lti/auth.php", "public_key": string(rec.Body),
	}}})
	path := filepath.Join(t.TempDir(), "registrations.json")
	if err := os.WriteFile(path, doc, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestCLI_Inspect(t *testing.T) {
	regs := moodleRegistrations(t)
	fixture := "testdata/id_token_student_resource_link_launch.json"
	var rec struct {
		Raw string `json:"raw_id_token"`
	}
	data, _ := os.ReadFile(fixture)
	json.Unmarshal(data, &rec)
	const iat = 1795900611

	tests := []struct {
		name     string
		args     []string
		stdin    string
		code     int
		contains []string
	}{
		{"decode only", []string{"-now", "1795900615", fixture}, "", 0, []string{`sub: "4"`, "No registrations given"}},
		{"all checks pass", []string{"-registrations", regs, "-now", "1795900615", fixture}, "", 0,
			[]string{"✓  signature", "✓  deployment_id", "every check passed", "exp: 2026-11-28T21:17:51Z (in 56s)"}},
		{"token from stdin", []string{"-registrations", regs, "-now", "1795900615", "-"}, rec.Raw, 0, []string{"every check passed"}},
		{"token as argument", []string{"-registrations", regs, "-now", "1795900615", rec.Raw}, "", 0, []string{"every check passed"}},
		{"expired: clock offset shown", []string{"-registrations", regs, "-now", "1795900911", fixture}, "", 1,
			[]string{"✗  exp, iat, nbf: token_expired", "exp: 2026-11-28T21:17:51Z (4m0s ago)"}},
		{"clock behind", []string{"-registrations", regs, "-now", "1795900511", fixture}, "", 1, []string{"token_not_yet_valid"}},
		{"tampered signature", []string{"-registrations", regs, "-now", "1795900615", "-"}, rec.Raw[:len(rec.Raw)-4] + "AAAA", 1,
			[]string{"✗  signature: bad_signature", "✓  aud"}},
		{"unknown registration", []string{"-registrations", moodleRegistrationsFor(t, "someone-else"), "-now", "1795900615", fixture}, "", 1,
			[]string{"✗  registration: unknown_platform"}},
	}
	_ = iat
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, stderr := runCmd(t, tt.stdin, append([]string{"inspect"}, tt.args...)...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d; stderr %s\n%s", code, tt.code, stderr, out)
			}
			for _, s := range tt.contains {
				if !strings.Contains(out, s) {
					t.Errorf("output lacks %q:\n%s", s, out)
				}
			}
		})
	}
}

// moodleRegistrationsFor is moodleRegistrations with another client_id.
func moodleRegistrationsFor(t *testing.T, clientID string) string {
	path := moodleRegistrations(t)
	data, _ := os.ReadFile(path)
	os.WriteFile(path, bytes.ReplaceAll(data, []byte("2T1DmxSUCu2ZSuu"), []byte(clientID)), 0o600)
	return path
}

func TestCLI_Keys(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	code, out, stderr := runCmd(t, "", "keys", "new", "-dir", dir)
	if code != 0 || !strings.Contains(out, ": active") {
		t.Fatalf("keys new: %d %q %q", code, out, stderr)
	}
	first := strings.Fields(out)[2]
	fi, err := os.Stat(filepath.Join(dir, first+".pem"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("private key file: %v, mode %v; want 0600", err, fi.Mode())
	}
	code, out, _ = runCmd(t, "", "keys", "new", "-dir", dir)
	if code != 0 || !strings.Contains(out, ": next") {
		t.Fatalf("second keys new: %q", out)
	}
	second := strings.Fields(out)[2]

	e := &env{stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}}
	t0 := time.Now()
	if err := keysRotate(e, dir, time.Hour, t0); err != nil {
		t.Fatal(err)
	}
	keys, _ := readKeys(dir)
	if len(keys) != 2 || activeKID(keys) != second {
		t.Fatalf("after rotate: %+v; want %s active and %s retired but published", keys, second, first)
	}
	// Inside the grace period the retired key stays published.
	if err := keysRotate(e, dir, time.Hour, t0.Add(30*time.Minute)); err != nil {
		t.Fatal(err)
	}
	keys, _ = readKeys(dir)
	if len(keys) != 3 {
		t.Fatalf("inside grace: %d keys, want 3", len(keys))
	}
	// After it, rotate removes it.
	if err := keysRotate(e, dir, time.Hour, t0.Add(61*time.Minute)); err != nil {
		t.Fatal(err)
	}
	keys, _ = readKeys(dir)
	for _, k := range keys {
		if k.kid == first {
			t.Fatalf("retired key %s still published after its grace period", first)
		}
	}
	code, out, _ = runCmd(t, "", "keys", "list", "-dir", dir)
	if code != 0 || !strings.Contains(out, "active") || !strings.Contains(out, "retired") || !strings.Contains(out, "-rw-------") {
		t.Fatalf("keys list: %q", out)
	}
}

func activeKID(keys []keyInfo) string {
	for _, k := range keys {
		if k.active {
			return k.kid
		}
	}
	return ""
}
