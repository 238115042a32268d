package tool_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ltikit/ltikit/jwks"
	"github.com/ltikit/ltikit/middleware"
	"github.com/ltikit/ltikit/testing/ltitest"
	"github.com/ltikit/ltikit/tool"
)

// End to end against the fake platform: a real launch, then grades and the
// roster through its strict token endpoint, gradebook and memberships
// service.

// launchWithServices runs a launch with AGS and NRPS and returns the tool
// and the verified launch its handler saw.
func launchWithServices(t *testing.T, p *ltitest.Platform, m ltitest.Message) (*tool.Tool, *tool.Launch) {
	t.Helper()
	key, err := jwks.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	ring, _ := jwks.NewKeyRing(key)
	regs, err := tool.NewMemoryPlatforms(p.Registration())
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var seen *tool.Launch
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	tl, err := tool.New(tool.Config{Platforms: regs, Keys: ring, BaseURL: srv.URL, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tl.Close() })
	mux.Handle("/lti/login", tl.LoginHandler())
	mux.Handle("/jwks", tl.JWKSHandler())
	mux.Handle("/lti/launch", middleware.Launch(tl)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l, _ := tool.LaunchFrom(r.Context())
		mu.Lock()
		seen = l
		mu.Unlock()
	})))
	p.SetRedirectURIs(srv.URL + "/lti/launch")
	p.SetToolJWKSURL(srv.URL + "/jwks")
	m.AGS, m.NRPS = true, true
	res := p.Launch(t, srv.URL+"/lti/login", m)
	res.Body.Close()
	mu.Lock()
	defer mu.Unlock()
	if seen == nil {
		t.Fatalf("launch failed: %s; violations %v", res.Status, p.Violations())
	}
	return tl, seen
}

func TestLtitest_GradesAndRosterEndToEnd(t *testing.T) {
	for _, moodle := range []bool{false, true} {
		t.Run(fmt.Sprint("moodle=", moodle), func(t *testing.T) {
			var opts []ltitest.Option
			if moodle {
				opts = append(opts, ltitest.Moodle())
			}
			p := ltitest.NewPlatform(t, opts...)
			tl, l := launchWithServices(t, p, ltitest.Message{})
			ctx := context.Background()

			if err := tl.PostGrade(ctx, l, tool.Grade{ScoreGiven: 7, ScoreMaximum: 10, Comment: "ok"}); err != nil {
				t.Fatal(err)
			}
			if err := tl.PostGrade(ctx, l, tool.Grade{ScoreGiven: 3, ScoreMaximum: 4, Tag: "bonus", Timestamp: time.Now().Add(time.Second)}); err != nil {
				t.Fatal(err)
			}
			gb := p.Gradebook()
			li, ok := gb.LineItemFor(l.ResourceLink.ID)
			if !ok {
				t.Fatalf("no line item for the link in %+v", gb)
			}
			if got, ok := li.Scores[l.Subject].Grade(); !ok || got != 7 {
				t.Errorf("gradebook grade %v (%v), want 7/10 -> %v", got, ok, li.Scores[l.Subject])
			}
			var bonus bool
			for _, item := range gb.LineItems {
				if item.Tag == "bonus" && item.ResourceLinkID == l.ResourceLink.ID && len(item.Scores) == 1 {
					bonus = true
				}
			}
			if !bonus {
				t.Errorf("no bonus line item with the score in %+v", gb.LineItems)
			}

			roster, err := tl.Roster(l)
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for m, err := range roster.Members(ctx, tool.MembersQuery{Limit: 1}) {
				if err != nil {
					t.Fatal(err)
				}
				if m.UserID == l.Subject && m.Roles.IsLearner() && m.Status == tool.MemberActive {
					found = true
				}
			}
			if !found {
				t.Errorf("the learner %s is not on the roster", l.Subject)
			}

			// Tokens revoked: every call fetches a new one once and succeeds.
			p.RevokeTokens()
			if _, err := tl.Roster(l); err != nil {
				t.Fatal(err)
			}
			for _, err := range roster.Members(ctx, tool.MembersQuery{}) {
				if err != nil {
					t.Fatalf("after revocation: %v", err)
				}
			}
			reqs := p.TokenRequests()
			for _, r := range reqs {
				if r.Rule != "" || r.Status != http.StatusOK {
					t.Errorf("token request broke %s: %s", r.Rule, r.Reason)
				}
			}
			// One AGS token, one NRPS token, one NRPS token after revocation.
			if len(reqs) != 3 {
				t.Errorf("%d token requests, want 3", len(reqs))
			}
		})
	}
}

func TestLtitest_FaultsAreTyped(t *testing.T) {
	p := ltitest.NewPlatform(t)
	tl, l := launchWithServices(t, p, ltitest.Message{})
	grades, err := tl.Grades(l)
	if err != nil {
		t.Fatal(err)
	}
	score := tool.Score{UserID: l.Subject, ScoreGiven: 1, ScoreMaximum: 2,
		ActivityProgress: tool.ActivityCompleted, GradingProgress: tool.GradingFullyGraded}
	tests := []struct {
		fault     ltitest.Fault
		temporary bool
		retry     time.Duration
	}{
		{ltitest.Fault{Endpoint: ltitest.EndpointScores, Status: 429, RetryAfter: 2 * time.Second, Times: 1}, true, 2 * time.Second},
		{ltitest.Fault{Endpoint: ltitest.EndpointScores, Status: 503, Times: 1}, true, 0},
		{ltitest.Fault{Endpoint: ltitest.EndpointScores, Drop: true, Times: 1}, true, 0},
		{ltitest.Fault{Endpoint: ltitest.EndpointScores, Status: 403, Times: 1}, false, 0},
	}
	for i, tt := range tests {
		t.Run(fmt.Sprint(tt.fault.Status, tt.fault.Drop), func(t *testing.T) {
			p.InjectFault(tt.fault)
			score.Timestamp = time.Now().Add(time.Duration(i) * time.Second)
			err := grades.PostScore(context.Background(), l.AGS.LineItem, score)
			var se *tool.ServiceError
			if !errors.As(err, &se) || se.Temporary() != tt.temporary || se.RetryAfter != tt.retry {
				t.Fatalf("err %v (%+v), want temporary=%v retry=%v", err, se, tt.temporary, tt.retry)
			}
		})
	}
}

// NRPS-05, NRPS-07: a role filter read in pages returns each member once,
// also from Moodle, whose next links drop the role while their offsets
// count the filtered list; the default page size applies without Limit.
func TestLtitest_NRPS_07_RoleFilterAcrossPages(t *testing.T) {
	roster := []ltitest.Member{
		{UserID: "t1", Roles: tool.Roles{tool.RoleInstructor}},
		{UserID: "t2", Roles: tool.Roles{tool.RoleInstructor}},
		{UserID: "l1", Roles: tool.Roles{tool.RoleLearner}},
		{UserID: "l2", Roles: tool.Roles{tool.RoleLearner}},
		{UserID: "l3", Roles: tool.Roles{tool.RoleLearner}},
	}
	tests := []struct {
		name  string
		query tool.MembersQuery
		want  string
	}{
		{"learners, 2 per page", tool.MembersQuery{Role: tool.RoleLearner, Limit: 2}, "l1 l2 l3"},
		{"learners by short name, 1 per page", tool.MembersQuery{Role: "Learner", Limit: 1}, "l1 l2 l3"},
		{"instructors, 1 per page", tool.MembersQuery{Role: tool.RoleInstructor, Limit: 1}, "t1 t2"},
		{"mentors: nobody", tool.MembersQuery{Role: tool.RoleMentor, Limit: 2}, ""},
		{"everyone, default page size", tool.MembersQuery{}, "t1 t2 l1 l2 l3"},
	}
	for _, moodle := range []bool{false, true} {
		var opts []ltitest.Option
		if moodle {
			opts = append(opts, ltitest.Moodle())
		}
		p := ltitest.NewPlatform(t, opts...)
		tl, l := launchWithServices(t, p, ltitest.Message{})
		p.SetRoster(roster...)
		r, err := tl.Roster(l)
		if err != nil {
			t.Fatal(err)
		}
		for _, tt := range tests {
			t.Run(fmt.Sprintf("moodle=%v/%s", moodle, tt.name), func(t *testing.T) {
				var got []string
				for m, err := range r.Members(context.Background(), tt.query) {
					if err != nil {
						t.Fatal(err)
					}
					got = append(got, m.UserID)
				}
				if s := strings.Join(got, " "); s != tt.want {
					t.Errorf("members %q, want %q", s, tt.want)
				}
			})
		}
	}
}
