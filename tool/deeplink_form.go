package tool

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"
)

// Write signs the response (see [DeepLinkResponse.Sign]) and writes the
// page that posts it to the platform: an HTML form whose single field JWT
// goes by POST to deep_link_return_url, query string kept, submitted on load
// by a script (DL-RESP-01). The page's Content-Security-Policy allows
// nothing but that script, by its hash, and that form's target; it is not
// cached. When Sign fails, Write writes nothing and returns the error, for
// the handler to show its own page or pass to Tool.ServeError.
func (r *DeepLinkResponse) Write(ctx context.Context, w http.ResponseWriter) error {
	jwt, err := r.Sign(ctx)
	if err != nil {
		return err
	}
	action, _ := returnURL(r.l.DeepLinking.DeepLinkReturnURL) // checked by Sign
	return writeFormPost(w, action, jwt, "Returning to the learning platform",
		"Press Continue to return to the learning platform.")
}

// returnURL parses deep_link_return_url: an absolute http(s) URL, so that
// the form cannot post to a javascript: or data: URL.
func returnURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("deep_link_return_url " + quote(s) + " is not an absolute http(s) URL")
	}
	return u, nil
}

// scriptHash is the CSP hash source of an inline script.
func scriptHash(script string) string {
	sum := sha256.Sum256([]byte(script))
	return "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
}

// formActionSource is the CSP source expression that allows posting to u
// and nowhere else: its origin and exact path. The query is not part of a
// source; ";" and "," in the path are percent-encoded as CSP requires.
// CSP cannot name an IPv6 literal host, so such a URL is allowed by scheme.
func formActionSource(u *url.URL) string {
	if strings.HasPrefix(u.Host, "[") {
		return u.Scheme + ":"
	}
	path := strings.NewReplacer(";", "%3B", ",", "%2C").Replace(u.EscapedPath())
	if path == "" {
		path = "/"
	}
	return u.Scheme + "://" + u.Host + path
}
