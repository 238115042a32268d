package ltitest_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/ltikit/ltikit/testing/ltitest"
	"github.com/ltikit/ltikit/tool"
)

// launchClaims launches m at a fake tool and returns the id_token's claims
// the tool received.
func launchClaims(t *testing.T, p *ltitest.Platform, ft *fakeTool, m ltitest.Message) map[string]any {
	t.Helper()
	p.Launch(t, ft.URL+"/login", m)
	return decodePayload(t, ft.lastPost(t).form.Get("id_token"))
}

// A launch's AGS and NRPS claims point at the platform's real services: the
// link's own line item, made on its first launch, takes scores that land in
// the gradebook (AGS-CLAIM-01).
func TestAGS_launchClaim(t *testing.T) {
	t.Parallel()
	s := newServices(t)
	ft := newFakeTool(t, s.p)
	m := ltitest.Message{AGS: true, NRPS: true, UserID: "ann", Roles: tool.Roles{tool.RoleLearner},
		ResourceLink: &ltitest.ResourceLink{ID: "quiz-7", Title: "Quiz 7"}}
	c := launchClaims(t, s.p, ft, m)
	ags, _ := c[ltitest.ClaimAGSEndpoint].(map[string]any)
	lineItem, _ := ags["lineitem"].(string)
	if lineItem == "" || ags["lineitems"] != s.lineItems {
		t.Fatalf("AGS claim: got %v", ags)
	}
	li, ok := s.p.Gradebook().LineItemFor("quiz-7")
	if !ok || li.ID != lineItem || li.Label != "Quiz 7" || li.ScoreMaximum != 100 || li.ContextID != "context-1" {
		t.Fatalf("gradebook: got %+v %v, want the link's line item at %s", li, ok, lineItem)
	}
	r := s.call(t, http.MethodGet, lineItem, s.token, map[string]string{"Accept": mtLineItem}, "")
	if r.status != 200 || r.json(t)["resourceLinkId"] != "quiz-7" {
		t.Errorf("GET the claim's line item: got %d %s", r.status, r.body)
	}
	// The launching user is a member, so their score is accepted.
	if r := s.postScore(t, lineItem, score("ann", 8, time.Unix(1_800_000_000, 0))); r.status != 200 {
		t.Fatalf("score: got %d %s", r.status, r.body)
	}
	li, _ = s.p.Gradebook().LineItemFor("quiz-7")
	if g, ok := li.Scores["ann"].Grade(); !ok || g != 8 || len(li.Posts) != 1 {
		t.Errorf("gradebook: got %+v, want ann's 8", li.Scores)
	}
	nrps, _ := c[ltitest.ClaimNRPS].(map[string]any)
	r = s.call(t, http.MethodGet, nrps["context_memberships_url"].(string)+"?rlid=quiz-7", s.token, nil, "")
	if r.status != 200 || !contains(memberIDs(t, r), "ann") {
		t.Errorf("NRPS with rlid of the launched link: got %d %s", r.status, r.body)
	}

	// Launching again reuses the line item; once the link has two line
	// items, the claim names none (AGS-CLAIM-01).
	c = launchClaims(t, s.p, ft, m)
	if got := c[ltitest.ClaimAGSEndpoint].(map[string]any)["lineitem"]; got != lineItem {
		t.Errorf("second launch: got lineitem %v, want %s", got, lineItem)
	}
	s.create(t, `{"label":"Quiz 7 bonus","scoreMaximum":5,"resourceLinkId":"quiz-7"}`)
	c = launchClaims(t, s.p, ft, m)
	if got, ok := c[ltitest.ClaimAGSEndpoint].(map[string]any)["lineitem"]; ok {
		t.Errorf("launch with two line items: got lineitem %v, want none", got)
	}
}

// The snapshot shares no memory with the platform.
func TestGradebook_snapshot(t *testing.T) {
	t.Parallel()
	s := newServices(t)
	s.postScore(t, s.lineItem, score("user-1", 8, time.Unix(1_800_000_000, 0)))
	g := s.p.Gradebook()
	li := g.LineItems[0]
	*li.Scores["user-1"].ScoreGiven = 1
	li.Posts[0].Score.Raw[0] = 'X'
	li.Label = "changed"
	again := s.p.Gradebook().LineItems[0]
	if g, _ := again.Scores["user-1"].Grade(); g != 8 || again.Posts[0].Score.Raw[0] != '{' || again.Label == "changed" {
		t.Errorf("the platform's gradebook changed through a snapshot: %+v", again)
	}
	if _, ok := g.LineItemFor("nope"); ok {
		t.Error("LineItemFor an unknown link: got a line item")
	}
	if sp := again.Posts[0]; !sp.Accepted() || sp.Score.UserID != "user-1" || sp.Score.Comment != "well done" ||
		sp.Score.ActivityProgress != "Completed" || !sp.Time.Equal(s.clk.Now()) || sp.Score.Time.IsZero() {
		t.Errorf("post: got %+v", sp)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
