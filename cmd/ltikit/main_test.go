package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ltikit/ltikit/jwks"
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
		{[]string{"keys"}, 2, "missing sub-command: new, rotate or list (see ltikit keys -h)"},
		{[]string{"keys", "burn"}, 2, `unknown sub-command "burn"`},
		{[]string{"keys", "list", "-dir", "/nonexistent/keys"}, 1, "key directory"},
		{[]string{"keys", "rotate", "-grace", "-1h"}, 2, "-grace must not be negative (see ltikit keys rotate -h)"},
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

// TestCLI_Help: -h lists a command's own flags, and no empty Flags section.
func TestCLI_Help(t *testing.T) {
	tests := []struct {
		args        []string
		want, avoid []string
	}{
		{[]string{"keys", "-h"}, []string{"Usage: ltikit keys", "Sub-commands:\n  new       create a key", "\n  rotate    make the next key active",
			"\n  list      list the keys", "ltikit keys rotate -h", "Example:"}, []string{"Flags:"}},
		{[]string{"registrations", "-h"}, []string{"Usage: ltikit registrations", "Sub-commands:\n  list      list the registrations",
			"\n  add       add a registration", "\n  approve   accept", "\n  disable   refuse", "\n  remove    delete",
			"such as ltikit registrations add -h", "Example:"}, []string{"Flags:"}},
		{[]string{"keys", "new", "-h"}, []string{"Flags:", "-dir DIR"}, []string{"-grace"}},
		{[]string{"keys", "list", "-h"}, []string{"Flags:", "-dir DIR"}, []string{"-grace"}},
		{[]string{"keys", "rotate", "-h"}, []string{"Flags:", "-dir DIR", "-grace duration"}, nil},
		{[]string{"registrations", "add", "-h"}, []string{"-from FILE", "-public-key FILE", "-postgres DSN"}, nil},
	}
	for _, tt := range tests {
		code, _, stderr := runCmd(t, "", tt.args...)
		if code != 0 {
			t.Errorf("ltikit %v: exit %d", tt.args, code)
		}
		for _, s := range tt.want {
			if !strings.Contains(stderr, s) {
				t.Errorf("ltikit %v lacks %q:\n%s", tt.args, s, stderr)
			}
		}
		for _, s := range tt.avoid {
			if strings.Contains(stderr, s) {
				t.Errorf("ltikit %v has %q:\n%s", tt.args, s, stderr)
			}
		}
	}
	if code, _, stderr := runCmd(t, "", "keys", "new", "-grace", "1h"); code != 2 || !strings.Contains(stderr, "-grace") {
		t.Errorf("keys new -grace: exit %d %q; want 2: only rotate has -grace", code, stderr)
	}
}

func TestOneLine(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"", ""},
		{"failed to connect:\n\ta: refused\n\ta: refused\n\tb: refused\n", "failed to connect: a: refused; b: refused"},
		{"x\n\n  \n", "x"},
	}
	for _, tt := range tests {
		if got := oneLine(tt.in); got != tt.want {
			t.Errorf("oneLine(%q) = %q, want %q", tt.in, got, tt.want)
		}
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
			[]string{"✓  signature", "✓  deployment_id", "-  nonce: skipped, present;", "-  target_link_uri: skipped, present;",
				"every check that ran passed; 3 skipped", "exp: 2026-11-28T21:17:51Z (in 56s)"}},
		{"token from stdin", []string{"-registrations", regs, "-now", "1795900615", "-"}, rec.Raw, 0, []string{"every check that ran passed"}},
		{"token as argument", []string{"-registrations", regs, "-now", "1795900615", rec.Raw}, "", 0, []string{"every check that ran passed"}},
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

// TestCLI_InspectDeepLinkingResponse inspects a deep-linking response the
// tool signed for the recorded Moodle: its signature is checked with the
// tool's keys given with -keys, and skipped without them.
func TestCLI_InspectDeepLinkingResponse(t *testing.T) {
	regs := moodleRegistrations(t)
	keys := filepath.Join(t.TempDir(), "keys")
	if code, out, stderr := runCmd(t, "", "keys", "new", "-dir", keys); code != 0 {
		t.Fatalf("keys new: %s %s", out, stderr)
	}
	other := filepath.Join(t.TempDir(), "other-keys")
	if code, out, stderr := runCmd(t, "", "keys", "new", "-dir", other); code != 0 {
		t.Fatalf("keys new: %s %s", out, stderr)
	}
	ring, err := jwks.LoadKeyDir(keys)
	if err != nil {
		t.Fatal(err)
	}
	const now, ci = 1795900615, "https://purl.imsglobal.org/spec/lti-dl/claim/content_items"
	response := func(edit func(map[string]any)) string {
		c := map[string]any{
			"iss": "2T1DmxSUCu2ZSuu", "aud": "http://127.0.0.1:8081", "iat": now - 1, "exp": now + 300, "nonce": "n-1",
			"https://purl.imsglobal.org/spec/lti/claim/deployment_id": "1",
			"https://purl.imsglobal.org/spec/lti/claim/message_type":  "LtiDeepLinkingResponse",
			"https://purl.imsglobal.org/spec/lti/claim/version":       "1.3.0",
			ci: []any{map[string]any{"type": "ltiResourceLink", "title": "Quiz"}},
		}
		if edit != nil {
			edit(c)
		}
		b, _ := json.Marshal(c)
		tok, err := ring.Sign(b)
		if err != nil {
			t.Fatal(err)
		}
		return string(tok)
	}
	base := []string{"-registrations", regs, "-now", strconv.Itoa(now)}
	tests := []struct {
		name     string
		args     []string
		token    string
		code     int
		contains []string
	}{
		{"with the tool's keys", []string{"-keys", keys}, response(nil), 0,
			[]string{"✓  signature", "✓  message_type", "✓  content_items", "every check that ran passed"}},
		{"without keys", nil, response(nil), 0,
			[]string{"-  signature: skipped, give -keys DIR (the tool signed this)", "✓  content_items"}},
		{"another tool's keys", []string{"-keys", other}, response(nil), 1,
			[]string{"✗  signature: unknown_kid", "the platform would refuse the message"}},
		{"content_items not a list", []string{"-keys", keys}, response(func(c map[string]any) { c[ci] = "none" }), 1,
			[]string{"✗  content_items: invalid_claim"}},
		{"another message type", []string{"-keys", keys}, response(func(c map[string]any) {
			c["https://purl.imsglobal.org/spec/lti/claim/message_type"] = "LtiStartAssessment"
		}), 1, []string{"✗  message_type: wrong_message_type"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append(append(append([]string{"inspect"}, base...), tt.args...), "-")
			code, out, stderr := runCmd(t, tt.token, args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d; stderr %s\n%s", code, tt.code, stderr, out)
			}
			for _, s := range tt.contains {
				if !strings.Contains(out, s) {
					t.Errorf("output lacks %q:\n%s", s, out)
				}
			}
			if strings.Contains(out, "no platform key") {
				t.Errorf("the tool's signature was checked against a platform's keys:\n%s", out)
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
	// A running tool reads its keys at start: the output says so.
	if code != 0 || !strings.Contains(out, ": next — published once the tool restarts") || strings.Contains(out, "published now") {
		t.Fatalf("second keys new: %q", out)
	}
	second := strings.Fields(out)[2]

	stdout := &bytes.Buffer{}
	e := &env{stdout: stdout, stderr: &bytes.Buffer{}}
	t0 := time.Now()
	if err := keysRotate(e, dir, time.Hour, t0); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout.String(), "is now "+second+": restart the tool to sign with it") {
		t.Errorf("rotate said %q", stdout)
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
