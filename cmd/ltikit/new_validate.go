package main

import (
	"errors"
	"fmt"
	"go/build"
	"strings"
	"unicode"
	"unicode/utf8"
)

// checkModulePath reports why p cannot be the new project's module path.
// It follows the Go module path rules (golang.org/x/mod/module.CheckPath),
// except that the first element needs no dot, so that local names such as
// "quiztool" work as with go mod init.
func checkModulePath(p string) error {
	if p == "" {
		return errors.New("empty")
	}
	if p == ltikitModule || strings.HasPrefix(p, ltikitModule+"/") {
		return errors.New("that is ltikit itself")
	}
	elems := strings.Split(p, "/")
	for i, e := range elems {
		if err := checkPathElem(e, i == 0); err != nil {
			return fmt.Errorf("element %q: %v", e, err)
		}
	}
	last := elems[len(elems)-1]
	if len(elems) > 1 && len(last) > 1 && last[0] == 'v' && strings.Trim(last[1:], "0123456789") == "" &&
		(last == "v0" || last == "v1" || last[1] == '0') {
		return fmt.Errorf("major version suffix /%s: only /v2 and above are valid", last)
	}
	if !strings.Contains(elems[0], ".") {
		if pkg, err := build.Default.Import(p, "", build.FindOnly); err == nil && pkg.Goroot {
			return errors.New("the standard library has a package of that name")
		}
	}
	return nil
}

// checkPathElem checks one element of a module path.
func checkPathElem(e string, first bool) error {
	switch {
	case e == "":
		return errors.New("empty (leading, trailing or double slash)")
	case e[0] == '.' || e[len(e)-1] == '.':
		return errors.New("leading or trailing dot")
	case first && e[0] == '-':
		return errors.New("leading dash")
	}
	for _, r := range e {
		ok := r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '.' || r == '_' || r == '~' ||
			!first && r >= 'A' && r <= 'Z')
		if !ok {
			return fmt.Errorf("invalid character %q", r)
		}
	}
	if base, _, _ := strings.Cut(e, "."); isWindowsReserved(base) {
		return errors.New("a reserved file name on Windows")
	}
	return nil
}

// isWindowsReserved reports whether name is a device name Windows reserves.
func isWindowsReserved(name string) bool {
	switch n := strings.ToUpper(name); {
	case n == "CON" || n == "PRN" || n == "AUX" || n == "NUL":
		return true
	case len(n) == 4 && (strings.HasPrefix(n, "COM") || strings.HasPrefix(n, "LPT")) && n[3] >= '1' && n[3] <= '9':
		return true
	}
	return false
}

// checkToolName reports why name cannot be the tool's name: it is shown by
// the LMS and on every page, in one line.
func checkToolName(name string) error {
	switch {
	case strings.TrimSpace(name) != name || name == "":
		return errors.New("the name must not be empty nor start or end with spaces")
	case !utf8.ValidString(name):
		return errors.New("the name is not valid UTF-8")
	case utf8.RuneCountInString(name) > 80:
		return errors.New("the name is longer than 80 characters")
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		return errors.New("the name has a control character (such as a newline)")
	}
	return nil
}
