package ltitest_test

import (
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ltikit/ltikit/middleware"
	"github.com/ltikit/ltikit/testing/ltitest"
	"github.com/ltikit/ltikit/tool"
)

// realTool is the ltikit tool under test, served on 127.0.0.1 with its
// login at /lti/login and middleware.Launch at /lti/launch. It remembers
// the launches its handler saw.
type realTool struct {
	URL string

	mu   sync.Mutex
	seen []*tool.Launch
}

func newRealTool(t *testing.T, p *ltitest.Platform) *realTool {
	t.Helper()
	tt := newTestTool(t, p)
	tl, base := tt.Tool, tt.URL

	rt := &realTool{URL: base}
	mux := http.NewServeMux()
	mux.Handle("/lti/login", tl.LoginHandler())
	mux.Handle("/lti/launch", middleware.Launch(tl)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l, _ := tool.LaunchFrom(r.Context())
		rt.mu.Lock()
		rt.seen = append(rt.seen, l)
		rt.mu.Unlock()
		io.WriteString(w, "hello "+l.Subject)
	})))
	tt.serve(t, p, mux)
	return rt
}

func (rt *realTool) last(t *testing.T) *tool.Launch {
	t.Helper()
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if len(rt.seen) == 0 {
		t.Fatal("the tool's handler saw no launch")
	}
	return rt.seen[len(rt.seen)-1]
}

// The real tool launches from the fake platform, and its authentication
// requests break no rule.
func TestIntegration_launch(t *testing.T) {
	for _, tc := range []struct {
		name  string
		opts  []ltitest.Option
		m     ltitest.Message
		check func(t *testing.T, p *ltitest.Platform, l *tool.Launch)
	}{
		{"learner", nil, ltitest.Message{}, func(t *testing.T, p *ltitest.Platform, l *tool.Launch) {
			if l.Subject != "user-1" || !slices.Equal(l.Roles, tool.Roles{tool.RoleLearner}) || l.Roles.IsInstructor() {
				t.Errorf("got sub %q roles %v, want user-1 a learner", l.Subject, l.Roles)
			}
			if l.MessageType != tool.ResourceLinkRequest || l.ResourceLink == nil || l.ResourceLink.ID != "rl-1" {
				t.Errorf("got %s %+v", l.MessageType, l.ResourceLink)
			}
			if l.Issuer != p.URL || l.ClientID != p.ClientID || l.DeploymentID != p.DeploymentID {
				t.Errorf("got iss %q client %q deployment %q", l.Issuer, l.ClientID, l.DeploymentID)
			}
			if l.Context == nil || l.Context.ID != "context-1" || !l.Context.HasType(tool.ContextTypeCourseOffering) {
				t.Errorf("context: got %+v", l.Context)
			}
		}},
		{"instructor with services", nil, ltitest.Message{
			UserID: "teacher-1", Name: "Terry Teacher", Email: "terry@example.com",
			Roles: tool.Roles{tool.RoleInstructor}, AGS: true, NRPS: true,
			Custom: map[string]any{"quiz": "7", "missing": nil},
		}, func(t *testing.T, p *ltitest.Platform, l *tool.Launch) {
			if l.Subject != "teacher-1" || !l.Roles.IsInstructor() || l.Name != "Terry Teacher" || l.Email != "terry@example.com" {
				t.Errorf("got sub %q roles %v name %q email %q", l.Subject, l.Roles, l.Name, l.Email)
			}
			if l.AGS == nil || !l.AGS.HasScope("https://purl.imsglobal.org/spec/lti-ags/scope/score") || l.AGS.LineItem == "" {
				t.Errorf("AGS: got %+v", l.AGS)
			}
			if l.NRPS == nil || l.NRPS.ContextMembershipsURL != p.URL+"/nrps/context-1/memberships" {
				t.Errorf("NRPS: got %+v", l.NRPS)
			}
			if l.Custom["quiz"] != "7" {
				t.Errorf("custom: got %v", l.Custom)
			}
		}},
		{"deep linking", nil, ltitest.Message{Type: tool.DeepLinkingRequest, Roles: tool.Roles{tool.RoleInstructor}},
			func(t *testing.T, p *ltitest.Platform, l *tool.Launch) {
				if l.MessageType != tool.DeepLinkingRequest || l.DeepLinking == nil ||
					!strings.HasPrefix(l.DeepLinking.DeepLinkReturnURL, p.URL+"/deeplink/return?dl=") || l.DeepLinking.Data != "ltitest-deep-linking-data" {
					t.Errorf("got %s %+v", l.MessageType, l.DeepLinking)
				}
			}},
		{"Moodle learner", []ltitest.Option{ltitest.Moodle()}, ltitest.Message{AGS: true, NRPS: true},
			func(t *testing.T, p *ltitest.Platform, l *tool.Launch) {
				if l.Subject != "4" || l.DeploymentID != "1" || l.Context == nil || l.Context.ID != "2" ||
					!l.Context.HasType(tool.ContextTypeCourseSection) {
					t.Errorf("got sub %q deployment %q context %+v", l.Subject, l.DeploymentID, l.Context)
				}
				if l.ToolPlatform == nil || l.ToolPlatform.ProductFamilyCode != "moodle" {
					t.Errorf("tool_platform: got %+v", l.ToolPlatform)
				}
				if l.ExpiresAt.Sub(l.IssuedAt) != 60*time.Second {
					t.Errorf("exp - iat: got %v, want 60s", l.ExpiresAt.Sub(l.IssuedAt))
				}
			}},
		{"Moodle deep linking", []ltitest.Option{ltitest.Moodle()},
			ltitest.Message{Type: tool.DeepLinkingRequest, Roles: tool.Roles{tool.RoleInstructor}, AGS: true},
			func(t *testing.T, p *ltitest.Platform, l *tool.Launch) {
				if l.DeepLinking == nil || !slices.Contains(l.DeepLinking.AcceptPresentationDocumentTargets, "frame") {
					t.Errorf("deep linking: got %+v", l.DeepLinking)
				}
				if l.AGS == nil || l.AGS.LineItem != "" {
					t.Errorf("AGS: got %+v, want Moodle's empty lineitem", l.AGS)
				}
			}},
		{"audience array", []ltitest.Option{ltitest.WithAudienceArray()}, ltitest.Message{},
			func(t *testing.T, p *ltitest.Platform, l *tool.Launch) {
				if !slices.Equal(l.Audience, []string{p.ClientID}) || l.AuthorizedParty != p.ClientID {
					t.Errorf("got aud %v azp %q", l.Audience, l.AuthorizedParty)
				}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := ltitest.NewPlatform(t, tc.opts...)
			rt := newRealTool(t, p)
			resp := p.Launch(t, rt.URL+"/lti/login", tc.m)
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("launch: got %s %s", resp.Status, body)
			}
			tc.check(t, p, rt.last(t))
			if vs := p.Violations(); len(vs) != 0 {
				t.Errorf("the tool's authentication requests broke the spec: %v", vs)
			}
		})
	}
}

// The negative-test hooks reach the real tool, which refuses each launch
// with the expected code.
func TestIntegration_refused(t *testing.T) {
	for _, tc := range []struct {
		name string
		m    ltitest.Message
		want tool.Code
	}{
		{"expired", ltitest.Message{Mutate: func(c map[string]any) { c["exp"] = time.Now().Add(-time.Hour).Unix() }}, tool.CodeTokenExpired},
		{"wrong aud", ltitest.Message{Mutate: func(c map[string]any) { c["aud"] = "someone-else" }}, tool.CodeWrongAudience},
		{"unknown kid", ltitest.Message{MutateHeader: func(h map[string]any) { h["kid"] = "nope" }}, tool.CodeUnknownKID},
		{"alg none", ltitest.Message{MutateHeader: func(h map[string]any) { h["alg"] = "none" }}, tool.CodeDisallowedAlgorithm},
		{"unknown deployment", ltitest.Message{DeploymentID: "other"}, tool.CodeUnknownDeployment},
		{"no state", ltitest.Message{AuthMutate: func(f url.Values) { f.Del("state") }}, tool.CodeMissingState},
		{"platform error", ltitest.Message{AuthMutate: func(f url.Values) {
			f.Del("id_token")
			f.Set("error", "access_denied")
		}}, tool.CodePlatformError},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := ltitest.NewPlatform(t)
			rt := newRealTool(t, p)
			resp := p.Launch(t, rt.URL+"/lti/login", tc.m)
			if want := tc.want.Status(); resp.StatusCode != want {
				body, _ := io.ReadAll(resp.Body)
				t.Errorf("got %s, want %d (%s): %.300s", resp.Status, want, tc.want, body)
			}
			rt.mu.Lock()
			defer rt.mu.Unlock()
			if len(rt.seen) != 0 {
				t.Errorf("the handler saw a refused launch")
			}
		})
	}
}

// A Browser keeps the tool's session: a second launch in the same browser
// works, and the platform sees no replayed hint.
func TestIntegration_twoLaunchesOneBrowser(t *testing.T) {
	t.Parallel()
	p := ltitest.NewPlatform(t)
	rt := newRealTool(t, p)
	b := p.NewBrowser(t)
	for _, r := range []tool.Role{tool.RoleLearner, tool.RoleInstructor} {
		if resp := b.Launch(rt.URL+"/lti/login", ltitest.Message{Roles: tool.Roles{r}}); resp.StatusCode != http.StatusOK {
			t.Fatalf("launch as %s: got %s", r, resp.Status)
		}
		if got := rt.last(t).Roles; !slices.Equal(got, tool.Roles{r}) {
			t.Errorf("roles: got %v, want [%s]", got, r)
		}
	}
	if vs := p.Violations(); len(vs) != 0 {
		t.Errorf("violations: %v", vs)
	}
}
