package ltitest

import (
	"errors"
	"fmt"
	"strings"
)

// checkCloseCSP reports why the policies (Content-Security-Policy header
// values) served with page, a tool's last registration page, would stop
// the inline script that posts the close message (DR-09) from running in a
// browser; nil when they would not. It applies script-src-elem, else
// script-src, else default-src, of every policy, as CSP Level 3 does for
// a script element.
func checkCloseCSP(policies []string, page string) error {
	attrs, text, ok := closeScript(page)
	if !ok {
		return errors.New("no inline script element posts the close message")
	}
	for _, header := range policies {
		for policy := range strings.SplitSeq(header, ",") {
			d := parseCSP(policy)
			for _, name := range []string{"script-src-elem", "script-src", "default-src"} {
				sources, ok := d[name]
				if !ok {
					continue
				}
				if !inlineAllowed(sources, attrs, text) {
					return fmt.Errorf("%s %q does not allow the inline script that posts %s", name, strings.Join(sources, " "), closeSubject)
				}
				break
			}
		}
	}
	return nil
}

// closeScript finds the inline script element of page that posts the close
// message: its attributes and text.
func closeScript(page string) (attrs map[string]string, text string, ok bool) {
	lower := asciiLower(page)
	for i := 0; ; {
		start := strings.Index(lower[i:], "<script")
		if start < 0 {
			return nil, "", false
		}
		start += i
		_, attrs, n := readTag(page[start:])
		body := start + n
		end := strings.Index(lower[body:], "</script")
		if end < 0 {
			return nil, "", false
		}
		if text = page[body : body+end]; strings.Contains(text, closeSubject) && attrs["src"] == "" {
			return attrs, text, true
		}
		i = body + end
	}
}

// asciiLower lower-cases s byte by byte, ASCII only, so that indices in
// the result are valid in s.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// inlineAllowed reports whether sources let an inline script with attrs
// and text run: by its hash, its nonce, or 'unsafe-inline' when the list
// has neither hashes nor nonces.
func inlineAllowed(sources []string, attrs map[string]string, text string) bool {
	unsafeInline, hashOrNonce := false, false
	for _, s := range sources {
		alg, val, _ := strings.Cut(strings.Trim(s, "'"), "-")
		switch alg = strings.ToLower(alg); alg {
		case "nonce":
			hashOrNonce = true
			if n, ok := attrs["nonce"]; ok && n == val {
				return true
			}
		case "sha256", "sha384", "sha512":
			hashOrNonce = true
			if scriptDigest(alg, text) == val {
				return true
			}
		}
		if strings.EqualFold(s, "'unsafe-inline'") {
			unsafeInline = true
		}
	}
	return unsafeInline && !hashOrNonce
}
