package ltitest

import (
	"strings"
	"testing"
)

// The assessment page, as the platform renders it in each status of the
// attempt: Finish is enabled only while it runs, and a note says why not.
func TestAssessmentPage_status(t *testing.T) {
	for _, tc := range []struct {
		status   string
		disabled bool
		note     string
	}{
		{attemptRunning, false, ""},
		{attemptPaused, true, "The proctor paused this attempt"},
		{attemptTerminated, true, "The proctoring tool terminated this attempt"},
		{attemptComplete, true, "This attempt was submitted"},
	} {
		a := &attempt{id: "A1", number: 1, status: tc.status, extraTime: 5,
			msg: Message{UserID: "ada", ResourceLink: &ResourceLink{ID: demoExamID, Title: demoExamTitle}}}
		var b strings.Builder
		if err := assessmentPage.Execute(&b, a.view()); err != nil {
			t.Fatal(err)
		}
		page := b.String()
		for _, c := range []struct {
			text string
			in   bool
		}{
			{`<span id="attempt-status">` + tc.status + `</span>`, true},
			{`data-state-url="/proctoring/attempt?attempt=A1"`, true},
			{`<span id="attempt-extra-time"> · 5 extra minutes</span>`, true},
			{`id="finish-attempt" disabled`, tc.disabled},
			{`<p id="attempt-note" class="problem" hidden></p>`, tc.note == ""},
			{`<p id="attempt-note" class="problem">` + tc.note, tc.note != ""},
		} {
			if strings.Contains(page, c.text) != c.in {
				t.Errorf("%s: the page has %q: %v, want %v", tc.status, c.text, !c.in, c.in)
			}
		}
	}
}
