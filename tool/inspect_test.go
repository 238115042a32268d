package tool

import (
	"errors"
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
