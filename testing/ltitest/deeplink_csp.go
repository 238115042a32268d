package ltitest

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"fmt"
	"hash"
	"net/url"
	"slices"
	"strings"
)

// What a browser's Content-Security-Policy lets an auto-submitting page do:
// run its inline script and submit its form to the action. This is the
// subset of CSP Level 3 such a page meets: form-action with its source
// expressions, and script-src (or default-src) with hashes, nonces and
// 'unsafe-inline'.

// checkFormCSP reports why the policies (Content-Security-Policy header
// values) served with page, at pageURL, would stop its script from
// submitting its form to action; nil when they would not.
func checkFormCSP(policies []string, pageURL, action *url.URL, page string) error {
	for _, header := range policies {
		for policy := range strings.SplitSeq(header, ",") {
			d := parseCSP(policy)
			if sources, ok := d["form-action"]; ok && !slices.ContainsFunc(sources, func(s string) bool { return sourceMatches(s, action, pageURL) }) {
				return fmt.Errorf("form-action %q does not allow %s", strings.Join(sources, " "), action)
			}
			if why := scriptBlocked(d, page, ".submit()"); why != "" {
				return fmt.Errorf("%s that submits the form", why)
			}
		}
	}
	return nil
}

// parseCSP splits a policy into its directives; the first of a name wins.
func parseCSP(policy string) map[string][]string {
	d := map[string][]string{}
	for directive := range strings.SplitSeq(policy, ";") {
		f := strings.Fields(directive)
		if len(f) == 0 {
			continue
		}
		if name := strings.ToLower(f[0]); d[name] == nil {
			d[name] = append([]string{}, f[1:]...)
		}
	}
	return d
}

// scriptBlocked reports why the policy d would stop the inline script of
// page whose text contains marker from running, "" when it would not. It
// applies script-src-elem, else script-src, else default-src, as CSP
// Level 3 does for a script element.
func scriptBlocked(d map[string][]string, page, marker string) string {
	attrs, text, ok := inlineScript(page, marker)
	if !ok {
		return "no inline script element contains " + marker
	}
	for _, name := range []string{"script-src-elem", "script-src", "default-src"} {
		if sources, ok := d[name]; ok {
			if !inlineAllowed(sources, attrs, text) {
				return fmt.Sprintf("%s %q does not allow the inline script", name, strings.Join(sources, " "))
			}
			return ""
		}
	}
	return ""
}

// inlineScript finds the first inline script element of page (one without
// src) whose text contains marker: its attributes and text.
func inlineScript(page, marker string) (attrs map[string]string, text string, ok bool) {
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
		if text = page[body : body+end]; strings.Contains(text, marker) && attrs["src"] == "" {
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

func scriptDigest(alg, text string) string {
	var h hash.Hash
	switch alg {
	case "sha256":
		h = sha256.New()
	case "sha384":
		h = sha512.New384()
	default:
		h = sha512.New()
	}
	h.Write([]byte(text))
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

// sourceMatches reports whether the source expression s allows u, for a
// page at self.
func sourceMatches(s string, u, self *url.URL) bool {
	schemeOK := func(want string) bool { return u.Scheme == want || (want == "http" && u.Scheme == "https") }
	switch ls := strings.ToLower(s); {
	case ls == "'none'":
		return false
	case ls == "'self'":
		return schemeOK(self.Scheme) && u.Host == self.Host
	case ls == "*":
		return u.Scheme == "http" || u.Scheme == "https"
	case strings.HasSuffix(ls, ":") && !strings.Contains(ls, "/"):
		return schemeOK(strings.TrimSuffix(ls, ":"))
	case strings.HasPrefix(ls, "'"):
		return false // nonces, hashes and keywords name no URL
	}
	scheme, rest, found := strings.Cut(s, "://")
	if !found {
		scheme, rest = self.Scheme, s
	}
	if !schemeOK(strings.ToLower(scheme)) {
		return false
	}
	hostPort, path := rest, ""
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		hostPort, path = rest[:i], rest[i:]
	}
	host, port, hasPort := strings.Cut(hostPort, ":")
	host = strings.ToLower(host)
	switch {
	case host == "*":
	case strings.HasPrefix(host, "*."):
		if !strings.HasSuffix(u.Hostname(), host[1:]) {
			return false
		}
	case host != strings.ToLower(u.Hostname()):
		return false
	}
	if uPort := portOf(u); (hasPort && port != "*" && port != uPort) || (!hasPort && uPort != defaultPort(u.Scheme)) {
		return false
	}
	if path == "" {
		return true
	}
	want, err := url.PathUnescape(path)
	if err != nil {
		return false
	}
	if strings.HasSuffix(want, "/") {
		return strings.HasPrefix(u.Path, want)
	}
	return u.Path == want
}

func portOf(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	return defaultPort(u.Scheme)
}

func defaultPort(scheme string) string {
	if scheme == "https" {
		return "443"
	}
	return "80"
}
