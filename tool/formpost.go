package tool

import (
	"html/template"
	"net/http"
	"net/url"
)

// Tool-originated messages (LtiDeepLinkingResponse, LtiStartAssessment)
// travel through the browser: an HTML form that posts the signed JWT as
// its single field JWT, submitted on load by a script.

// autoSubmitScript submits the form on load. The page's
// Content-Security-Policy allows exactly this script, by its hash.
const autoSubmitScript = `document.forms[0].submit();`

// formPostPage is the auto-submitting form. html/template escapes the
// action (keeping its query string) and the JWT.
var formPostPage = template.Must(template.New("formpost").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Title}}</title></head>
<body><form method="post" action="{{.Action}}" enctype="application/x-www-form-urlencoded"><input type="hidden" name="JWT" value="{{.JWT}}"><noscript><p>{{.Prompt}}</p><button type="submit">Continue</button></noscript></form>
<script>` + autoSubmitScript + `</script></body></html>
`))

// writeFormPost writes the page that posts jwt to action. title names the
// page; prompt asks a user without JavaScript to press Continue. The
// Content-Security-Policy allows nothing but the submitting script, by its
// hash, and posting to action; the page is not cached.
func writeFormPost(w http.ResponseWriter, action *url.URL, jwt, title, prompt string) error {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; script-src '"+scriptHash(autoSubmitScript)+
		"'; form-action "+formActionSource(action)+"; base-uri 'none'")
	return formPostPage.Execute(w, struct {
		Title, Action, JWT, Prompt string
	}{title, action.String(), jwt, prompt})
}
