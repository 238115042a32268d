package main

import (
	"context"
	"crypto/rand"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ltikit/ltikit/tool"
)

const moodleRoot = "http://127.0.0.1:8081"

// regsFile writes a registrations file holding the Moodle registration
// (pending) and two registrations of one Canvas issuer.
func regsFile(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "registrations.json")
	doc := `{"platforms": [
  {"issuer": "` + moodleRoot + `", "client_id": "2T1DmxSUCu2ZSuu", "deployment_ids": ["1"], "pending": true,
   "auth_url": "` + moodleRoot + `/mod/lti/auth.php", "jwks_url": "` + moodleRoot + `/mod/lti/certs.php"},
  {"issuer": "https://canvas.instructure.com", "client_id": "a", "deployment_policy": "trust-on-first-use",
   "auth_url": "https://sso.canvaslms.com/api/lti/authorize_redirect", "jwks_url": "https://sso.canvaslms.com/api/lti/security/jwks"},
  {"issuer": "https://canvas.instructure.com", "client_id": "b", "deployment_ids": ["d"],
   "auth_url": "https://sso.canvaslms.com/api/lti/authorize_redirect", "jwks_url": "https://sso.canvaslms.com/api/lti/security/jwks"}
]}`
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// stored returns the registration (issuer, clientID) in the file, or nil.
func stored(t *testing.T, path, issuer, clientID string) *tool.Platform {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ps, err := tool.ParsePlatforms(data)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		if p.Issuer == issuer && p.ClientID == clientID {
			return &p
		}
	}
	return nil
}

func TestRegistrations_errors(t *testing.T) {
	t.Parallel()
	path := regsFile(t)
	before, _ := os.ReadFile(path)
	key := filepath.Join(t.TempDir(), "missing.pem")
	badKey := filepath.Join(t.TempDir(), "bad.pem")
	if err := os.WriteFile(badKey, []byte("-----BEGIN PUBLIC KEY-----\nnot base64\n-----END PUBLIC KEY-----\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		args     []string
		code     int
		inStderr string
	}{
		{"no sub-command", nil, 2, "missing sub-command"},
		{"unknown sub-command", []string{"purge"}, 2, `unknown sub-command "purge"`},
		{"file and database", []string{"list", "-registrations", path, "-postgres", "postgres://x"}, 2, "not both"},
		{"missing file", []string{"list", "-registrations", path + ".nope"}, 1, "no such file"},
		{"bad DSN", []string{"list", "-postgres", "postgres://%zz"}, 2, "-postgres"},
		{"list with an argument", []string{"list", "-registrations", path, "extra"}, 2, "unexpected argument"},
		{"approve without issuer", []string{"approve", "-registrations", path}, 2, "want ISSUER"},
		{"approve with three arguments", []string{"approve", "-registrations", path, "a", "b", "c"}, 2, "want ISSUER"},
		{"unknown issuer", []string{"approve", "-registrations", path, "https://nope.example"}, 1, "no registration of https://nope.example"},
		{"unknown client_id", []string{"disable", "-registrations", path, moodleRoot, "zzz"}, 1, "with client_id zzz"},
		{"ambiguous issuer", []string{"remove", "-registrations", path, "https://canvas.instructure.com"}, 2, "2 registrations: give the client_id (a, b)"},
		{"add without flags", []string{"add", "-registrations", path}, 2, "give -moodle URL (a Moodle site), -issuer URL (another platform) or -from FILE"},
		{"add without client_id", []string{"add", "-registrations", path, "-moodle", "https://moodle.example.edu"}, 2, "-client-id ID is required"},
		{"add without deployments", []string{"add", "-registrations", path, "-moodle", "https://m.example", "-client-id", "x"}, 2,
			"give -deployment-id ID (repeat it for several) or -trust-on-first-use"},
		{"add -issuer without -auth-url", []string{"add", "-registrations", path, "-issuer", "https://lms.example", "-client-id", "c", "-deployment-id", "1"}, 2,
			"-issuer needs -auth-url URL"},
		{"add a bad -auth-url", []string{"add", "-registrations", path, "-issuer", "https://lms.example", "-auth-url", "lms.example/auth",
			"-jwks-url", "https://lms.example/jwks", "-client-id", "c", "-deployment-id", "1"}, 2, `-auth-url: "lms.example/auth" is not an absolute http(s) URL`},
		{"add -moodle with -issuer", []string{"add", "-registrations", path, "-moodle", "https://m.example", "-issuer", "https://m.example", "-client-id", "c"}, 2, "-moodle sets the issuer"},
		{"add without keys", []string{"add", "-registrations", path, "-issuer", "https://lms.example", "-auth-url", "https://lms.example/auth", "-client-id", "c"}, 2, "-issuer needs -jwks-url URL or -public-key FILE"},
		{"add plain http", []string{"add", "-registrations", path, "-moodle", "http://moodle.example.edu", "-client-id", "c", "-deployment-id", "1"}, 2, "-moodle: "},
		{"add a missing key file", []string{"add", "-registrations", path, "-issuer", "https://lms.example", "-auth-url", "https://lms.example/auth", "-client-id", "c", "-trust-on-first-use", "-public-key", key}, 1, "-public-key: open"},
		{"add twice", []string{"add", "-registrations", path, "-moodle", moodleRoot, "-client-id", "2T1DmxSUCu2ZSuu", "-deployment-id", "1"}, 1, "already registered"},
		{"add a key that does not parse", []string{"add", "-registrations", path, "-issuer", "https://lms.example", "-auth-url", "https://lms.example/auth",
			"-client-id", "c", "-trust-on-first-use", "-public-key", badKey}, 2, "-public-key cannot verify tokens"},
		{"add -from a missing file", []string{"add", "-registrations", path, "-from", key}, 1, "no such file"},
		{"add -from with other flags", []string{"add", "-registrations", path, "-from", path, "-client-id", "c"}, 2, "give no -client-id with it"},
		{"add -from a file already in", []string{"add", "-registrations", path, "-from", path}, 1, "already registered"},
		{"add -from a file that is not one", []string{"add", "-registrations", path, "-from", badKey}, 1, "registrations"},
		{"database unreachable", []string{"list", "-postgres", "postgres://ltikit@localhost:1/ltikit?connect_timeout=5"}, 1, "connection refused"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runCmd(t, "", append([]string{"registrations"}, tc.args...)...)
			if code != tc.code || !strings.Contains(stderr, tc.inStderr) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr, tc.code, tc.inStderr)
			}
			help := "(see ltikit registrations -h)" // a usage error points at the sub-command's help
			if len(tc.args) > 0 && tc.args[0] != "purge" {
				help = "(see ltikit registrations " + tc.args[0] + " -h)"
			}
			if tc.code == 2 && !strings.HasSuffix(stderr, help+"\n") {
				t.Errorf("stderr %q does not end with %q", stderr, help)
			}
			if strings.Count(strings.TrimSpace(stderr), "\n") > 0 || stdout != "" {
				t.Errorf("want one line on stderr and nothing on stdout; got %q and %q", stderr, stdout)
			}
		})
	}
	if after, _ := os.ReadFile(path); string(after) != string(before) {
		t.Errorf("a refused command changed the file:\n%s", after)
	}
}

func TestRegistrations_help(t *testing.T) {
	t.Parallel()
	for _, c := range regsCommands {
		name := c.name
		code, _, stderr := runCmd(t, "", "registrations", name, "-h")
		if code != 0 || !strings.Contains(stderr, "Example:\n  ltikit registrations "+name) || !strings.Contains(stderr, "-postgres") {
			t.Errorf("registrations %s -h: exit %d\n%s", name, code, stderr)
		}
	}
}

// The life of a registration in a file: added by hand, listed, disabled,
// approved, removed.
func TestRegistrations_file(t *testing.T) {
	t.Parallel()
	path := regsFile(t)
	run := func(args ...string) string {
		t.Helper()
		code, stdout, stderr := runCmd(t, "", append([]string{"registrations"}, args...)...)
		if code != 0 {
			t.Fatalf("registrations %v: exit %d: %s", args, code, stderr)
		}
		return stdout
	}

	out := run("list", "-registrations", path)
	for _, want := range [][]string{
		{"ISSUER", "CLIENT_ID", "DEPLOYMENTS", "STATE"},
		{moodleRoot, "2T1DmxSUCu2ZSuu", "1", "pending", "approval"},
		{"https://canvas.instructure.com", "a", "any", "(trust", "on", "first", "use)", "active"},
		{"https://canvas.instructure.com", "b", "d", "active"},
	} {
		if !hasRow(out, want) {
			t.Errorf("list lacks the row %q:\n%s", want, out)
		}
	}

	// Flags may follow the arguments; a lone registration needs no client_id.
	run("approve", moodleRoot, "-registrations", path)
	if p := stored(t, path, moodleRoot, "2T1DmxSUCu2ZSuu"); p == nil || !p.Active() {
		t.Errorf("after approve: %+v", p)
	}
	run("disable", "-registrations", path, "https://canvas.instructure.com", "b")
	if p := stored(t, path, "https://canvas.instructure.com", "b"); p == nil || !p.Disabled {
		t.Errorf("after disable: %+v", p)
	}
	run("remove", "-registrations", path, "https://canvas.instructure.com", "a")
	if p := stored(t, path, "https://canvas.instructure.com", "a"); p != nil {
		t.Errorf("after remove: %+v", p)
	}

	out = run("add", "-registrations", path, "-moodle", "https://moodle.example.edu/", "-client-id", "c1",
		"-deployment-id", "1", "-deployment-id", "2", "-pending")
	p := stored(t, path, "https://moodle.example.edu", "c1")
	if p == nil || p.AuthURL != "https://moodle.example.edu/mod/lti/auth.php" || p.TokenURL != "https://moodle.example.edu/mod/lti/token.php" ||
		p.JWKSURL != "https://moodle.example.edu/mod/lti/certs.php" || strings.Join(p.Deployments, ",") != "1,2" || !p.Pending {
		t.Errorf("added %+v", p)
	}
	if !strings.Contains(out, "added, pending approval") {
		t.Errorf("add said %q", out)
	}

	// -json prints a registrations file.
	out = run("list", "-json", "-registrations", path)
	if ps, err := tool.ParsePlatforms([]byte(out)); err != nil || len(ps) != 3 {
		t.Errorf("list -json: %d registrations, %v:\n%s", len(ps), err, out)
	}
}

// hasRow reports whether a line of table has exactly the fields want.
func hasRow(table string, want []string) bool {
	for _, line := range strings.Split(table, "\n") {
		if strings.Join(strings.Fields(line), " ") == strings.Join(want, " ") {
			return true
		}
	}
	return false
}

// A command line that is wrong is refused before the store is opened: the
// default file is neither created nor required.
func TestRegistrations_argumentsBeforeStore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "registrations.json")
	t.Setenv(tool.PlatformsEnv, path)
	regs := regsFile(t)
	tests := []struct {
		name     string
		args     []string
		code     int
		inStderr string
	}{
		{"add without the other flags", []string{"add", "-client-id", "x"}, 2, "give -moodle URL"},
		{"add with an argument", []string{"add", "-moodle", "https://m.example", "-client-id", "x", "extra"}, 2, "unexpected argument"},
		{"add -from with other flags", []string{"add", "-from", regs, "-pending"}, 2, "give no -pending"},
		{"approve without issuer", []string{"approve"}, 2, "want ISSUER"},
		{"disable with three arguments", []string{"disable", "a", "b", "c"}, 2, "want ISSUER"},
		{"remove without issuer", []string{"remove"}, 2, "want ISSUER"},
		{"list with an argument", []string{"list", "x"}, 2, "unexpected argument"},
	}
	for _, tc := range tests {
		code, _, stderr := runCmd(t, "", append([]string{"registrations"}, tc.args...)...)
		if code != tc.code || !strings.Contains(stderr, tc.inStderr) {
			t.Errorf("%s: exit %d, stderr %q; want %d and %q", tc.name, code, stderr, tc.code, tc.inStderr)
		}
		if _, err := os.Stat(path); !os.IsNotExist(err) {
			t.Fatalf("%s: the registrations file was created (%v)", tc.name, err)
		}
	}
	if code, _, stderr := runCmd(t, "", "registrations", "add", "-moodle", "https://m.example", "-client-id", "x", "-deployment-id", "1"); code != 0 {
		t.Fatalf("a valid add: exit %d %s", code, stderr)
	}
	if p := stored(t, path, "https://m.example", "x"); p == nil {
		t.Error("a valid add did not create the file with the registration")
	}
}

// list -json prints what add -from reads: registrations copied from one
// store to another come out the same.
func TestRegistrations_copy(t *testing.T) {
	t.Parallel()
	src := regsFile(t)
	code, out, stderr := runCmd(t, "", "registrations", "list", "-json", "-registrations", src)
	if code != 0 {
		t.Fatalf("list -json: exit %d %s", code, stderr)
	}
	dump := filepath.Join(t.TempDir(), "dump.json")
	if err := os.WriteFile(dump, []byte(out), 0o600); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), "copy.json")
	code, out, stderr = runCmd(t, "", "registrations", "add", "-from", dump, "-registrations", dst)
	if code != 0 || strings.Count(out, "added") != 3 {
		t.Fatalf("add -from: exit %d %q %s", code, out, stderr)
	}
	want, _ := os.ReadFile(src)
	wantPs, _ := tool.ParsePlatforms(want)
	got, _ := os.ReadFile(dst)
	gotPs, err := tool.ParsePlatforms(got)
	if err != nil || !reflect.DeepEqual(gotPs, wantPs) {
		t.Errorf("copied registrations\n got %+v (%v)\nwant %+v", gotPs, err, wantPs)
	}
}

// add creates the file it is given; the environment names the default one.
func TestRegistrations_newFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "regs.json")
	t.Setenv(tool.PlatformsEnv, path)
	code, out, stderr := runCmd(t, "", "registrations", "add", "-issuer", "https://lms.example", "-client-id", "c",
		"-auth-url", "https://lms.example/auth", "-jwks-url", "https://lms.example/jwks", "-trust-on-first-use")
	if code != 0 || !strings.Contains(out, "added, active") {
		t.Fatalf("add: exit %d %q %q", code, out, stderr)
	}
	if p := stored(t, path, "https://lms.example", "c"); p == nil || p.DeploymentPolicy != tool.TrustOnFirstUse {
		t.Errorf("stored %+v", p)
	}
	if code, out, _ := runCmd(t, "", "registrations", "list"); code != 0 || !strings.Contains(out, "https://lms.example") {
		t.Errorf("list from $%s: exit %d\n%s", tool.PlatformsEnv, code, out)
	}
}

// The same commands work on PostgreSQL (pgstore) when a test server is set.
func TestRegistrations_postgres(t *testing.T) {
	base := os.Getenv("LTIKIT_TEST_POSTGRES")
	if base == "" {
		t.Skip("LTIKIT_TEST_POSTGRES is not set (bash .ci/run sets it)")
	}
	dsn := schemaDSN(t, base)
	steps := []struct {
		args []string
		want string
	}{
		{[]string{"list"}, "no registrations in the database"},
		{[]string{"add", "-moodle", "https://moodle.example.edu", "-client-id", "c1", "-deployment-id", "1", "-pending"}, "added, pending approval"},
		{[]string{"list"}, "pending approval"},
		{[]string{"approve", "https://moodle.example.edu"}, "approved"},
		{[]string{"list"}, "active"},
		{[]string{"disable", "https://moodle.example.edu", "c1"}, "disabled"},
		{[]string{"remove", "https://moodle.example.edu"}, "removed"},
		{[]string{"list"}, "no registrations"},
	}
	for _, s := range steps {
		args := append([]string{"registrations", s.args[0], "-postgres", dsn}, s.args[1:]...)
		code, out, stderr := runCmd(t, "", args...)
		if code != 0 || !strings.Contains(out, s.want) {
			t.Fatalf("%v: exit %d, %q %q; want %q", s.args, code, out, stderr, s.want)
		}
	}
}

// schemaDSN creates a schema of its own for the test, dropped at its end,
// and returns base with that schema as search_path.
func schemaDSN(t *testing.T, base string) string {
	t.Helper()
	admin, err := pgxpool.New(context.Background(), base)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(admin.Close)
	schema := "ltikit_cli_" + strings.ToLower(rand.Text()[:12])
	if _, err := admin.Exec(context.Background(), "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE") })
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
