package sim

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/ltikit/ltikit/tool"
)

// classPage is what class.html shows: the class from the roster service,
// each learner with their result from the grade service.
type classPage struct {
	Scenario Scenario
	Rows     []classRow
	Problems []string // what could not be read, and why
	LabURL   string   // the lab, as a preview
	SelfURL  string   // this page, to read the results again
	Key      []aimHint
}

type classRow struct {
	Name, Email, UserID string
	Score, Comment      string // "" without a result
	When                time.Time
}

// aimHint is the answer key of one target: a speed that hits it at 45°.
type aimHint struct {
	Distance, Speed float64
	OK              bool
}

// class serves the instructor's page: the class list (NRPS, learners only)
// with each learner's latest result on this activity's line item (AGS
// results), read back from the LMS.
func (a *App) class(w http.ResponseWriter, r *http.Request) {
	l, _ := tool.LaunchFrom(r.Context())
	s, ok := a.scenarioOf(w, l)
	if !ok {
		return
	}
	p := classPage{Scenario: s, LabURL: l.Link("/app/lab"), SelfURL: l.Link("/app/class")}
	for _, d := range s.Targets {
		v, ok := s.Aim(45, d)
		p.Key = append(p.Key, aimHint{Distance: d, Speed: v, OK: ok})
	}
	results, err := a.results(r.Context(), l)
	if err != nil {
		p.Problems = append(p.Problems, "Results (Assignment and Grade Services): "+err.Error())
	}
	roster, err := a.tool.Roster(l)
	if err == nil {
		for m, merr := range roster.Members(r.Context(), tool.MembersQuery{Role: tool.RoleLearner}) {
			if merr != nil {
				err = merr
				break
			}
			row := classRow{Name: m.Name, Email: m.Email, UserID: m.UserID}
			if row.Name == "" {
				row.Name = m.UserID // the LMS shares no names with the tool
			}
			if res, ok := results[m.UserID]; ok && res.ResultScore != nil {
				row.Score = formatFloat(*res.ResultScore) + " / " + formatFloat(res.ResultMaximum)
				row.Comment, row.When = res.Comment, res.Timestamp
			}
			p.Rows = append(p.Rows, row)
		}
	}
	if err != nil {
		p.Problems = append(p.Problems, "Class list (Names and Role Provisioning Services): "+err.Error())
	}
	a.render(w, http.StatusOK, "class.html", p)
}

// results reads the results of the launch's line item, by learner: the
// AGS claim's line item, or the first one of the resource link.
func (a *App) results(ctx context.Context, l *tool.Launch) (map[string]tool.Result, error) {
	g, err := a.tool.Grades(l)
	if err != nil {
		return nil, err
	}
	item := l.AGS.LineItem
	if item == "" && l.ResourceLink != nil {
		items, err := g.LineItems(ctx, tool.LineItemsQuery{ResourceLinkID: l.ResourceLink.ID})
		if err != nil {
			return nil, err
		}
		if len(items) == 0 {
			return nil, errors.New("the activity has no gradebook column yet")
		}
		item = items[0].ID
	}
	rs, err := g.Results(ctx, item, tool.ResultsQuery{})
	if err != nil {
		return nil, err
	}
	out := make(map[string]tool.Result, len(rs))
	for _, r := range rs {
		out[r.UserID] = r
	}
	return out, nil
}
