package tool

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestInspect(t *testing.T) {
	srv := moodleJWKS(t)
	m := loadMoodleToken(t, "id_token_student_resource_link_launch.json")
	flip := func(s string) string {
		b := []byte(s)
		b[len(b)-5] ^= 1
		return string(b)
	}
	tests := []struct {
		name   string
		skew   time.Duration
		token  string
		failed map[string]Code // check name → code; every other check passes
	}{
		{"real Moodle token", 5 * time.Second, m.Raw, nil},
		{"expired, everything else fine", time.Hour, m.Raw, map[string]Code{"exp, iat, nbf": CodeTokenExpired}},
		{"bad signature still reports the claims", 5 * time.Second, flip(m.Raw), map[string]Code{"signature": CodeBadSignature}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tl := moodleTool(t, m, srv.URL, tt.skew)
			in, err := tl.Inspect(t.Context(), tt.token)
			if err != nil {
				t.Fatal(err)
			}
			if in.Platform == nil || in.Claims["sub"] != "4" || in.Header["kid"] == nil {
				t.Fatalf("inspection = %+v", in)
			}
			names := map[string]bool{}
			for _, c := range in.Checks {
				names[c.Name] = true
				want, shouldFail := tt.failed[c.Name]
				switch {
				case shouldFail && !errors.Is(c.Err, &Error{Code: want}):
					t.Errorf("check %s: %v, want %s", c.Name, c.Err, want)
				case !shouldFail && c.Err != nil:
					t.Errorf("check %s failed: %v", c.Name, c.Err)
				}
			}
			for _, n := range []string{"header", "registration", "signature", "state", "aud", "nonce", "deployment_id", "message_type", "required claims"} {
				if !names[n] {
					t.Errorf("no %q check in %v", n, in.Checks)
				}
			}
			if in.OK() != (len(tt.failed) == 0) {
				t.Errorf("OK() = %v", in.OK())
			}
		})
	}
}

func TestInspect_Refusals(t *testing.T) {
	srv := moodleJWKS(t)
	m := loadMoodleToken(t, "id_token_student_resource_link_launch.json")
	tl := moodleTool(t, m, srv.URL, 5*time.Second)
	for _, bad := range []string{"", "abc", "a.b", "a.b.c.d", "!!.!!.!!", "e30.bm90anNvbg.x"} {
		if _, err := tl.Inspect(t.Context(), bad); !errors.Is(err, ErrMalformedToken) {
			t.Errorf("Inspect(%q) = %v, want malformed_token", bad, err)
		}
	}
	// A token from an unregistered client is reported, not refused.
	other := newHarness(t, nil)
	in, err := tl.Inspect(t.Context(), other.sign(other.claims("n")))
	if err != nil {
		t.Fatal(err)
	}
	if in.OK() || in.Platform != nil || !strings.Contains(in.Checks[len(in.Checks)-1].Name, "registration") {
		t.Errorf("unregistered token: %+v", in.Checks)
	}
}

// TestInspect_ToolMessage inspects deep-linking responses the tool signed:
// found by (aud, iss), verified with the tool's own keys, and checked as a
// platform does, message_type and content_items included.
func TestInspect_ToolMessage(t *testing.T) {
	h := newHarness(t, nil)
	const ci = "https://purl.imsglobal.org/spec/lti-dl/claim/content_items"
	response := func() map[string]any {
		iat := h.now.Add(-time.Second).Unix()
		return map[string]any{
			"iss": testClientID, "aud": testIssuer, "iat": iat, "exp": iat + 300, "nonce": "n-1",
			"https://purl.imsglobal.org/spec/lti/claim/deployment_id": "dep-1",
			"https://purl.imsglobal.org/spec/lti/claim/message_type":  "LtiDeepLinkingResponse",
			"https://purl.imsglobal.org/spec/lti/claim/version":       "1.3.0",
			ci: []any{map[string]any{"type": "ltiResourceLink", "url": testBaseURL + "/lti/launch"}},
		}
	}
	byTool := func(c map[string]any) string {
		b, _ := json.Marshal(c)
		tok, err := h.tool.cfg.Keys.Sign(b)
		if err != nil {
			t.Fatal(err)
		}
		return string(tok)
	}
	tests := []struct {
		name   string
		mutate func(c map[string]any)
		sign   func(c map[string]any) string
		failed map[string]Code // check name → code; every other check passes
	}{
		{"the tool's response", nil, byTool, nil},
		{"nothing selected", func(c map[string]any) { delete(c, ci) }, byTool, nil},
		{"signed by another key", nil, h.sign, map[string]Code{"signature": CodeUnknownKID}},
		{"another tool message type", func(c map[string]any) {
			c["https://purl.imsglobal.org/spec/lti/claim/message_type"] = "LtiStartAssessment"
		}, byTool, map[string]Code{"message_type": CodeWrongMessageType}},
		{"content_items not an array", func(c map[string]any) { c[ci] = map[string]any{"type": "link"} }, byTool,
			map[string]Code{"content_items": CodeInvalidClaim}},
		{"content item without a type", func(c map[string]any) { c[ci] = []any{map[string]any{"url": "https://x.example"}} }, byTool,
			map[string]Code{"content_items": CodeInvalidClaim}},
		{"content item not an object", func(c map[string]any) { c[ci] = []any{"ltiResourceLink"} }, byTool,
			map[string]Code{"content_items": CodeInvalidClaim}},
		{"unknown deployment", func(c map[string]any) { c["https://purl.imsglobal.org/spec/lti/claim/deployment_id"] = "dep-9" }, byTool,
			map[string]Code{"deployment_id": CodeUnknownDeployment}},
		{"expired", func(c map[string]any) { c["exp"] = h.now.Add(-time.Hour).Unix() }, byTool,
			map[string]Code{"exp, iat, nbf": CodeTokenExpired}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := response()
			if tt.mutate != nil {
				tt.mutate(c)
			}
			in, err := h.tool.Inspect(t.Context(), tt.sign(c))
			if err != nil {
				t.Fatal(err)
			}
			if !in.ToolMessage || in.Platform == nil {
				t.Fatalf("not inspected as the tool's message to a registered platform: %+v", in)
			}
			names := map[string]bool{}
			for _, c := range in.Checks {
				names[c.Name] = true
				want, shouldFail := tt.failed[c.Name]
				switch {
				case shouldFail && !errors.Is(c.Err, &Error{Code: want}):
					t.Errorf("check %s: %v, want %s", c.Name, c.Err, want)
				case !shouldFail && c.Err != nil:
					t.Errorf("check %s failed: %v", c.Name, c.Err)
				}
			}
			for _, n := range []string{"signature", "iss", "aud", "message_type", "content_items"} {
				if !names[n] {
					t.Errorf("no %q check in %v", n, in.Checks)
				}
			}
		})
	}
}

// TestInspect_LoginBoundChecks: without the browser's login, nonce and
// target_link_uri are only found present, which Inspect reports as a
// skipped comparison, not a pass; a missing claim still fails.
func TestInspect_LoginBoundChecks(t *testing.T) {
	h := newHarness(t, nil)
	const tlu = "https://purl.imsglobal.org/spec/lti/claim/target_link_uri"
	tests := []struct {
		name    string
		drop    string
		skipped []string
		failed  map[string]Code
	}{
		{"both present", "", []string{"nonce", "target_link_uri"}, nil},
		{"no nonce", "nonce", []string{"target_link_uri"}, map[string]Code{"nonce": CodeMissingNonce}},
		{"no target_link_uri", tlu, []string{"nonce"}, map[string]Code{"target_link_uri": CodeMissingClaim}},
	}
	for _, tt := range tests {
		c := h.claims("n-1")
		delete(c, tt.drop)
		in, err := h.tool.Inspect(t.Context(), h.sign(c))
		if err != nil {
			t.Fatal(err)
		}
		for _, check := range in.Checks {
			skip := slices.Contains(tt.skipped, check.Name)
			want, fail := tt.failed[check.Name]
			switch {
			case skip && (check.Skipped == "" || check.Err != nil):
				t.Errorf("%s: check %s = %+v, want skipped", tt.name, check.Name, check)
			case fail && (check.Skipped != "" || !errors.Is(check.Err, &Error{Code: want})):
				t.Errorf("%s: check %s = %+v, want %s", tt.name, check.Name, check, want)
			case !skip && !fail && check.Err != nil:
				t.Errorf("%s: check %s failed: %v", tt.name, check.Name, check.Err)
			}
		}
	}
}
