package tool

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// moodleDeepLinkReturn is the claims of the response a recording tool
// posted to Moodle's deep_link_return_url (testdata/*_moodle_deep_link_return.json,
// copied from shared/fixtures/moodle-4.5), and Moodle's answer's status.
func moodleDeepLinkReturn(t *testing.T, name string) (claims map[string]any, status int) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var rec struct {
		Request struct {
			Form struct{ JWT []string }
		}
		Response struct{ Status int }
	}
	if err := json.Unmarshal(data, &rec); err != nil || len(rec.Request.Form.JWT) != 1 {
		t.Fatalf("%s: %v", name, err)
	}
	parts := strings.Split(rec.Request.Form.JWT[0], ".")
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	return claims, rec.Response.Status
}

// withoutTimes drops the claims whose values differ on every response.
func withoutTimes(c map[string]any) map[string]any {
	out := make(map[string]any, len(c))
	for k, v := range c {
		switch k {
		case "iat", "exp", "nonce":
		default:
			out[k] = v
		}
	}
	return out
}

// TestDeepLink_Moodle_GoldenResponses: Moodle's real deep-linking requests,
// verified and stored like any launch, answered with the items the
// recording tool returned; the signed claims equal those Moodle accepted,
// except iat, exp and nonce.
func TestDeepLink_Moodle_GoldenResponses(t *testing.T) {
	single := ResourceLinkItem{
		URL:    "http://127.0.0.1:9001/launch?item=single",
		Title:  "DL single item",
		Text:   "Deep linked resource with a line item",
		Custom: map[string]string{"dl_custom": "x", "item": "single"},
		Iframe: &Iframe{Width: 800, Height: 600},
		Window: &Window{TargetName: "_blank"},
		LineItem: &LineItem{Label: "DL single score", ScoreMaximum: 50, ResourceID: "res-single",
			Tag: "tag-single"},
	}
	activity := ResourceLinkItem{
		URL:   "http://127.0.0.1:9001/launch?item=dl-activity",
		Title: "DL created activity",
		Text:  "Deep-linked item that becomes a real activity",
		Custom: map[string]string{"dl_ctx_title": "$Context.title", "dl_custom": "from-deep-link",
			"dl_rl_id": "$ResourceLink.id", "dl_user_id": "$User.id", "item": "dl-activity"},
		Window: &Window{TargetName: "dlwin", Width: 900, Height: 700},
		LineItem: &LineItem{Label: "DL created activity score", ScoreMaximum: 40, ResourceID: "res-dl-activity",
			Tag: "tag-dl-activity"},
	}
	tests := []struct {
		request, response string
		item              ResourceLinkItem
		msg, log          string
	}{
		{"id_token_deep_linking_request.json", "09_driver_teacher1_05_moodle_deep_link_return.json",
			single, "Recorder returned single", "recorder log single"},
		{"id_token_deep_linking_request.json", "08_driver_teacher1_05_moodle_deep_link_return.json",
			activity, "Recorder returned activity", "recorder log activity"},
		{"id_token_dynreg_deep_linking_request_teacher.json", "33_driver_teacher1_05_moodle_deep_link_return.json",
			single, "Recorder returned single", "recorder log single"},
	}
	srv := moodleJWKS(t)
	for _, tt := range tests {
		t.Run(tt.response, func(t *testing.T) {
			want, status := moodleDeepLinkReturn(t, tt.response)
			if status != 200 {
				t.Fatalf("Moodle answered the recorded response with %d", status)
			}
			m := loadMoodleToken(t, tt.request)
			tl := moodleTool(t, m, srv.URL, 5*time.Second)
			l, err := launchRecorded(t, tl, m, m.Raw)
			if err != nil {
				t.Fatal(err)
			}
			jwt, err := tl.DeepLinkResponse(l).Add(tt.item).Message(tt.msg).Log(tt.log).Sign(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			_, got := verifyDL(t, tl, jwt)
			if g, w := withoutTimes(got), withoutTimes(want); !reflect.DeepEqual(g, w) {
				gj, _ := json.MarshalIndent(g, "", " ")
				wj, _ := json.MarshalIndent(w, "", " ")
				t.Errorf("claims differ from what Moodle accepted:\n got %s\nwant %s", gj, wj)
			}
			if life := got["exp"].(float64) - got["iat"].(float64); life <= 0 || life > want["exp"].(float64)-want["iat"].(float64) {
				t.Errorf("exp - iat = %vs, want short (Moodle accepted %vs)", life, want["exp"].(float64)-want["iat"].(float64))
			}
		})
	}
}

// TestDeepLink_Moodle_WrongIssuerRefused: the one response Moodle refused
// (404, "Consumer key is incorrect") had the wrong iss; the builder's
// differs from it exactly there.
func TestDeepLink_Moodle_WrongIssuerRefused(t *testing.T) {
	refused, status := moodleDeepLinkReturn(t, "25_driver_teacher1_05_moodle_deep_link_return.json")
	accepted, _ := moodleDeepLinkReturn(t, "33_driver_teacher1_05_moodle_deep_link_return.json")
	if status != 404 {
		t.Fatalf("Moodle answered %d, want the recorded 404", status)
	}
	m := loadMoodleToken(t, "id_token_dynreg_deep_linking_request_teacher.json")
	tl := moodleTool(t, m, moodleJWKS(t).URL, 5*time.Second)
	l, err := launchRecorded(t, tl, m, m.Raw)
	if err != nil {
		t.Fatal(err)
	}
	jwt, err := tl.DeepLinkResponse(l).Sign(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	_, got := verifyDL(t, tl, jwt)
	if got["iss"] != accepted["iss"] || got["iss"] == refused["iss"] || got["iss"] != l.ClientID {
		t.Errorf("iss = %v; Moodle accepted %v and refused %v", got["iss"], accepted["iss"], refused["iss"])
	}
}
