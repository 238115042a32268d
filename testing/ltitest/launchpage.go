package ltitest

import (
	"html/template"
	"net/http"
	"slices"
	"strings"

	"github.com/ltikit/ltikit/tool"
)

// The demo course of the launch page.
const (
	demoContextID    = "physics-101"
	demoContextLabel = "PHYS101"
	demoContextTitle = "Physics 101"
	demoLinkID       = "pendulum-lab"
	demoLinkTitle    = "Pendulum lab"
	demoLinkDesc     = "Measure g with a pendulum and a stopwatch."
)

// demoUser is a member of the demo course, launchable from the launch page.
type demoUser struct {
	ID            string // sub and login_hint; the ?user= of /launch
	Given, Family string
	Email         string
	Role          string // for the page
	Roles         tool.Roles
}

func (u demoUser) Name() string { return u.Given + " " + u.Family }

// demoUsers are the members of the demo course, in the order shown.
var demoUsers = []demoUser{
	{ID: "ada", Given: "Ada", Family: "Learner", Email: "ada@example.edu", Role: "Learner",
		Roles: tool.Roles{tool.RoleLearner}},
	{ID: "ian", Given: "Ian", Family: "Instructor", Email: "ian@example.edu", Role: "Instructor",
		Roles: tool.Roles{tool.RoleInstructor}},
	{ID: "tara", Given: "Tara", Family: "Assistant", Email: "tara@example.edu", Role: "Teaching assistant",
		Roles: tool.Roles{tool.RoleInstructor, tool.RoleTeachingAssistant}},
}

func findDemoUser(id string) (demoUser, bool) {
	i := slices.IndexFunc(demoUsers, func(u demoUser) bool { return u.ID == id })
	if i < 0 {
		return demoUser{}, false
	}
	return demoUsers[i], true
}

// demoMessage is the launch of the demo activity by u: a resource-link
// launch in the demo course with the custom parameter level=2. The context
// type is the platform profile's (Moodle sends a bare name).
func (e *engine) demoMessage(u demoUser) Message {
	return Message{
		UserID:     u.ID,
		Name:       u.Name(),
		GivenName:  u.Given,
		FamilyName: u.Family,
		Email:      u.Email,
		Roles:      slices.Clone(u.Roles),
		Context: &Context{ID: demoContextID, Label: demoContextLabel, Title: demoContextTitle,
			Type: slices.Clone(e.quirks.context.Type)},
		ResourceLink: &ResourceLink{ID: demoLinkID, Title: demoLinkTitle, Description: demoLinkDesc},
		Custom:       map[string]any{"level": "2"},
	}
}

// setupProblem says what the platform lacks to launch its tool from the
// launch page, or "" when nothing.
func setupProblem(reg registration, ok bool) string {
	switch {
	case !ok:
		return "The platform has no tool registered."
	case reg.loginURL == "":
		return "The platform does not know the tool's login initiation URL: start it with ltitest.WithLoginURL, or call Platform.SetLoginURL."
	case checkLoginURL(reg.loginURL) != nil:
		return "The tool's login initiation URL " + reg.loginURL + " is not an absolute http(s) URL: fix it with Platform.SetLoginURL."
	case len(reg.redirectURIs) == 0:
		return "The platform has no redirect URI registered for the tool: start it with ltitest.WithRedirectURIs, or call Platform.SetRedirectURIs with the tool's launch URL."
	}
	return ""
}

// serveCoursePage serves GET /: the demo course with a Launch button for
// each member, which opens the tool in the page's iframe as an LMS does;
// or the development LMS's course (devui_page.go).
func (e *engine) serveCoursePage(w http.ResponseWriter, r *http.Request) {
	if e.dev != nil {
		e.dev.serveCourse(w, r)
		return
	}
	reg, ok := e.registration(e.quirks.clientID)
	data := struct {
		Issuer, ClientID, DeploymentID, LoginURL, RedirectURIs string
		Title, Label, Activity, ActivityDesc, Exam, ExamDesc   string
		Users                                                  []demoUser
		Problem                                                string
	}{
		Issuer: e.issuer, ClientID: reg.clientID, DeploymentID: reg.deploymentID,
		LoginURL: reg.loginURL, RedirectURIs: strings.Join(reg.redirectURIs, " "),
		Title: demoContextTitle, Label: demoContextLabel, Activity: demoLinkTitle, ActivityDesc: demoLinkDesc,
		Exam: demoExamTitle, ExamDesc: demoExamDesc,
		Users: demoUsers, Problem: setupProblem(reg, ok),
	}
	writePage(w, http.StatusOK, coursePage, data)
}

// serveLaunchPage serves GET /launch?user=ID, the page the Launch buttons
// open in the iframe: it starts a launch of the demo activity by the user
// (registering the message for the auth endpoint, as Platform.Launch does)
// and answers with the auto-submitting login initiation form that posts
// iss, login_hint, target_link_uri, lti_message_hint, client_id and
// lti_deployment_id to the tool's login URL, as Moodle does.
func (e *engine) serveLaunchPage(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("user")
	if id == "" {
		writeProblem(w, http.StatusBadRequest, "No user to launch as", "Add ?user= with one of the users of the course.")
		return
	}
	u, ok := findDemoUser(id)
	if !ok {
		writeProblem(w, http.StatusNotFound, "Unknown user", "The course has no user "+quoteID(id)+".")
		return
	}
	e.startDemoLaunch(w, e.demoMessage(u))
}

// startDemoLaunch starts the launch of m by the tool registered for the
// quirks' client_id (registering m for the auth endpoint, as
// Platform.Launch does) and writes the auto-submitting login initiation
// form, or a problem page when the platform cannot launch the tool.
func (e *engine) startDemoLaunch(w http.ResponseWriter, m Message) {
	reg, ok := e.registration(e.quirks.clientID)
	if p := setupProblem(reg, ok); p != "" {
		writeProblem(w, http.StatusInternalServerError, "The platform cannot launch the tool yet", p)
		return
	}
	pl, params, err := e.beginLogin(reg.clientID, m)
	if err != nil {
		writeProblem(w, http.StatusInternalServerError, "The platform cannot launch the tool", err.Error())
		return
	}
	e.writeLoginForm(w, reg.loginURL, pl, params)
}

// quoteID quotes a user id for an error page, cut short.
func quoteID(id string) string {
	if len(id) > 40 {
		id = id[:40] + "…"
	}
	return `"` + id + `"`
}

func writePage(w http.ResponseWriter, status int, t *template.Template, data any) {
	var b strings.Builder
	if err := t.Execute(&b, data); err != nil {
		http.Error(w, "ltitest: "+err.Error(), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(b.String()))
}

// writeProblem writes the launch page's error page.
func writeProblem(w http.ResponseWriter, status int, title, detail string) {
	writePage(w, status, problemPage, struct{ Title, Detail string }{title, detail})
}

// pageStyle is the launch page's CSS: small, no external assets.
const pageStyle = `
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1f2933;background:#f3f5f7}
header{background:#1f3a56;color:#fff;padding:.7rem 1.5rem;display:flex;gap:1rem;align-items:baseline}
header small{opacity:.75}
main{display:grid;grid-template-columns:minmax(16rem,22rem) 1fr;gap:1.25rem;padding:1.25rem 1.5rem}
section{background:#fff;border:1px solid #d8dee4;border-radius:8px;padding:1rem 1.25rem}
h1{font-size:1.35rem;margin:0 0 .2rem}
h2{font-size:1rem;margin:1.2rem 0 .4rem}
.muted{color:#607080}
table{border-collapse:collapse;width:100%}
td{padding:.45rem 0;border-top:1px solid #edf0f3;vertical-align:middle}
td:last-child{text-align:right}
button{font:inherit;padding:.3rem .9rem;border:0;border-radius:5px;background:#2f6fb0;color:#fff;cursor:pointer}
button:hover{background:#245a91}
button:disabled{background:#a9b4bf;cursor:not-allowed}
.problem{background:#fff4e0;border:1px solid #f0b44c;border-radius:6px;padding:.6rem .8rem}
dl{display:grid;grid-template-columns:auto 1fr;gap:.15rem .75rem;font-size:.85rem;margin:0}
dt{color:#607080}dd{margin:0;word-break:break-all}
iframe{display:block;width:100%;height:calc(100vh - 7rem);min-height:28rem;border:1px solid #d8dee4;border-radius:8px;background:#fff}
@media (max-width:50rem){main{grid-template-columns:1fr}}
`

var coursePage = template.Must(template.New("course").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} · ltitest platform</title>
<style>` + pageStyle + `</style>
</head>
<body>
<header><strong>ltitest platform</strong><small>a fake LMS for development, not for production</small></header>
<main>
<section>
<h1>{{.Title}}</h1>
<div class="muted">{{.Label}}</div>
<h2>{{.Activity}}</h2>
<p class="muted">{{.ActivityDesc}}</p>
<h2>{{.Exam}}</h2>
<p class="muted">{{.ExamDesc}} Learners start it with <em>Start proctored attempt</em>.</p>
{{if .Problem}}<p class="problem">{{.Problem}}</p>{{end}}
<h2>Participants</h2>
<table>
{{range .Users}}<tr>
<td><strong>{{.Name}}</strong><br><span class="muted">{{.Role}}</span></td>
<td><form action="/launch" method="get" target="tool"><input type="hidden" name="user" value="{{.ID}}"><button type="submit"{{if $.Problem}} disabled{{end}}>Launch</button></form>
{{if .Roles.IsLearner}}<form action="/proctoring/launch" method="get" target="tool"><input type="hidden" name="user" value="{{.ID}}"><button type="submit" id="proctored-attempt-{{.ID}}"{{if $.Problem}} disabled{{end}}>Start proctored attempt</button></form>{{end}}</td>
</tr>
{{end}}</table>
<h2>Tool registration</h2>
<dl>
<dt>Issuer</dt><dd>{{.Issuer}}</dd>
<dt>Client ID</dt><dd>{{.ClientID}}</dd>
<dt>Deployment ID</dt><dd>{{.DeploymentID}}</dd>
<dt>Auth URL</dt><dd>{{.Issuer}}/auth</dd>
<dt>Keyset URL</dt><dd>{{.Issuer}}/jwks</dd>
<dt>Login URL</dt><dd>{{or .LoginURL "not set"}}</dd>
<dt>Redirect URIs</dt><dd>{{or .RedirectURIs "not set"}}</dd>
</dl>
</section>
<iframe name="tool" title="{{.Activity}}" allow="camera *; microphone *; fullscreen *" allowfullscreen srcdoc="&lt;p style=&quot;font:15px system-ui,sans-serif;color:#607080;padding:1rem&quot;&gt;Click Launch to open the tool here, as an LMS does.&lt;/p&gt;"></iframe>
</main>
</body>
</html>
`))

var problemPage = template.Must(template.New("problem").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{{.Title}} · ltitest platform</title>
<style>` + pageStyle + `</style>
</head>
<body>
<main style="display:block;max-width:44rem">
<section>
<h1>{{.Title}}</h1>
<p class="problem">{{.Detail}}</p>
<p><a href="/" target="_top">Back to the course</a></p>
</section>
</main>
</body>
</html>
`))
