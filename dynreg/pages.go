package dynreg

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"html/template"
	"net/http"
	"net/url"
	"strings"
)

// pageStyle is the pages' style sheet, inline: the Content-Security-Policy
// allows it by its hash.
const pageStyle = `body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:1.5rem auto;padding:0 1rem;color:#222}
img.logo{max-height:3rem;float:right}code{background:#f3f3f3;padding:.1rem .3rem;border-radius:3px;word-break:break-all}
li{margin:.3rem 0}.note{color:#8a5a00}button{font:inherit;padding:.4rem 1.2rem;margin-right:.5rem}`

// closeScript asks the LMS to close the registration window (DR-09). The
// Content-Security-Policy allows it by its hash.
const closeScript = `(window.opener || window.parent).postMessage({subject: "org.imsglobal.lti.close"}, "*");`

// The pages the LMS administrator sees, inside the LMS's registration
// iframe or popup. They load nothing from elsewhere but the tool's logo,
// and the Referrer-Policy keeps the registration token in the page's URL
// from leaking with that request.
var pages = template.Must(template.New("layout").Parse(`{{define "head"}}<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.}}</title>
<style>` + pageStyle + `</style></head><body>
{{end}}
{{define "close"}}<script>` + closeScript + `</script>
{{end}}

{{define "confirm"}}{{template "head" "Register the tool"}}
{{with .LogoURL}}<img class="logo" src="{{.}}" alt="">{{end}}
<h1>Add {{.Name}}</h1>
{{with .Description}}<p>{{.}}</p>{{end}}
<p>The learning platform <code>{{.Issuer}}</code>{{with .Product}} ({{.}}){{end}} asks to register this tool.
Registering lets its courses launch the tool{{if .Pending}}, once the tool's administrator has approved the registration{{end}}.</p>
<p>The tool asks for:</p>
<ul>
{{range .Asks}}<li>{{.Text}}{{with .Note}} <span class="note">{{.}}</span>{{end}}</li>
{{end}}</ul>
<form method="post">
<input type="hidden" name="confirmation" value="{{.Confirmation}}">
<button type="submit" name="action" value="register">Register</button>
<button type="submit" name="action" value="cancel">Cancel</button>
</form>
</body></html>{{end}}

{{define "done"}}{{template "head" "Tool registered"}}
<h1>{{.Name}} is registered</h1>
<p>The platform <code>{{.Issuer}}</code> gave the tool the client ID <code>{{.ClientID}}</code>{{with .DeploymentID}} and the deployment ID <code>{{.}}</code>{{end}}.</p>
{{if .Pending}}<p class="note">The tool's administrator must approve this registration before the tool can be launched.</p>{{end}}
<p>The platform may ask its own administrator to activate the tool (Moodle: <em>Activate</em> on the new tool's card in <em>Manage tools</em>). You can close this window.</p>
{{template "close"}}</body></html>{{end}}

{{define "cancelled"}}{{template "head" "Registration cancelled"}}
<h1>Registration cancelled</h1>
<p>Nothing was registered. You can close this window.</p>
{{template "close"}}</body></html>{{end}}

{{define "error"}}{{template "head" "Registration failed"}}
<h1>The registration failed</h1>
<p>{{.Message}}</p>
<p>Nothing was registered with the tool. Details for the tool's administrator are in its log.</p>
</body></html>{{end}}`))

// Page names.
const (
	confirmPage   = "confirm"
	donePage      = "done"
	cancelledPage = "cancelled"
	errorPage     = "error"
)

// confirmData is what the confirmation page shows.
type confirmData struct {
	Name, Description, LogoURL string
	Issuer, Product            string
	Asks                       []ask
	Pending                    bool
	Confirmation               string // the single-use token the form posts back
}

// ask is one thing the tool asks the platform for, with a note when the
// platform may not grant it.
type ask struct{ Text, Note string }

// doneData is what the page after a registration shows.
type doneData struct {
	Name, Issuer, ClientID, DeploymentID string
	Pending                              bool
}

// pagePolicy is the Content-Security-Policy of the pages: nothing runs or
// loads but their own style sheet and close script, by their hashes, and
// the logo at logoURL (empty: no logo); the confirmation form posts back to
// the page's own origin. Framing is left to the LMS, which shows the pages
// in its iframe.
func pagePolicy(logoURL string) string {
	img := "'none'"
	if u, err := url.Parse(logoURL); err == nil && logoURL != "" {
		img = originSource(u)
	}
	return "default-src 'none'; script-src '" + sourceHash(closeScript) + "'; style-src '" + sourceHash(pageStyle) +
		"'; img-src " + img + "; form-action 'self'; base-uri 'none'"
}

// sourceHash is the CSP hash source of an inline script or style sheet.
func sourceHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
}

// originSource is the CSP source expression of u's origin. CSP cannot name
// an IPv6 literal host, so such a URL is allowed by its scheme.
func originSource(u *url.URL) string {
	if strings.HasPrefix(u.Host, "[") {
		return u.Scheme + ":"
	}
	return u.Scheme + "://" + u.Host
}

// writePage renders page with data, under the Content-Security-Policy
// policy (see pagePolicy). The policy replaces any a wrapping middleware
// set before calling the Handler.
func writePage(w http.ResponseWriter, policy string, status int, page string, data any) {
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, page, data); err != nil {
		http.Error(w, "dynreg: page: "+err.Error(), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Security-Policy", policy)
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}
