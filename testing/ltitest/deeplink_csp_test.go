package ltitest

import (
	"crypto/sha256"
	"encoding/base64"
	"net/url"
	"testing"
)

// TestCheckFormCSP: the Browser refuses what a browser's CSP would block
// on an auto-submitting page, and allows the rest.
func TestCheckFormCSP(t *testing.T) {
	const script = `document.forms[0].submit();`
	sum := sha256.Sum256([]byte(script))
	hash := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
	page := `<form method="post" action="x"></form><script>` + script + `</script>`
	noncePage := `<form></form><script nonce="abc">` + script + `</script>`
	self, _ := url.Parse("https://tool.example/catalog/pick?launch=1")
	action, _ := url.Parse("https://lms.example:8443/mod/lti/contentitem_return.php?course=2&id=1")
	tests := []struct {
		name   string
		policy []string
		page   string
		ok     bool
	}{
		{"no policy", nil, page, true},
		{"ltikit's policy", []string{"default-src 'none'; script-src " + hash + "; form-action https://lms.example:8443/mod/lti/contentitem_return.php; base-uri 'none'"}, page, true},
		{"form-action origin", []string{"form-action https://lms.example:8443"}, page, true},
		{"form-action path prefix", []string{"form-action https://lms.example:8443/mod/lti/"}, page, true},
		{"form-action wildcard host", []string{"form-action https://*.example:8443"}, page, true},
		{"form-action wildcard port", []string{"form-action lms.example:*"}, page, true},
		{"form-action scheme", []string{"form-action https:"}, page, true},
		{"form-action *", []string{"form-action *"}, page, true},
		{"nonce", []string{"script-src 'nonce-abc'"}, noncePage, true},
		{"unsafe-inline", []string{"script-src 'unsafe-inline'"}, page, true},
		{"default-src governs scripts", []string{"default-src 'none'; form-action *"}, page, false},
		{"form-action 'none'", []string{"form-action 'none'"}, page, false},
		{"form-action 'self'", []string{"form-action 'self'"}, page, false},
		{"form-action other path", []string{"form-action https://lms.example:8443/mod/lti/other.php"}, page, false},
		{"form-action default port", []string{"form-action https://lms.example"}, page, false},
		{"form-action other host", []string{"form-action https://evil.example:8443"}, page, false},
		{"form-action http only", []string{"form-action http://lms.example:8443"}, page, true},
		{"hash mismatch", []string{"script-src 'sha256-AAAA'"}, page, false},
		{"unsafe-inline ignored next to a hash", []string{"script-src 'unsafe-inline' 'sha256-AAAA'"}, page, false},
		{"nonce mismatch", []string{"script-src 'nonce-xyz'"}, noncePage, false},
		{"no submitting script", []string{"script-src 'unsafe-inline'"}, `<form></form>`, false},
		{"second policy blocks", []string{"form-action *", "form-action 'none'"}, page, false},
		{"comma-joined policies", []string{"form-action *, form-action 'none'"}, page, false},
	}
	for _, tt := range tests {
		err := checkFormCSP(tt.policy, self, action, tt.page)
		if (err == nil) != tt.ok {
			t.Errorf("%s: err = %v, want allowed %v", tt.name, err, tt.ok)
		}
	}
}
