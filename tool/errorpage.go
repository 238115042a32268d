package tool

import (
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"time"
)

var errorPage = template.Must(template.New("error").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>LTI launch refused</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:42rem;margin:2rem auto;padding:0 1rem;color:#222}
code{background:#f3f3f3;padding:.1rem .3rem;border-radius:3px}dt{font-weight:600}dd{margin:0 0 .5rem}</style></head>
<body><h1>The LTI launch could not be completed</h1>
<p>{{.Help}}</p>
<dl>
<dt>Check that failed</dt><dd><code>{{.Code}}</code>{{with .Claim}} on <code>{{.}}</code>{{end}}</dd>
{{with .Detail}}<dt>Details</dt><dd>{{.}}</dd>{{end}}
{{with .Issuer}}<dt>Issuer seen</dt><dd><code>{{.}}</code></dd>{{end}}
{{with .ClientID}}<dt>Client ID seen</dt><dd><code>{{.}}</code></dd>{{end}}
<dt>Tool clock</dt><dd>{{.Now}}</dd>
</dl>
<p>If this keeps happening, give these details to the administrator of the tool or the LMS.</p>
</body></html>`))

// defaultErrorFunc logs the refusal and writes a page that helps an
// administrator without echoing the token.
func defaultErrorFunc(log *slog.Logger, now func() time.Time) func(http.ResponseWriter, *http.Request, error) {
	return func(w http.ResponseWriter, r *http.Request, err error) {
		var e *Error
		if !errors.As(err, &e) {
			e = &Error{Code: CodeInvalidRequest, Err: err}
		}
		status := e.Status()
		log.LogAttrs(r.Context(), slog.LevelWarn, "ltikit: request refused",
			slog.String("code", string(e.Code)), slog.String("claim", e.Claim),
			slog.String("detail", e.Detail), slog.String("issuer", e.Issuer),
			slog.String("client_id", e.ClientID), slog.Any("cause", e.Err),
			slog.String("path", r.URL.Path))
		help := "The tool refused the request from the learning platform."
		switch status {
		case http.StatusUnauthorized:
			help = "The launch message from the learning platform did not pass the tool's security checks."
		case http.StatusForbidden:
			help = "The tool's registration with this learning platform does not allow this launch."
		case http.StatusBadGateway, http.StatusInternalServerError:
			help = "The tool could not complete the launch because of a temporary problem. Try again in a moment."
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("LTI-Error-Code", string(e.Code))
		w.WriteHeader(status)
		errorPage.Execute(w, map[string]any{
			"Help": help, "Code": e.Code, "Claim": e.Claim, "Detail": e.Detail,
			"Issuer": e.Issuer, "ClientID": e.ClientID, "Now": now().UTC().Format(time.RFC3339),
		})
	}
}
