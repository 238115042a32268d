package ltitest_test

import (
	"context"
	"encoding/json"
	"html"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ltikit/ltikit/testing/ltitest"
	"github.com/ltikit/ltikit/tool"
)

// The assessment page follows the attempt's status, which the proctoring
// tool changes through the Assessment Control Service: the page polls the
// status URL it names, which answers the status, the extra time and why the
// Finish button is disabled, to the candidate's browser only.
func TestProctoring_assessmentPageFollowsStatus(t *testing.T) {
	p := ltitest.NewPlatform(t)
	pt := newProctorTool(t, p)
	b := p.NewBrowser(t)
	s, page := b.StartProctoring(pt.URL+"/lti/login", ltitest.Message{}, submitPrecheck(t))
	if !s.Accepted() {
		t.Fatal(s.Violations)
	}
	body := bodyOf(t, page)
	m := regexp.MustCompile(`data-state-url="([^"]+)"`).FindStringSubmatch(body)
	if m == nil || !strings.Contains(body, `<script>`) || strings.Contains(body, `id="finish-attempt" disabled`) {
		t.Fatalf("the assessment page of a running attempt names no status URL to poll, or disables Finish:\n%s", body)
	}
	stateURL := p.URL + html.UnescapeString(m[1])
	type state struct {
		Status    string `json:"status"`
		ExtraTime int    `json:"extra_time"`
		Note      string `json:"note"`
	}
	get := func(c *http.Client, u string) (int, state) {
		t.Helper()
		resp, err := c.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var st state
		if resp.StatusCode == http.StatusOK {
			if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
				t.Fatal(err)
			}
		}
		return resp.StatusCode, st
	}

	acs, err := pt.Tool.AssessmentControl(pt.lastLaunch(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range []struct {
		action tool.ControlAction // "" for none
		extra  time.Duration
		want   state // Note: a part of it
	}{
		{"", 0, state{"running", 0, ""}},
		{tool.ControlPause, 0, state{"paused", 0, "paused"}},
		{tool.ControlResume, 0, state{"running", 0, ""}},
		{tool.ControlUpdate, 10 * time.Minute, state{"running", 10, ""}},
		{tool.ControlTerminate, 0, state{"terminated", 10, "terminated this attempt: it can no longer be submitted"}},
	} {
		if step.action != "" {
			if _, err := acs.Send(context.Background(), tool.ControlRequest{Action: step.action, ExtraTime: step.extra}); err != nil {
				t.Fatalf("%s: %v", step.action, err)
			}
		}
		code, got := get(b.Client(), stateURL)
		if code != http.StatusOK || got.Status != step.want.Status || got.ExtraTime != step.want.ExtraTime ||
			(got.Note == "") != (step.want.Note == "") || !strings.Contains(got.Note, step.want.Note) {
			t.Errorf("after %q: %d %+v, want %+v", step.action, code, got, step.want)
		}
	}
	if code, _ := get(p.NewBrowser(t).Client(), stateURL); code != http.StatusForbidden {
		t.Errorf("another browser: %d, want 403", code)
	}
	if code, _ := get(b.Client(), p.URL+"/proctoring/attempt?attempt=nope"); code != http.StatusNotFound {
		t.Errorf("an unknown attempt: %d, want 404", code)
	}
}
