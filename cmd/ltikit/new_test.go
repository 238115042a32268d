package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	starter "github.com/ltikit/ltikit/template"
)

// checkoutRoot is this ltikit checkout, which generated projects use
// through a replace directive.
func checkoutRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// The command refuses what it cannot make a good project from, with a
// one-line error and the right exit status, and writes nothing then.
func TestNew_refused(t *testing.T) {
	t.Parallel()
	root := checkoutRoot(t)
	tmp := t.TempDir()
	full := filepath.Join(tmp, "full")
	os.MkdirAll(full, 0o755)
	os.WriteFile(filepath.Join(full, "notes.txt"), []byte("mine"), 0o644)
	file := filepath.Join(tmp, "file")
	os.WriteFile(file, []byte("x"), 0o644)

	tests := []struct {
		name     string
		args     []string
		code     int
		inStderr string
	}{
		{"no directory", nil, 2, "want one directory"},
		{"two directories", []string{"a", "b"}, 2, "want one directory"},
		{"non-empty directory", []string{full}, 1, "is not empty"},
		{"a file", []string{file}, 1, "not a directory"},
		{"module with a space", []string{filepath.Join(tmp, "a"), "-module", "example.com/my tool"}, 2, "invalid character"},
		{"module with a capital first element", []string{filepath.Join(tmp, "a"), "-module", "Example.com/x"}, 2, "invalid character"},
		{"module with an empty element", []string{filepath.Join(tmp, "a"), "-module", "example.com//x"}, 2, "empty"},
		{"module /v1", []string{filepath.Join(tmp, "a"), "-module", "example.com/x/v1"}, 2, "major version"},
		{"module is ltikit", []string{filepath.Join(tmp, "a"), "-module", "github.com/ltikit/ltikit/mine"}, 2, "ltikit itself"},
		{"module is a standard package", []string{filepath.Join(tmp, "a"), "-module", "net/http"}, 2, "standard library"},
		{"directory name is no module path", []string{filepath.Join(tmp, "My Tool")}, 2, "-module"},
		{"empty name", []string{filepath.Join(tmp, "a"), "-name", ""}, 2, "must not be empty"},
		{"name with a newline", []string{filepath.Join(tmp, "a"), "-name", "Quiz\ntool"}, 2, "control character"},
		{"name too long", []string{filepath.Join(tmp, "a"), "-name", strings.Repeat("n", 81)}, 2, "longer than 80"},
		{"ltikit is not a checkout", []string{filepath.Join(tmp, "a"), "-ltikit", tmp}, 2, "not a checkout"},
		{"unknown flag", []string{filepath.Join(tmp, "a"), "-force"}, 2, "flag provided but not defined"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"new"}, tc.args...)
			if !strings.Contains(strings.Join(tc.args, " "), "-ltikit") {
				args = append(args, "-ltikit", root)
			}
			code, stdout, stderr := runCmd(t, "", args...)
			if code != tc.code || !strings.Contains(stderr, tc.inStderr) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr, tc.code, tc.inStderr)
			}
			if strings.Count(strings.TrimSpace(stderr), "\n") > 0 || stdout != "" {
				t.Errorf("want one line on stderr and nothing on stdout; got %q and %q", stderr, stdout)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(tmp, "a")); err == nil {
		t.Error("a refused command created a directory")
	}
	if entries, _ := os.ReadDir(full); len(entries) != 1 {
		t.Errorf("the non-empty directory was changed: %v", entries)
	}
}

func TestCheckModulePath(t *testing.T) {
	t.Parallel()
	tests := []struct {
		path string
		ok   bool
	}{
		{"quiztool", true},
		{"example.com/quiz", true},
		{"github.com/Acme/quiz-tool_2/v2", true},
		{"example.com/a.b~c", true},
		{"", false},
		{"/quiz", false},
		{"quiz/", false},
		{".quiz", false},
		{"quiz.", false},
		{"-quiz", false},
		{"example.com/x/v0", false},
		{"example.com/x/v01", false},
		{"example.com/con", false},
		{"example.com/LPT1.txt", false},
		{"example.com/quiz+tool", false},
		{"example.com/ü", false},
		{"example.com/x?y", false},
		{"github.com/ltikit/ltikit", false},
		{"fmt", false},
	}
	for _, tc := range tests {
		if err := checkModulePath(tc.path); (err == nil) != tc.ok {
			t.Errorf("checkModulePath(%q) = %v, want ok %v", tc.path, err, tc.ok)
		}
	}
}

func TestParseInterleaved(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args    []string
		pos     string
		module  string
		wantErr bool
	}{
		{[]string{"dir", "-module", "m"}, "dir", "m", false},
		{[]string{"-module", "m", "dir"}, "dir", "m", false},
		{[]string{"a", "-module", "m", "b"}, "a b", "m", false},
		{[]string{"-module", "m", "--", "-dir"}, "-dir", "m", false},
		{[]string{"dir", "-module"}, "", "", true},
		{[]string{"dir", "-nope"}, "", "", true},
	}
	for _, tc := range tests {
		f := newFlags(&env{stdout: &strings.Builder{}, stderr: &strings.Builder{}}, "t", "", "")
		module := f.String("module", "", "")
		pos, err := f.parseInterleaved(tc.args)
		if (err != nil) != tc.wantErr || strings.Join(pos, " ") != tc.pos || *module != tc.module {
			t.Errorf("%q: got %q, -module %q, err %v; want %q, %q, error %v", tc.args, pos, *module, err, tc.pos, tc.module, tc.wantErr)
		}
	}
}

// The rendered project agrees with what `ltikit new` prints and with the
// files the tool makes: it listens where the next steps say, clear of
// moodle-docker's Moodle (localhost:8000) and of ltikit dev (8080), and its
// .gitignore keeps the keys, the outbox and the registrations file's lock
// out of git.
func TestNew_renderedProject(t *testing.T) {
	t.Parallel()
	files, err := renderProject(starter.Data{Module: "example.com/quiz", Name: "Quiz", LtikitVersion: "v0.1.0"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(files["main.go"]), `"addr", "`+defaultToolAddr+`"`) {
		t.Errorf("main.go's -addr default is not %s, which ltikit new prints", defaultToolAddr)
	}
	for _, clash := range []string{":8000", ":8080"} {
		if strings.HasSuffix(defaultToolAddr, clash) {
			t.Errorf("the tool's default address %s clashes with %s", defaultToolAddr, clash)
		}
	}
	if readme := string(files["README.md"]); !strings.Contains(readme, "http://"+defaultToolAddr) || strings.Contains(readme, "127.0.0.1:8000") {
		t.Errorf("README.md does not run the tool on %s", defaultToolAddr)
	}
	var patterns []string
	for line := range strings.SplitSeq(string(files[".gitignore"]), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			patterns = append(patterns, strings.Trim(line, "/"))
		}
	}
	ignored := func(name string) bool {
		for _, p := range patterns {
			if ok, _ := filepath.Match(p, name); ok {
				return true
			}
		}
		return false
	}
	for _, name := range []string{"keys", "outbox", "quiz", "registrations.json.lock"} {
		if !ignored(name) {
			t.Errorf(".gitignore (%q) does not ignore %s", patterns, name)
		}
	}
	for _, name := range []string{"registrations.json", "main.go", "go.sum", "README.md"} {
		if ignored(name) {
			t.Errorf(".gitignore (%q) ignores %s, which belongs in git", patterns, name)
		}
	}
}
