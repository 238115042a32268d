package ltitest

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The development LMS's page data: what the templates in devui/ show.

// devPage is the course page.
type devPage struct {
	Tool         string
	Course       Context
	Problem      string // why the tool cannot be launched yet; "" when it can
	Users        []devUserView
	Registration []keyValue
	Quirks       []devQuirkView
	devPanels
}

// devPanels are the parts of the page that change as the tool works; the
// page's script fetches them again (GET /dev/panels).
type devPanels struct {
	Activities []devActivityView
	Gradebook  devGradebook
	Roster     devRoster
	Proctoring devProctoring
	Log        []devLogItem
}

type devUserView struct {
	ID, Name, Role string
	CanEdit        bool
	Candidate      bool // takes the proctored assessment (WithDevProctoring)
}

type devActivityView struct {
	ID, Title, Text, AddedBy string
	Custom                   []keyValue
	LineItem                 string // "Grade out of 100", or ""
	First                    bool
}

type devQuirkView struct {
	Field, Label, Help string
	On                 bool
}

type keyValue struct{ Key, Value string }

// devGradebook is the course's gradebook: a column per line item, a row
// per learner (and anyone else with a score), and every score post.
type devGradebook struct {
	Columns []string
	Rows    []devGradeRow
	Posts   []devScorePost
}

type devGradeRow struct {
	Name  string
	Cells []devGradeCell
}

type devGradeCell struct {
	Grade    string // "83 / 100", "–" without a grade
	Progress string // "Completed · FullyGraded"
	Time     string // the score's timestamp, as the platform's clock shows it
	Scored   bool
}

type devScorePost struct {
	Time, User, Item, Score, Progress, Timestamp string
	Status                                       int
	OK                                           bool
	Reason                                       string
	at                                           time.Time
}

// devRoster is the course's roster as the memberships service serves it.
type devRoster struct {
	URL      string
	Short    bool // the roles are listed by their short names, as Moodle does
	Members  []devMemberView
	Requests int    // NRPS requests so far
	Last     string // the last request's answer, such as "200 OK at 10:04:05"
}

type devMemberView struct {
	Name, UserID, Email, Status string
	Roles                       []devRoleView
}

// devRoleView is a role as the memberships list it (URI) and by its name,
// as the page shows it (Text).
type devRoleView struct{ Text, URI string }

// page builds the course page's data.
func (d *devLMS) page() devPage {
	e := d.e
	reg, ok := e.registration(e.quirks.clientID)
	quirks := d.currentQuirks()
	p := devPage{Tool: d.toolName, Course: d.course, Problem: setupProblem(reg, ok), devPanels: d.panels()}
	for _, u := range d.users {
		p.Users = append(p.Users, devUserView{ID: u.ID, Name: u.Name(), Role: u.Role, CanEdit: canEdit(u), Candidate: d.exam && u.Roles.IsLearner()})
	}
	for _, s := range devQuirkSwitches {
		p.Quirks = append(p.Quirks, devQuirkView{Field: s.Field, Label: s.Label, Help: s.Help, On: *s.get(&quirks)})
	}
	p.Registration = []keyValue{
		{"Issuer (platform ID)", e.issuer},
		{"Client ID", reg.clientID},
		{"Deployment ID", reg.deploymentID},
		{"Authentication URL", e.issuer + "/auth"},
		{"Access token URL", e.issuer + "/token"},
		{"Public keyset URL", e.issuer + "/jwks"},
		{"Tool login URL", orNotSet(reg.loginURL)},
		{"Tool redirect URIs", orNotSet(strings.Join(reg.redirectURIs, " "))},
		{"Tool keyset URL", orNotSet(reg.jwksURL)},
	}
	return p
}

func orNotSet(s string) string {
	if s == "" {
		return "not set"
	}
	return s
}

// panels builds the live parts of the page.
func (d *devLMS) panels() devPanels {
	activities := d.activityList()
	gb := d.e.gradebook.snapshot(d.e)
	var p devPanels
	for i, a := range activities {
		v := devActivityView{ID: a.Link.ID, Title: a.Link.Title, Text: a.Link.Description, AddedBy: a.AddedBy, First: i == 0}
		for _, k := range sortedKeys(a.Custom) {
			v.Custom = append(v.Custom, keyValue{k, a.Custom[k]})
		}
		if li, ok := gb.LineItemFor(a.Link.ID); ok && li.ContextID == d.course.ID {
			v.LineItem = "graded out of " + formatNumber(li.ScoreMaximum)
		}
		p.Activities = append(p.Activities, v)
	}
	co, _ := d.e.courses.get(d.course.ID)
	p.Gradebook = d.gradebook(gb, co.members)
	p.Roster = d.roster(co.members)
	p.Proctoring = d.proctoring()
	p.Log = d.log()
	return p
}

// gradebook builds the gradebook panel from the course's line items.
func (d *devLMS) gradebook(gb Gradebook, members []Member) devGradebook {
	items := slices.DeleteFunc(slices.Clone(gb.LineItems), func(li LineItem) bool { return li.ContextID != d.course.ID })
	var out devGradebook
	names := make(map[string]string, len(members))
	var users []string
	for _, m := range members {
		names[m.UserID] = m.Name
		if m.Roles.IsLearner() {
			users = append(users, m.UserID)
		}
	}
	for _, li := range items {
		out.Columns = append(out.Columns, li.Label)
		for u := range li.Scores {
			if !slices.Contains(users, u) {
				users = append(users, u)
			}
		}
		for _, p := range li.Posts {
			s := p.Score
			post := devScorePost{Time: clockTime(p.Time), User: nameOr(names, s.UserID), Item: li.Label,
				Score: scoreText(s), Progress: progressText(s), Timestamp: s.Timestamp,
				Status: p.Status, OK: p.Accepted(), Reason: p.Reason, at: p.Time}
			if p.Rule != "" {
				post.Reason = p.Rule + ": " + p.Reason
			}
			out.Posts = append(out.Posts, post)
		}
	}
	slices.SortStableFunc(out.Posts, func(a, b devScorePost) int { return b.at.Compare(a.at) })
	for _, u := range users {
		row := devGradeRow{Name: nameOr(names, u)}
		for _, li := range items {
			s, ok := li.Scores[u]
			c := devGradeCell{Grade: "–"}
			if ok {
				c = devGradeCell{Grade: scoreText(s), Progress: progressText(s), Time: clockTime(s.Time), Scored: true}
			}
			row.Cells = append(row.Cells, c)
		}
		out.Rows = append(out.Rows, row)
	}
	return out
}

// roster builds the roster panel: the members as the memberships service
// lists them, with the NRPS requests made so far.
func (d *devLMS) roster(members []Member) devRoster {
	short := d.shortRoles()
	r := devRoster{URL: d.e.issuer + "/nrps/" + d.course.ID + "/memberships", Short: short}
	for _, m := range members {
		mv := devMemberView{Name: m.Name, UserID: m.UserID, Email: m.Email, Status: m.Status}
		if mv.Status == "" {
			mv.Status = "Active"
		}
		for _, role := range m.Roles {
			served := string(role)
			if short {
				served = strings.TrimPrefix(served, membershipRolePrefix)
			}
			_, name, _ := strings.Cut(served, "#")
			mv.Roles = append(mv.Roles, devRoleView{Text: cmp.Or(name, served), URI: served})
		}
		r.Members = append(r.Members, mv)
	}
	for _, c := range d.e.calls.all() {
		if c.Endpoint == EndpointMemberships {
			r.Requests++
			r.Last = strconv.Itoa(c.Status) + " at " + clockTime(c.Time)
		}
	}
	return r
}

// scoreText is "scoreGiven / scoreMaximum" as posted, or "–".
func scoreText(s Score) string {
	switch {
	case s.ScoreGiven != nil && s.ScoreMaximum != nil:
		return formatNumber(*s.ScoreGiven) + " / " + formatNumber(*s.ScoreMaximum)
	case s.ScoreGiven != nil:
		return formatNumber(*s.ScoreGiven)
	}
	return "–"
}

func progressText(s Score) string { return s.ActivityProgress + " · " + s.GradingProgress }

func formatNumber(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// clockTime is t as the page shows times: hours to milliseconds, local.
func clockTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Local().Format("15:04:05.000")
}

func nameOr(names map[string]string, id string) string {
	if n := names[id]; n != "" {
		return n
	}
	return id
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
