package tool

import (
	"context"
	"crypto"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ltikit/ltikit/jwks"
)

var dlNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

const dlReturnURL = "https://lms.example/mod/lti/contentitem_return.php?course=2&id=1&sesskey=Yq"

// newDLTool is a test tool whose clock stands at dlNow.
func newDLTool(t testing.TB) *Tool {
	t.Helper()
	tl := newTestTool(t)
	tl.cfg.Now = func() time.Time { return dlNow }
	return tl
}

// dlLaunch is a stored deep-linking launch accepting every standard type,
// every presentation target and several items; edit changes its settings.
func dlLaunch(edit func(*DeepLinkingSettings)) *Launch {
	s := &DeepLinkingSettings{
		DeepLinkReturnURL:                 dlReturnURL,
		AcceptTypes:                       []string{TypeResourceLink, TypeLink, TypeFile, TypeHTML, TypeImage},
		AcceptPresentationDocumentTargets: []string{"iframe", "window", "embed"},
		AcceptMultiple:                    true,
		Data:                              "opaque",
	}
	if edit != nil {
		edit(s)
	}
	return &Launch{ID: randomToken(), Issuer: testIssuer, ClientID: testClientID, DeploymentID: "dep-1",
		Nonce: randomToken(), MessageType: DeepLinkingRequest, Version: Version, DeepLinking: s}
}

// verifyDL verifies a response JWT with tl's public keys and returns its
// header and claims.
func verifyDL(t *testing.T, tl *Tool, jwt string) (header, claims map[string]any) {
	t.Helper()
	keys, err := jwks.NewStatic(tl.cfg.Keys.PublicKeys()...)
	if err != nil {
		t.Fatal(err)
	}
	payload, err := keys.Verify(t.Context(), []byte(jwt), nil)
	if err != nil {
		t.Fatalf("the response does not verify with the tool's keys: %v", err)
	}
	h, err := base64.RawURLEncoding.DecodeString(strings.SplitN(jwt, ".", 2)[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(h, &header); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	return header, claims
}

func yes() *bool { b := true; return &b }
func no() *bool  { b := false; return &b }

func timeAt(h int) *time.Time { tm := dlNow.Add(time.Duration(h) * time.Hour); return &tm }

// TestDeepLink_DL_RESP_07_RulesRefuseTheResponse: every rule the builder
// enforces, one violation each. The whole response is refused with the
// rule, the item and the property; nothing is dropped.
func TestDeepLink_DL_RESP_07_RulesRefuseTheResponse(t *testing.T) {
	rl := func(edit func(*ResourceLinkItem)) ResourceLinkItem {
		it := ResourceLinkItem{Title: "Quiz", URL: testBaseURL + "/quiz/1"}
		edit(&it)
		return it
	}
	only := func(types ...string) func(*DeepLinkingSettings) {
		return func(s *DeepLinkingSettings) { s.AcceptTypes = types }
	}
	targets := func(ts ...string) func(*DeepLinkingSettings) {
		return func(s *DeepLinkingSettings) { s.AcceptPresentationDocumentTargets = ts }
	}
	media := func(ts ...string) func(*DeepLinkingSettings) {
		return func(s *DeepLinkingSettings) { s.AcceptMediaTypes = ts }
	}
	tests := []struct {
		name     string
		settings func(*DeepLinkingSettings)
		items    []ContentItem
		code     Code
		rule     string
		item     int
		field    string
	}{
		{"DL_REQ_02 type not accepted", only(TypeResourceLink), []ContentItem{LinkItem{URL: "https://x.example"}},
			CodeItemTypeNotAccepted, "DL-REQ-02", 0, "type"},
		{"DL_REQ_02 second item not accepted", only(TypeResourceLink, TypeLink),
			[]ContentItem{LinkItem{URL: "https://x.example"}, HTMLItem{HTML: "<p>x</p>"}},
			CodeItemTypeNotAccepted, "DL-REQ-02", 1, "type"},
		{"DL_REQ_02 no accept_types", only(), []ContentItem{ResourceLinkItem{}},
			CodeItemTypeNotAccepted, "DL-REQ-02", 0, "type"},
		{"DL_REQ_02 extension type not accepted", nil, []ContentItem{CustomItem{Type: "https://vendor.example/item"}},
			CodeItemTypeNotAccepted, "DL-REQ-02", 0, "type"},
		{"DL_REQ_05 two items, accept_multiple false", func(s *DeepLinkingSettings) { s.AcceptMultiple = false },
			[]ContentItem{ResourceLinkItem{}, ResourceLinkItem{}}, CodeTooManyItems, "DL-REQ-05", -1, ""},
		{"DL_REQ_03 iframe not accepted", targets("window"), []ContentItem{rl(func(i *ResourceLinkItem) { i.Iframe = &Iframe{Height: 600} })},
			CodeTargetNotAccepted, "DL-REQ-03", 0, "iframe"},
		{"DL_REQ_03 window not accepted", targets("iframe"), []ContentItem{rl(func(i *ResourceLinkItem) { i.Window = &Window{TargetName: "_blank"} })},
			CodeTargetNotAccepted, "DL-REQ-03", 0, "window"},
		{"DL_REQ_03 Moodle's frame is not iframe", targets("frame"), []ContentItem{rl(func(i *ResourceLinkItem) { i.Iframe = &Iframe{} })},
			CodeTargetNotAccepted, "DL-REQ-03", 0, "iframe"},
		{"DL_REQ_03 embed not accepted", targets("iframe", "window"), []ContentItem{LinkItem{URL: "https://v.example/1", Embed: &Embed{HTML: "<video>"}}},
			CodeTargetNotAccepted, "DL-REQ-03", 0, "embed"},
		{"DL_REQ_03 link iframe with no targets", targets(), []ContentItem{LinkItem{URL: "https://v.example/1", Iframe: &Iframe{Src: "https://v.example/e"}}},
			CodeTargetNotAccepted, "DL-REQ-03", 0, "iframe"},
		{"DL_REQ_04 media type not accepted", media("image/*", "text/html"), []ContentItem{FileItem{URL: "https://f.example/a.pdf", MediaType: "application/pdf"}},
			CodeMediaTypeNotAccepted, "DL-REQ-04", 0, "mediaType"},
		{"DL_REQ_04 media type unknown but restricted", media("application/pdf"), []ContentItem{FileItem{URL: "https://f.example/a.pdf"}},
			CodeMediaTypeNotAccepted, "DL-REQ-04", 0, "mediaType"},
		{"DL_REQ_06 line item ignored by the platform", func(s *DeepLinkingSettings) { s.AcceptLineItem = no() },
			[]ContentItem{rl(func(i *ResourceLinkItem) { i.LineItem = &LineItem{ScoreMaximum: 10} })},
			CodeLineItemNotAccepted, "DL-REQ-06", 0, "lineItem"},
		{"DL_CI_RL scoreMaximum 0", nil, []ContentItem{rl(func(i *ResourceLinkItem) { i.LineItem = &LineItem{Label: "Quiz"} })},
			CodeInvalidItem, "DL-CI-RL", 0, "lineItem.scoreMaximum"},
		{"DL_CI_RL scoreMaximum negative", nil, []ContentItem{rl(func(i *ResourceLinkItem) { i.LineItem = &LineItem{ScoreMaximum: -1} })},
			CodeInvalidItem, "DL-CI-RL", 0, "lineItem.scoreMaximum"},
		{"DL_CI_RL scoreMaximum NaN", nil, []ContentItem{rl(func(i *ResourceLinkItem) { i.LineItem = &LineItem{ScoreMaximum: math.NaN()} })},
			CodeInvalidItem, "DL-CI-RL", 0, "lineItem.scoreMaximum"},
		{"DL_CI_RL scoreMaximum infinite", nil, []ContentItem{rl(func(i *ResourceLinkItem) { i.LineItem = &LineItem{ScoreMaximum: math.Inf(1)} })},
			CodeInvalidItem, "DL-CI-RL", 0, "lineItem.scoreMaximum"},
		{"DL_CI_RL line item id set by the tool", nil, []ContentItem{rl(func(i *ResourceLinkItem) {
			i.LineItem = &LineItem{ScoreMaximum: 1, ID: "https://lms.example/li/1"}
		})}, CodeInvalidItem, "DL-CI-RL", 0, "lineItem"},
		{"DL_CI_RL line item dates", nil, []ContentItem{rl(func(i *ResourceLinkItem) { i.LineItem = &LineItem{ScoreMaximum: 1, EndDateTime: timeAt(1)} })},
			CodeInvalidItem, "DL-CI-RL", 0, "lineItem"},
		{"DL_CI_RL url on another origin", nil, []ContentItem{rl(func(i *ResourceLinkItem) { i.URL = "https://evil.example/launch" })},
			CodeInvalidItem, "DL-CI-RL", 0, "url"},
		{"DL_CI_RL url not http", nil, []ContentItem{rl(func(i *ResourceLinkItem) { i.URL = "javascript:alert(1)" })},
			CodeInvalidItem, "DL-CI-RL", 0, "url"},
		{"DL_CI_RL url with credentials", nil, []ContentItem{rl(func(i *ResourceLinkItem) { i.URL = "https://u:p@tool.example/q" })},
			CodeInvalidItem, "DL-CI-RL", 0, "url"},
		{"DL_CI_RL iframe src", nil, []ContentItem{rl(func(i *ResourceLinkItem) { i.Iframe = &Iframe{Src: testBaseURL + "/q"} })},
			CodeInvalidItem, "DL-CI-RL", 0, "iframe.src"},
		{"DL_CI_RL icon without url", nil, []ContentItem{rl(func(i *ResourceLinkItem) { i.Icon = &Image{Width: 16} })},
			CodeInvalidItem, "DL-CI-RL", 0, "icon.url"},
		{"DL_CI_RL thumbnail data url", nil, []ContentItem{rl(func(i *ResourceLinkItem) { i.Thumbnail = &Image{URL: "data:image/png;base64,AA"} })},
			CodeInvalidItem, "DL-CI-RL", 0, "thumbnail.url"},
		{"DL_CI_RL negative window size", nil, []ContentItem{rl(func(i *ResourceLinkItem) { i.Window = &Window{Width: -1} })},
			CodeInvalidItem, "DL-CI-RL", 0, "window.width"},
		{"DL_CI_RL available ends before it starts", nil, []ContentItem{rl(func(i *ResourceLinkItem) {
			i.Available = &TimeWindow{StartDateTime: timeAt(2), EndDateTime: timeAt(1)}
		})}, CodeInvalidItem, "DL-CI-RL", 0, "available"},
		{"DL_CI_RL submission ends before it starts", nil, []ContentItem{rl(func(i *ResourceLinkItem) {
			i.Submission = &TimeWindow{StartDateTime: timeAt(2), EndDateTime: timeAt(-2)}
		})}, CodeInvalidItem, "DL-CI-RL", 0, "submission"},
		{"DL_CI_RL empty custom name", nil, []ContentItem{rl(func(i *ResourceLinkItem) { i.Custom = map[string]string{"": "x"} })},
			CodeInvalidItem, "DL-CI-RL", 0, "custom"},
		{"DL_CI_LINK no url", nil, []ContentItem{LinkItem{Title: "x"}}, CodeInvalidItem, "DL-CI-LINK", 0, "url"},
		{"DL_CI_LINK iframe without src", nil, []ContentItem{LinkItem{URL: "https://x.example", Iframe: &Iframe{Width: 1}}},
			CodeInvalidItem, "DL-CI-LINK", 0, "iframe.src"},
		{"DL_CI_LINK embed without html", nil, []ContentItem{LinkItem{URL: "https://x.example", Embed: &Embed{HTML: " "}}},
			CodeInvalidItem, "DL-CI-LINK", 0, "embed.html"},
		{"DL_CI_FILE no url", nil, []ContentItem{FileItem{MediaType: "text/plain"}}, CodeInvalidItem, "DL-CI-FILE", 0, "url"},
		{"DL_CI_FILE bad media type", nil, []ContentItem{FileItem{URL: "https://f.example/a", MediaType: "pdf file"}},
			CodeInvalidItem, "DL-CI-FILE", 0, "mediaType"},
		{"DL_CI_HTML no html", nil, []ContentItem{HTMLItem{Title: "x"}}, CodeInvalidItem, "DL-CI-HTML", 0, "html"},
		{"DL_CI_IMG no url", nil, []ContentItem{ImageItem{Width: 10}}, CodeInvalidItem, "DL-CI-IMG", 0, "url"},
		{"DL_CI_IMG negative height", nil, []ContentItem{ImageItem{URL: "https://i.example/a.png", Height: -3}},
			CodeInvalidItem, "DL-CI-IMG", 0, "width"},
		{"DL_CI_EXT type not a URL", only("vendorThing"), []ContentItem{CustomItem{Type: "vendorThing"}},
			CodeInvalidItem, "DL-CI-EXT", 0, "type"},
		{"DL_CI_EXT standard type in disguise", nil, []ContentItem{CustomItem{Type: TypeResourceLink, Properties: map[string]any{"url": "https://evil.example"}}},
			CodeInvalidItem, "DL-CI-EXT", 0, "type"},
		{"DL_CI_EXT extra replaces a standard property", nil, []ContentItem{ResourceLinkItem{Extra: map[string]any{"url": "https://evil.example"}}},
			CodeInvalidItem, "DL-CI-EXT", 0, "extra"},
		{"DL_CI_EXT extra replaces the type", nil, []ContentItem{HTMLItem{HTML: "x", Extra: map[string]any{"type": "link"}}},
			CodeInvalidItem, "DL-CI-EXT", 0, "extra"},
		{"DL_CI_EXT property replaces the type", only("https://v.example/t"), []ContentItem{CustomItem{Type: "https://v.example/t", Properties: map[string]any{"type": "link"}}},
			CodeInvalidItem, "DL-CI-EXT", 0, "extra"},
		{"DL_CI_EXT extra value cannot be encoded", nil, []ContentItem{ImageItem{URL: "https://i.example/a.png", Extra: map[string]any{"https://v.example/x": math.NaN()}}},
			CodeInvalidItem, "DL-CI-EXT", 0, "extra"},
		{"DL_RESP_05 nil item", nil, []ContentItem{ResourceLinkItem{}, nil}, CodeInvalidItem, "DL-RESP-05", 1, ""},
		{"DL_RESP_05 nil item pointer", nil, []ContentItem{(*ResourceLinkItem)(nil)}, CodeInvalidItem, "DL-RESP-05", 0, ""},
	}
	tl := newDLTool(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := dlLaunch(tt.settings)
			jwt, err := tl.DeepLinkResponse(l).Add(tt.items...).Sign(t.Context())
			if jwt != "" {
				t.Errorf("signed a response that breaks %s", tt.rule)
			}
			var de *DeepLinkError
			if !errors.As(err, &de) {
				t.Fatalf("error = %v (%T), want a *DeepLinkError", err, err)
			}
			if de.Code != tt.code || de.Rule != tt.rule || de.Item != tt.item || de.Field != tt.field {
				t.Errorf("got %s %s item %d field %q, want %s %s item %d field %q (%v)",
					de.Code, de.Rule, de.Item, de.Field, tt.code, tt.rule, tt.item, tt.field, err)
			}
			if !errors.Is(err, &Error{Code: tt.code}) || CodeOf(err) != tt.code {
				t.Errorf("errors.Is / CodeOf do not see code %s in %v", tt.code, err)
			}
			if !strings.Contains(err.Error(), tt.rule) {
				t.Errorf("message %q does not name the rule", err)
			}
			// A refused response does not use the request up.
			if _, err := tl.DeepLinkResponse(l).Sign(t.Context()); err != nil {
				t.Errorf("after a refused response, nothing-selected: %v", err)
			}
		})
	}
}

// TestDeepLink_DL_RESP_07_AcceptedItems: what the settings allow passes,
// including media type wildcards and an unstated accept_lineitem.
func TestDeepLink_DL_RESP_07_AcceptedItems(t *testing.T) {
	pdf := FileItem{URL: "https://f.example/a.pdf", MediaType: "application/pdf"}
	tests := []struct {
		name     string
		settings func(*DeepLinkingSettings)
		items    []ContentItem
	}{
		{"one item without accept_multiple", func(s *DeepLinkingSettings) { s.AcceptMultiple = false }, []ContentItem{ResourceLinkItem{}}},
		{"no presentation needs no target", func(s *DeepLinkingSettings) { s.AcceptPresentationDocumentTargets = nil },
			[]ContentItem{ResourceLinkItem{Title: "x"}, LinkItem{URL: "https://x.example"}}},
		{"media type wildcard", func(s *DeepLinkingSettings) { s.AcceptMediaTypes = []string{"image/*", "application/*"} }, []ContentItem{pdf}},
		{"media type any", func(s *DeepLinkingSettings) { s.AcceptMediaTypes = []string{"*/*"} }, []ContentItem{pdf}},
		{"media type with parameters", func(s *DeepLinkingSettings) { s.AcceptMediaTypes = []string{"Text/Plain"} },
			[]ContentItem{FileItem{URL: "https://f.example/a.txt", MediaType: "text/plain; charset=utf-8"}}},
		{"media types not restricted", nil, []ContentItem{FileItem{URL: "https://f.example/a"}}},
		{"line item, accept_lineitem not sent", nil, []ContentItem{ResourceLinkItem{LineItem: &LineItem{ScoreMaximum: 0.5}}}},
		{"line item, accept_lineitem true", func(s *DeepLinkingSettings) { s.AcceptLineItem = yes() },
			[]ContentItem{ResourceLinkItem{LineItem: &LineItem{ScoreMaximum: 100, GradesReleased: no()}}}},
		{"url on a TargetLinkOrigin", nil, []ContentItem{ResourceLinkItem{URL: "https://cdn.tool.example/q?x=1"}}},
		{"extension type", func(s *DeepLinkingSettings) { s.AcceptTypes = []string{"https://vendor.example/item"} },
			[]ContentItem{CustomItem{Type: "https://vendor.example/item", Properties: map[string]any{"title": "x"}}}},
		{"open-ended windows", nil, []ContentItem{ResourceLinkItem{Available: &TimeWindow{StartDateTime: timeAt(1)}, Submission: &TimeWindow{EndDateTime: timeAt(-1)}}}},
	}
	tl := newDLTool(t)
	tl.cfg.TargetLinkOrigins = []string{"https://cdn.tool.example"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			jwt, err := tl.DeepLinkResponse(dlLaunch(tt.settings)).Add(tt.items...).Sign(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			_, claims := verifyDL(t, tl, jwt)
			if got := claims[claimDLItems].([]any); len(got) != len(tt.items) {
				t.Errorf("%d items signed, want %d", len(got), len(tt.items))
			}
		})
	}
}

const (
	claimDLItems = "https://purl.imsglobal.org/spec/lti-dl/claim/content_items"
	claimDLData  = "https://purl.imsglobal.org/spec/lti-dl/claim/data"
)

// TestDeepLink_DL_RESP_02_03_Claims: the JWT is signed with the tool's
// active key, kid in the header, and addressed from the client_id to the
// platform issuer with the request's deployment.
func TestDeepLink_DL_RESP_02_03_Claims(t *testing.T) {
	tl := newDLTool(t)
	l := dlLaunch(nil)
	jwt, err := tl.DeepLinkResponse(l).Add(ResourceLinkItem{Title: "Quiz"}).Sign(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	header, claims := verifyDL(t, tl, jwt)
	if header["kid"] != tl.cfg.Keys.Active().ID || header["alg"] != "RS256" {
		t.Errorf("header = %v, want kid %s and RS256", header, tl.cfg.Keys.Active().ID)
	}
	want := map[string]any{
		"iss": testClientID,
		"aud": testIssuer,
		"iat": float64(dlNow.Add(-deepLinkBackdate).Unix()),
		"exp": float64(dlNow.Add(deepLinkLifetime).Unix()),
		"https://purl.imsglobal.org/spec/lti/claim/deployment_id": "dep-1",
		"https://purl.imsglobal.org/spec/lti/claim/message_type":  "LtiDeepLinkingResponse",
		"https://purl.imsglobal.org/spec/lti/claim/version":       "1.3.0",
		claimDLData: "opaque",
	}
	for k, v := range want {
		if claims[k] != v {
			t.Errorf("%s = %v, want %v", k, claims[k], v)
		}
	}
	nonce, _ := claims["nonce"].(string)
	if len(nonce) < 32 {
		t.Errorf("nonce %q is not a fresh random value", nonce)
	}
	if _, ok := claims["azp"]; ok {
		t.Error("azp sent; if present it would have to be the platform issuer (SEC-TOOLMSG-02)")
	}
	jwt2, err := tl.DeepLinkResponse(dlLaunch(nil)).Sign(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, c2 := verifyDL(t, tl, jwt2); c2["nonce"] == nonce {
		t.Error("two responses share a nonce")
	}
}

// TestDeepLink_DL_RESP_04_DataEchoedUnchanged: data comes back exactly as
// the platform wrote it, escapes and number literals included, even when it
// is not a string, and stays absent when the platform sent none.
func TestDeepLink_DL_RESP_04_DataEchoedUnchanged(t *testing.T) {
	tl := newDLTool(t)
	for _, tt := range []struct{ data, want string }{
		{`"op4que \u00e9 ;=&<>"`, `"op4que \u00e9 ;=&<>"`},
		{`{"k":[1,2.50,"x"]}`, `{"k":[1,2.50,"x"]}`},
		{`12345678901234567890`, `12345678901234567890`},
		{`null`, ``},
		{``, ``},
	} {
		settings := `{"deep_link_return_url":"https://lms.example/r","accept_types":["ltiResourceLink"]`
		if tt.data != "" {
			settings += `,"data":` + tt.data
		}
		l := mustDecode(t, payloadWith(uriDL, settings+"}"))
		l.ID, l.Issuer, l.ClientID, l.DeploymentID, l.MessageType = randomToken(), testIssuer, testClientID, "dep-1", DeepLinkingRequest
		jwt, err := tl.DeepLinkResponse(l).Sign(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		keys, _ := jwks.NewStatic(tl.cfg.Keys.PublicKeys()...)
		payload, err := keys.Verify(t.Context(), []byte(jwt), nil)
		if err != nil {
			t.Fatal(err)
		}
		var c map[string]json.RawMessage
		if err := json.Unmarshal(payload, &c); err != nil {
			t.Fatal(err)
		}
		if got := string(c[claimDLData]); got != tt.want {
			t.Errorf("data %s echoed as %s, want %s", tt.data, got, tt.want)
		}
	}
}

// TestDeepLink_DL_RESP_05_06_NothingSelectedAndErrors: an empty response
// says nothing was selected; msg, log, errormsg and errorlog are carried.
func TestDeepLink_DL_RESP_05_06_NothingSelectedAndErrors(t *testing.T) {
	tl := newDLTool(t)
	jwt, err := tl.DeepLinkResponse(dlLaunch(nil)).Message("Nothing added").Log("user cancelled").Sign(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	_, c := verifyDL(t, tl, jwt)
	if items, ok := c[claimDLItems].([]any); !ok || len(items) != 0 {
		t.Errorf("content_items = %#v, want []", c[claimDLItems])
	}
	checkEq(t, "msg", c["https://purl.imsglobal.org/spec/lti-dl/claim/msg"], any("Nothing added"))
	checkEq(t, "log", c["https://purl.imsglobal.org/spec/lti-dl/claim/log"], any("user cancelled"))
	if _, ok := c["https://purl.imsglobal.org/spec/lti-dl/claim/errormsg"]; ok {
		t.Error("errormsg sent without an error")
	}

	jwt, err = tl.DeepLinkResponse(dlLaunch(nil)).Error("The catalogue is unavailable", "db timeout").Sign(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	_, c = verifyDL(t, tl, jwt)
	checkEq(t, "errormsg", c["https://purl.imsglobal.org/spec/lti-dl/claim/errormsg"], any("The catalogue is unavailable"))
	checkEq(t, "errorlog", c["https://purl.imsglobal.org/spec/lti-dl/claim/errorlog"], any("db timeout"))
	if _, ok := c["https://purl.imsglobal.org/spec/lti-dl/claim/msg"]; ok {
		t.Error("msg sent though none was set")
	}
}

// TestDeepLink_AnsweredOnce: a request is answered by one response; a
// second one, even from another copy of the launch, is refused.
func TestDeepLink_AnsweredOnce(t *testing.T) {
	tl := newDLTool(t)
	l := dlLaunch(nil)
	if _, err := tl.DeepLinkResponse(l).Add(ResourceLinkItem{}).Sign(t.Context()); err != nil {
		t.Fatal(err)
	}
	again := *l
	_, err := tl.DeepLinkResponse(&again).Sign(t.Context())
	if !errors.Is(err, ErrDeepLinkUsed) {
		t.Fatalf("second response: %v, want %s", err, CodeDeepLinkUsed)
	}
	if s := (&Error{Code: CodeOf(err)}).Status(); s != http.StatusConflict {
		t.Errorf("status %d, want 409", s)
	}

	// A launch that was only verified (no stored ID) is keyed by its nonce.
	v := dlLaunch(nil)
	v.ID = ""
	if _, err := tl.DeepLinkResponse(v).Sign(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := tl.DeepLinkResponse(v).Sign(t.Context()); !errors.Is(err, ErrDeepLinkUsed) {
		t.Fatalf("second response to a verified launch: %v, want %s", err, CodeDeepLinkUsed)
	}
}

// TestDeepLink_AnsweredOnceUnderRace: of concurrent responses to one
// request, exactly one is signed.
func TestDeepLink_AnsweredOnceUnderRace(t *testing.T) {
	tl := newDLTool(t)
	l := dlLaunch(nil)
	var signed, used atomic.Int32
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			_, err := tl.DeepLinkResponse(l).Add(ResourceLinkItem{}).Sign(context.Background())
			switch {
			case err == nil:
				signed.Add(1)
			case errors.Is(err, ErrDeepLinkUsed):
				used.Add(1)
			default:
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if signed.Load() != 1 || used.Load() != 15 {
		t.Errorf("%d signed and %d refused, want 1 and 15", signed.Load(), used.Load())
	}
}

// failingStore fails every call, as a store that is down.
type failingStore struct{}

func (failingStore) Add(context.Context, string, []byte, time.Duration) error {
	return errors.New("store down")
}
func (failingStore) Get(context.Context, string) ([]byte, error) {
	return nil, errors.New("store down")
}
func (failingStore) Take(context.Context, string) ([]byte, error) {
	return nil, errors.New("store down")
}

// TestDeepLink_LaunchRefusals: a response needs a deep-linking launch that
// can be addressed and answered once.
func TestDeepLink_LaunchRefusals(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(*Launch)
		store Store
		code  Code
	}{
		{"resource link launch", func(l *Launch) { l.MessageType = ResourceLinkRequest }, nil, CodeWrongMessageType},
		{"no settings", func(l *Launch) { l.DeepLinking = nil }, nil, CodeWrongMessageType},
		{"DL_REQ_01 javascript return URL", func(l *Launch) { l.DeepLinking.DeepLinkReturnURL = "javascript:alert(1)//https://lms.example" }, nil, CodeInvalidClaim},
		{"DL_REQ_01 relative return URL", func(l *Launch) { l.DeepLinking.DeepLinkReturnURL = "/mod/lti/return.php" }, nil, CodeInvalidClaim},
		{"DL_REQ_01 no return URL", func(l *Launch) { l.DeepLinking.DeepLinkReturnURL = "" }, nil, CodeInvalidClaim},
		{"no client_id", func(l *Launch) { l.ClientID = "" }, nil, CodeMissingClaim},
		{"no deployment_id", func(l *Launch) { l.DeploymentID = "" }, nil, CodeMissingClaim},
		{"no issuer", func(l *Launch) { l.Issuer = "" }, nil, CodeMissingClaim},
		{"neither id nor nonce", func(l *Launch) { l.ID, l.Nonce = "", "" }, nil, CodeMissingClaim},
		{"store down", nil, failingStore{}, CodeStoreFailure},
	}
	tl := newDLTool(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tl := tl
			if tt.store != nil {
				tl = newDLTool(t)
				tl.cfg.Store = tt.store
			}
			l := dlLaunch(nil)
			if tt.edit != nil {
				tt.edit(l)
			}
			jwt, err := tl.DeepLinkResponse(l).Sign(t.Context())
			if jwt != "" || CodeOf(err) != tt.code {
				t.Fatalf("got %q, %v; want code %s", jwt, err, tt.code)
			}
		})
	}
	jwt, err := tl.DeepLinkResponse(nil).Sign(t.Context())
	if jwt != "" || CodeOf(err) != CodeWrongMessageType {
		t.Fatalf("nil launch: %q, %v", jwt, err)
	}
}

// TestDeepLink_SigningFailure: a key ring that cannot sign gives
// CodeSigningFailed (500) and does not use the request up.
func TestDeepLink_SigningFailure(t *testing.T) {
	tl := newDLTool(t)
	key := tl.cfg.Keys.Active()
	key.Signer = brokenSigner{key.Signer}
	ring, err := jwks.NewKeyRing(key)
	if err != nil {
		t.Fatal(err)
	}
	good := tl.cfg.Keys
	tl.cfg.Keys = ring
	l := dlLaunch(nil)
	_, err = tl.DeepLinkResponse(l).Sign(t.Context())
	if !errors.Is(err, ErrSigningFailed) || (&Error{Code: CodeOf(err)}).Status() != http.StatusInternalServerError {
		t.Fatalf("error = %v, want %s", err, CodeSigningFailed)
	}
	tl.cfg.Keys = good
	if _, err := tl.DeepLinkResponse(l).Sign(t.Context()); err != nil {
		t.Fatalf("after a signing failure: %v", err)
	}
}

// brokenSigner is a key whose signing device fails.
type brokenSigner struct{ crypto.Signer }

func (brokenSigner) Sign(io.Reader, []byte, crypto.SignerOpts) ([]byte, error) {
	return nil, errors.New("HSM offline")
}
