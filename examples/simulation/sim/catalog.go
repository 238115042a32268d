package sim

import (
	"net/http"
	"slices"

	"github.com/ltikit/ltikit/tool"
)

// lineItemTag marks the lab's gradebook columns (the line items' tag).
const lineItemTag = "projectile-lab"

// catalogPage is what catalog.html shows.
type catalogPage struct {
	Scenarios []Scenario
	Multiple  bool // the LMS takes several activities at once
	Action    string
}

// catalog serves the deep-linking page: the instructor picks the scenarios
// to add to the course.
func (a *App) catalog(w http.ResponseWriter, r *http.Request) {
	l, _ := tool.LaunchFrom(r.Context())
	a.render(w, http.StatusOK, "catalog.html", catalogPage{Scenarios: Catalog(),
		Multiple: l.DeepLinking != nil && l.DeepLinking.AcceptMultiple, Action: l.Link("/app/deeplink")})
}

// deepLink answers the deep-linking request with the scenarios picked: an
// ltiResourceLink each, whose custom parameters carry the scenario and
// whose line item is its gradebook column. The answer goes back to the LMS
// through the browser, signed; picking none tells the LMS nothing was
// chosen.
func (a *App) deepLink(w http.ResponseWriter, r *http.Request) {
	l, _ := tool.LaunchFrom(r.Context())
	if err := r.ParseForm(); err != nil {
		a.problem(w, http.StatusBadRequest, "The form could not be read", err.Error())
		return
	}
	resp := a.tool.DeepLinkResponse(l)
	var titles []string
	for _, s := range Catalog() {
		if !slices.Contains(r.PostForm["scenario"], s.ID) {
			continue
		}
		resp.Add(tool.ResourceLinkItem{
			Title: s.Title, Text: s.Text, Custom: s.Custom(),
			LineItem: &tool.LineItem{Label: s.Title, ScoreMaximum: scoreMaximum, ResourceID: s.ID, Tag: lineItemTag},
		})
		titles = append(titles, s.Title)
	}
	if len(titles) > 0 {
		resp.Message(joinTitles(titles) + " added")
	}
	if err := resp.Write(r.Context(), w); err != nil {
		a.tool.ServeError(w, r, err) // a *tool.DeepLinkError names the setting an item breaks
	}
}

// joinTitles is "A", "A and B", "A, B and C".
func joinTitles(ts []string) string {
	switch len(ts) {
	case 0:
		return ""
	case 1:
		return ts[0]
	}
	s := ts[0]
	for _, t := range ts[1 : len(ts)-1] {
		s += ", " + t
	}
	return s + " and " + ts[len(ts)-1]
}
