package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"

	"github.com/ltikit/ltikit/jwks"
	starter "github.com/ltikit/ltikit/template"
)

// ltikitModule is this module's path, which the new project requires.
const ltikitModule = "github.com/ltikit/ltikit"

// replacedVersion is the version required of a module that a replace
// directive points at a directory.
const replacedVersion = "v0.0.0-00010101000000-000000000000"

// defaultToolAddr is where the new project listens by default (its main.go).
const defaultToolAddr = "localhost:9001"

func runNew(args []string, e *env) error {
	f := newFlags(e, "new", "DIR [-module PATH] [-name NAME] [-ltikit DIR]",
		`ltikit new quiztool -module example.com/quiztool -name "Quiz tool"`)
	module := f.String("module", "", "the new project's module `PATH` (default: DIR's name)")
	name := f.String("name", "", "the tool's `NAME`, as the LMS shows it (default: DIR's name)")
	ltikitDir := f.String("ltikit", "", "use the ltikit checkout in `DIR` (a replace directive) instead of a released version\n"+
		"(default: the checkout this ltikit runs from, for a development build)")
	pos, err := f.parseInterleaved(args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("want one directory")
	}
	dir, err := filepath.Abs(pos[0])
	if err != nil {
		return err
	}
	given := map[string]bool{}
	f.Visit(func(fl *flag.Flag) { given[fl.Name] = true })
	if !given["module"] {
		*module = filepath.Base(dir)
	}
	if err := checkModulePath(*module); err != nil {
		return usagef("-module %q: %v", *module, err)
	}
	if !given["name"] {
		*name = filepath.Base(dir)
	}
	if err := checkToolName(*name); err != nil {
		return usagef("-name: %v", err)
	}
	version, replace, err := ltikitSource(*ltikitDir)
	if err != nil {
		return err
	}
	if err := checkEmptyDir(dir); err != nil {
		return err
	}

	files, err := renderProject(starter.Data{Module: *module, Name: *name, LtikitVersion: version, LtikitDir: replace})
	if err != nil {
		return fmt.Errorf("rendering the template: %w", err)
	}
	if replace != "" {
		// The checkout's go.sum holds the checksum of every module the
		// project can need, so that go mod tidy works from the module cache.
		if sum, err := os.ReadFile(filepath.Join(replace, "go.sum")); err == nil {
			files["go.sum"] = sum
		}
	}
	if err := writeProject(dir, files); err != nil {
		return err
	}
	if err := goModTidy(dir); err != nil {
		return fmt.Errorf("created %s, but %v; run go mod tidy there once that is fixed", dir, err)
	}
	source := "ltikit " + version
	if replace != "" {
		source = "ltikit from " + replace
	}
	return printCreated(e, dir, fmt.Sprintf("%q (module %s, %s)", *name, *module, source))
}

// ltikitSource says which ltikit the project requires: a released version,
// or a checkout through a replace directive (the one given, else, for a
// development build of this command, the checkout around the working
// directory, as with go run ./cmd/ltikit).
func ltikitSource(dir string) (version, replace string, err error) {
	if dir != "" {
		root, err := filepath.Abs(dir)
		if err != nil {
			return "", "", err
		}
		if mod, _ := modulePathOf(root); mod != ltikitModule {
			return "", "", usagef("-ltikit %s: not a checkout of %s (no go.mod declaring it)", dir, ltikitModule)
		}
		return replacedVersion, root, nil
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Path == ltikitModule {
		switch r := bi.Main.Replace; {
		case r != nil && r.Version == "" && filepath.IsAbs(r.Path): // go tool ltikit in a project made by ltikit new
			return replacedVersion, r.Path, nil
		case r == nil && isRelease(bi.Main.Version):
			return bi.Main.Version, "", nil
		}
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", "", err
	}
	for d := wd; ; d = filepath.Dir(d) {
		if mod, _ := modulePathOf(d); mod == ltikitModule {
			return replacedVersion, d, nil
		}
		if filepath.Dir(d) == d {
			return "", "", usagef("this ltikit is a development build: give the ltikit checkout with -ltikit DIR")
		}
	}
}

// isRelease reports whether v is a version the module proxy can serve, as
// opposed to a development build's "(devel)" or a modified checkout's
// "+dirty" version.
func isRelease(v string) bool {
	return strings.HasPrefix(v, "v") && v != replacedVersion && !strings.HasSuffix(v, "+dirty")
}

// modulePathOf returns the module path declared by dir/go.mod.
func modulePathOf(dir string) (string, error) {
	f, err := os.Open(filepath.Join(dir, "go.mod"))
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "module "); ok {
			return strings.Trim(strings.TrimSpace(rest), `"`), nil
		}
	}
	return "", errors.New("no module line")
}

// checkEmptyDir accepts a directory that does not exist yet, or is empty.
func checkEmptyDir(dir string) error {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		if fi, serr := os.Stat(dir); serr == nil && !fi.IsDir() {
			return fmt.Errorf("%s exists and is not a directory", dir)
		}
		return err
	case len(entries) > 0:
		return fmt.Errorf("%s is not empty: give a new or empty directory", dir)
	}
	return nil
}

// writeProject writes files into dir, which must be new or empty, and a
// fresh signing key into dir/keys. On failure it removes what it wrote.
func writeProject(dir string, files map[string][]byte) (err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			entries, _ := os.ReadDir(dir)
			for _, e := range entries {
				os.RemoveAll(filepath.Join(dir, e.Name())) // dir was empty before
			}
		}
	}()
	for name, data := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			return err
		}
	}
	keys := filepath.Join(dir, "keys")
	if err := os.Mkdir(keys, 0o700); err != nil {
		return err
	}
	k, err := jwks.GenerateKey()
	if err != nil {
		return err
	}
	if err := jwks.SaveKey(keys, k); err != nil {
		return err
	}
	return jwks.SetActiveKey(keys, k.ID)
}

// printCreated lists the project's files and what to run next.
func printCreated(e *env, dir, what string) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "Created %s in %s:\n", what, dir)
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		note := ""
		if filepath.Ext(path) == ".pem" {
			note = "  the tool's private signing key (mode 0600; never commit it)"
		}
		fmt.Fprintf(&b, "  %s%s\n", filepath.ToSlash(rel), note)
		return nil
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(&b, "\nNext:\n"+
		"  cd %s\n"+
		"  go test ./...                                   # launches it from a fake LMS\n"+
		"  go run .                                        # the tool, on http://%s\n"+
		"  go tool ltikit dev -tool http://%[2]s  # in another terminal: launch it from the dev LMS\n"+
		"README.md says how to register it in Moodle and where to add your own logic.\n", dir, defaultToolAddr)
	_, err = e.stdout.Write(b.Bytes())
	return err
}
