package ltitest

import (
	"crypto/sha256"
	"encoding/base64"
	"testing"
)

// TestCheckCloseCSP: Register refuses a last registration page whose
// policy would block its close script in a browser, and allows the rest.
func TestCheckCloseCSP(t *testing.T) {
	const script = `(window.opener || window.parent).postMessage({subject: "org.imsglobal.lti.close"}, "*");`
	sum := sha256.Sum256([]byte(script))
	hash := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
	page := `<p>Registered.</p><script>` + script + `</script>`
	tests := []struct {
		name   string
		policy []string
		page   string
		ok     bool
	}{
		{"no policy", nil, page, true},
		{"dynreg's policy", []string{"default-src 'none'; script-src " + hash + "; style-src 'sha256-x'; form-action 'self'"}, page, true},
		{"unsafe-inline", []string{"default-src 'self'; script-src 'unsafe-inline'"}, page, true},
		{"nonce", []string{"script-src 'nonce-n1'"}, `<script nonce="n1">` + script + `</script>`, true},
		{"script-src-elem allows", []string{"script-src 'none'; script-src-elem " + hash}, page, true},
		{"policy without scripts", []string{"img-src 'self'"}, page, true},
		{"the template's policy (default-src 'self')", []string{"default-src 'self'; style-src 'self' 'unsafe-inline'; base-uri 'none'; frame-ancestors *"}, page, false},
		{"script-src 'self'", []string{"script-src 'self'"}, page, false},
		{"hash of another script", []string{"script-src 'sha256-AAAA'"}, page, false},
		{"unsafe-inline ignored next to a hash", []string{"script-src 'unsafe-inline' 'sha256-AAAA'"}, page, false},
		{"nonce mismatch", []string{"script-src 'nonce-n2'"}, `<script nonce="n1">` + script + `</script>`, false},
		{"script-src-elem blocks", []string{"script-src " + hash + "; script-src-elem 'none'"}, page, false},
		{"second header blocks", []string{"script-src " + hash, "default-src 'none'"}, page, false},
		{"comma-joined policies", []string{"script-src " + hash + ", script-src 'none'"}, page, false},
		{"close message outside a script", []string{"script-src 'unsafe-inline'"}, `<p>org.imsglobal.lti.close</p>`, false},
		{"external script only", nil, `<script src="/close.js">org.imsglobal.lti.close</script>`, false},
	}
	for _, tt := range tests {
		err := checkCloseCSP(tt.policy, tt.page)
		if (err == nil) != tt.ok {
			t.Errorf("%s: err = %v, want allowed %v", tt.name, err, tt.ok)
		}
	}
}
