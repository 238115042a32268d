package ltitest_test

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/ltikit/ltikit/testing/ltitest"
	"github.com/ltikit/ltikit/tool"
)

const toolLaunch = "https://tool.example/lti/launch"

// roundTrip returns v as it reads after JSON encoding, as a tool sees it.
func roundTrip(t *testing.T, v any) map[string]any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func obj(t *testing.T, claims map[string]any, name string) map[string]any {
	t.Helper()
	m, ok := claims[name].(map[string]any)
	if !ok {
		t.Fatalf("claim %s: got %#v, want an object", name, claims[name])
	}
	return m
}

// The claims of each kind of Message.
func TestIDToken_claims(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_800_000_000, 0)
	p := ltitest.NewPlatform(t, ltitest.WithRedirectURIs(toolLaunch), ltitest.WithClock(func() time.Time { return now }))

	for _, tc := range []struct {
		name  string
		m     ltitest.Message
		check func(t *testing.T, c map[string]any)
	}{
		{"zero message", ltitest.Message{}, func(t *testing.T, c map[string]any) {
			want := map[string]any{
				"iss": p.URL, "aud": p.ClientID, "sub": "user-1", "nonce": "n-1",
				"iat": float64(now.Unix()), "exp": float64(now.Add(5 * time.Minute).Unix()),
				ltitest.ClaimMessageType:   "LtiResourceLinkRequest",
				ltitest.ClaimVersion:       "1.3.0",
				ltitest.ClaimDeploymentID:  p.DeploymentID,
				ltitest.ClaimTargetLinkURI: toolLaunch,
				ltitest.ClaimRoles:         []any{string(tool.RoleLearner)},
				ltitest.ClaimResourceLink:  map[string]any{"id": "rl-1", "title": "Activity"},
				ltitest.ClaimContext: map[string]any{"id": "context-1", "label": "TEST101", "title": "Test Course",
					"type": []any{tool.ContextTypeCourseOffering}},
			}
			for k, v := range want {
				if !reflect.DeepEqual(c[k], v) {
					t.Errorf("%s: got %#v, want %#v", k, c[k], v)
				}
			}
			for _, absent := range []string{"azp", "name", "email", ltitest.ClaimCustom, ltitest.ClaimAGSEndpoint,
				ltitest.ClaimNRPS, ltitest.ClaimDeepLinkingSettings, ltitest.ClaimForUser, ltitest.ClaimExt} {
				if _, ok := c[absent]; ok {
					t.Errorf("%s: got %#v, want no claim", absent, c[absent])
				}
			}
			if tp := obj(t, c, ltitest.ClaimToolPlatform); tp["guid"] == "" || tp["product_family_code"] != "ltitest" {
				t.Errorf("tool_platform: got %v", tp)
			}
			if lp := obj(t, c, ltitest.ClaimLaunchPresentation); lp["return_url"] != p.URL+"/return" {
				t.Errorf("launch_presentation: got %v", lp)
			}
		}},
		{"instructor with identity", ltitest.Message{
			UserID: "teacher-7", Name: "Terry Teacher", GivenName: "Terry", FamilyName: "Teacher", Email: "t@example.com",
			Roles: tool.Roles{tool.RoleInstructor, tool.RoleInstitutionFaculty},
		}, func(t *testing.T, c map[string]any) {
			if c["sub"] != "teacher-7" || c["name"] != "Terry Teacher" || c["given_name"] != "Terry" ||
				c["family_name"] != "Teacher" || c["email"] != "t@example.com" {
				t.Errorf("identity: got %v", c)
			}
			want := []any{string(tool.RoleInstructor), string(tool.RoleInstitutionFaculty)}
			if !reflect.DeepEqual(c[ltitest.ClaimRoles], want) {
				t.Errorf("roles: got %v, want %v", c[ltitest.ClaimRoles], want)
			}
		}},
		{"empty roles", ltitest.Message{Roles: tool.Roles{}}, func(t *testing.T, c map[string]any) {
			if r, ok := c[ltitest.ClaimRoles].([]any); !ok || len(r) != 0 {
				t.Errorf("roles: got %#v, want []", c[ltitest.ClaimRoles])
			}
		}},
		{"anonymous", ltitest.Message{Anonymous: true}, func(t *testing.T, c map[string]any) {
			if _, ok := c["sub"]; ok {
				t.Errorf("sub: got %v, want none", c["sub"])
			}
		}},
		{"custom with null and number", ltitest.Message{Custom: map[string]any{"a": "1", "b": nil, "n": 3}},
			func(t *testing.T, c map[string]any) {
				want := map[string]any{"a": "1", "b": nil, "n": float64(3)}
				if got := obj(t, c, ltitest.ClaimCustom); !reflect.DeepEqual(got, want) {
					t.Errorf("custom: got %#v, want %#v", got, want)
				}
			}},
		{"context, link, deployment and target", ltitest.Message{
			Context:       &ltitest.Context{ID: "c9", Type: []string{"Group"}},
			ResourceLink:  &ltitest.ResourceLink{ID: "rl9", Description: "d"},
			DeploymentID:  "dep-9",
			TargetLinkURI: "https://tool.example/quiz/9",
		}, func(t *testing.T, c map[string]any) {
			if got := obj(t, c, ltitest.ClaimContext); !reflect.DeepEqual(got, map[string]any{"id": "c9", "type": []any{"Group"}}) {
				t.Errorf("context: got %v", got)
			}
			if got := obj(t, c, ltitest.ClaimResourceLink); !reflect.DeepEqual(got, map[string]any{"id": "rl9", "description": "d"}) {
				t.Errorf("resource_link: got %v", got)
			}
			if c[ltitest.ClaimDeploymentID] != "dep-9" || c[ltitest.ClaimTargetLinkURI] != "https://tool.example/quiz/9" {
				t.Errorf("deployment/target: got %v %v", c[ltitest.ClaimDeploymentID], c[ltitest.ClaimTargetLinkURI])
			}
		}},
		{"services", ltitest.Message{AGS: true, NRPS: true}, func(t *testing.T, c map[string]any) {
			ags := obj(t, c, ltitest.ClaimAGSEndpoint)
			if ags["lineitems"] != p.URL+"/ags/context-1/lineitems?type_id="+p.DeploymentID ||
				ags["lineitem"] != p.Gradebook().LineItems[0].ID { // the link's line item, made by the platform
				t.Errorf("AGS: got %v", ags)
			}
			if s, _ := ags["scope"].([]any); len(s) != 4 {
				t.Errorf("AGS scope: got %v, want 4 scopes", ags["scope"])
			}
			nrps := obj(t, c, ltitest.ClaimNRPS)
			if nrps["context_memberships_url"] != p.URL+"/nrps/context-1/memberships" ||
				!reflect.DeepEqual(nrps["service_versions"], []any{"2.0"}) {
				t.Errorf("NRPS: got %v", nrps)
			}
		}},
		{"deep linking", ltitest.Message{Type: tool.DeepLinkingRequest, Roles: tool.Roles{tool.RoleInstructor}},
			func(t *testing.T, c map[string]any) {
				if _, ok := c[ltitest.ClaimResourceLink]; ok {
					t.Error("a deep-linking request carries a resource_link")
				}
				dl := obj(t, c, ltitest.ClaimDeepLinkingSettings)
				want := map[string]any{
					"deep_link_return_url":                 p.URL + "/deeplink/return",
					"accept_types":                         []any{"ltiResourceLink"},
					"accept_presentation_document_targets": []any{"iframe", "window"},
					"accept_multiple":                      true,
					"auto_create":                          false,
					"data":                                 "ltitest-deep-linking-data",
				}
				if !reflect.DeepEqual(dl, want) {
					t.Errorf("deep_linking_settings:\ngot  %v\nwant %v", dl, want)
				}
			}},
		{"submission review", ltitest.Message{Type: tool.SubmissionReviewRequest, Roles: tool.Roles{tool.RoleInstructor}},
			func(t *testing.T, c map[string]any) {
				if got := obj(t, c, ltitest.ClaimForUser); !reflect.DeepEqual(got, map[string]any{"user_id": "user-2"}) {
					t.Errorf("for_user: got %v", got)
				}
				if ags := obj(t, c, ltitest.ClaimAGSEndpoint); ags["lineitem"] == nil {
					t.Errorf("AGS: got %v, want a lineitem", ags)
				}
				if _, ok := c[ltitest.ClaimResourceLink]; !ok {
					t.Error("no resource_link")
				}
			}},
		{"mutate", ltitest.Message{Mutate: func(c map[string]any) {
			delete(c, ltitest.ClaimDeploymentID)
			c["aud"] = []string{"other"}
		}}, func(t *testing.T, c map[string]any) {
			if _, ok := c[ltitest.ClaimDeploymentID]; ok {
				t.Error("Mutate did not drop deployment_id")
			}
			if !reflect.DeepEqual(c["aud"], []any{"other"}) {
				t.Errorf("aud: got %v", c["aud"])
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.check(t, roundTrip(t, p.IDToken(t, tc.m, "n-1")))
		})
	}
}

func TestIDToken_audienceArray(t *testing.T) {
	t.Parallel()
	p := ltitest.NewPlatform(t, ltitest.WithAudienceArray(), ltitest.WithRedirectURIs(toolLaunch),
		ltitest.WithClientID("cid"), ltitest.WithDeploymentID("d"), ltitest.WithTokenLifetime(time.Hour))
	c := roundTrip(t, p.IDToken(t, ltitest.Message{}, "n"))
	if !reflect.DeepEqual(c["aud"], []any{"cid"}) || c["azp"] != "cid" {
		t.Errorf("got aud %v azp %v, want [cid] and cid", c["aud"], c["azp"])
	}
	if c[ltitest.ClaimDeploymentID] != "d" {
		t.Errorf("deployment_id: got %v, want d", c[ltitest.ClaimDeploymentID])
	}
	if exp, iat := c["exp"].(float64), c["iat"].(float64); exp-iat != 3600 {
		t.Errorf("exp - iat: got %v, want 3600", exp-iat)
	}
}

// fixture is a recorded Moodle id_token.
func fixture(t *testing.T, name string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Payload map[string]any `json:"payload"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	return f.Payload
}

// shape maps a JSON value to its structure: objects to the shapes of their
// members, other values to their JSON type.
func shape(v any) any {
	switch v := v.(type) {
	case map[string]any:
		m := map[string]any{}
		for k, x := range v {
			m[k] = shape(x)
		}
		return m
	case []any:
		return "array"
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "bool"
	case nil:
		return "null"
	}
	return "?"
}

// With Moodle(), tokens have the structure of Moodle 4.5's recorded ones:
// the same claims, members and JSON types, Moodle's values where they are
// not instance-specific.
func TestMoodle_claimsShape(t *testing.T) {
	t.Parallel()
	p := ltitest.NewPlatform(t, ltitest.Moodle())
	ft := newFakeTool(t, p)

	for _, tc := range []struct {
		fixture string
		m       ltitest.Message
	}{
		{"id_token_student_resource_link_launch.json", ltitest.Message{
			Name: "Sam Student", GivenName: "Sam", FamilyName: "Student", Email: "student1@example.com",
			AGS: true, NRPS: true, Custom: map[string]any{"tool_level": "tool_value"},
		}},
		{"id_token_deep_linking_request.json", ltitest.Message{
			Type: tool.DeepLinkingRequest, UserID: "3", Roles: tool.Roles{tool.RoleInstructor},
			Name: "Terry Teacher", GivenName: "Terry", FamilyName: "Teacher", Email: "teacher1@example.com",
			AGS: true, NRPS: true,
		}},
	} {
		t.Run(tc.fixture, func(t *testing.T) {
			if resp := p.Launch(t, ft.URL+"/login", tc.m); resp.StatusCode != 200 {
				t.Fatalf("launch: got %s", resp.Status)
			}
			token := ft.lastPost(t).form.Get("id_token")
			got := decodePayload(t, token)
			want := fixture(t, tc.fixture)

			// The custom claim: Moodle's injected keys, with their types.
			gotCustom, wantCustom := shape(got[ltitest.ClaimCustom]).(map[string]any), shape(want[ltitest.ClaimCustom]).(map[string]any)
			for k, v := range gotCustom {
				if wantCustom[k] != v {
					t.Errorf("custom %s: got %v, want %v as Moodle sends", k, v, wantCustom[k])
				}
			}
			delete(got, ltitest.ClaimCustom)
			delete(want, ltitest.ClaimCustom)
			if g, w := shape(got), shape(want); !reflect.DeepEqual(g, w) {
				t.Errorf("shape differs from Moodle's:\ngot  %v\nwant %v", g, w)
				for _, k := range sortedKeys(w.(map[string]any)) {
					if !reflect.DeepEqual(g.(map[string]any)[k], w.(map[string]any)[k]) {
						t.Errorf("  %s: got %v, want %v", k, g.(map[string]any)[k], w.(map[string]any)[k])
					}
				}
			}

			// Values Moodle always has.
			if exp, iat := got["exp"].(float64), got["iat"].(float64); exp-iat != 60 {
				t.Errorf("exp - iat: got %v, want 60", exp-iat)
			}
			for _, k := range []string{ltitest.ClaimDeploymentID, ltitest.ClaimVersion, ltitest.ClaimMessageType, ltitest.ClaimRoles, "sub"} {
				if !reflect.DeepEqual(got[k], want[k]) {
					t.Errorf("%s: got %v, want Moodle's %v", k, got[k], want[k])
				}
			}
			if got["aud"] != p.ClientID || p.ClientID != want["aud"] {
				t.Errorf("aud: got %v (client_id %s), want the string %v", got["aud"], p.ClientID, want["aud"])
			}
			for _, claim := range []string{ltitest.ClaimContext, ltitest.ClaimExt, ltitest.ClaimLaunchPresentation} {
				for _, member := range []string{"id", "type", "lms", "document_target", "locale"} {
					g, w := obj(t, got, claim)[member], obj(t, want, claim)[member]
					if w != nil && !reflect.DeepEqual(g, w) {
						t.Errorf("%s.%s: got %v, want Moodle's %v", claim, member, g, w)
					}
				}
			}
			if tp := obj(t, got, ltitest.ClaimToolPlatform); tp["product_family_code"] != "moodle" {
				t.Errorf("tool_platform: got %v", tp)
			}
			if hdr := decodeHeader(t, token); hdr["kid"] == nil || hdr["alg"] != "RS256" || hdr["typ"] != "JWT" {
				t.Errorf("header: got %v", hdr)
			}
		})
	}
}

func sortedKeys(m map[string]any) []string {
	keys := slices.Collect(maps.Keys(m))
	sort.Strings(keys)
	return keys
}
