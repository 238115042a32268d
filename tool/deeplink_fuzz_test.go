package tool

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"testing"
)

// FuzzDeepLinkSettings feeds any deep_linking_settings claim to the decoder
// and then to the response builder, with a subset of items chosen by pick:
//   - decoding never panics and fails only with CodeInvalidClaim naming
//     the claim;
//   - Sign never panics; it refuses with a *DeepLinkError or an *Error;
//   - a signed response holds only accepted types, at most one item unless
//     accept_multiple, and echoes data unchanged.
func FuzzDeepLinkSettings(f *testing.F) {
	for _, s := range []string{
		`{"deep_link_return_url":"https://lms.example/r?a=1&b=2","accept_types":["ltiResourceLink","link","file","html","image"],"accept_presentation_document_targets":["iframe","window","embed"],"accept_multiple":true,"data":"x"}`,
		`{"deep_link_return_url":"http://127.0.0.1:8081/mod/lti/contentitem_return.php?course=2&id=1&sesskey=Yq","accept_types":["ltiResourceLink"],"accept_presentation_document_targets":["frame","iframe","window"],"accept_copy_advice":false,"accept_multiple":true,"accept_unsigned":false,"auto_create":false,"can_confirm":false,"title":"t","text":"x"}`,
		`{"deep_link_return_url":"https://lms.example/r","accept_types":"file","accept_media_types":"image/*, application/pdf","accept_multiple":"false","accept_lineitem":"TRUE","data":{"k":[1,2]}}`,
		`{"deep_link_return_url":"javascript:alert(1)","accept_types":null,"accept_lineitem":false,"data":null}`,
		`{"accept_media_types":["*/*"],"accept_multiple":1}`,
		`null`, `[]`, `"x"`, `{`,
	} {
		f.Add([]byte(s), uint8(0x3f))
	}
	tl := newDLTool(f)
	pool := []ContentItem{
		ResourceLinkItem{Title: "Quiz", URL: testBaseURL + "/q", Iframe: &Iframe{Height: 600}, LineItem: &LineItem{ScoreMaximum: 10}},
		ResourceLinkItem{Window: &Window{TargetName: "_blank"}},
		LinkItem{URL: "https://v.example/1", Embed: &Embed{HTML: "<video>"}},
		FileItem{URL: "https://f.example/a.pdf", MediaType: "application/pdf"},
		HTMLItem{HTML: "<p>x</p>"},
		ImageItem{URL: "https://i.example/a.png", Width: 10},
	}
	f.Fuzz(func(t *testing.T, settings []byte, pick uint8) {
		payload := []byte(`{"https://purl.imsglobal.org/spec/lti/claim/message_type":"LtiDeepLinkingRequest",` +
			`"https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings":`)
		payload = append(append(payload, settings...), '}')
		l, err := decodeLaunch(payload)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || (e.Code != CodeInvalidClaim && e.Code != CodeMalformedToken) {
				t.Fatalf("decode error %v", err)
			}
			return
		}
		if l.DeepLinking == nil {
			return // null settings
		}
		l.ID, l.Issuer, l.ClientID, l.DeploymentID = randomToken(), testIssuer, testClientID, "dep-1"
		var items []ContentItem
		for i, it := range pool {
			if pick&(1<<i) != 0 {
				items = append(items, it)
			}
		}
		jwt, err := tl.DeepLinkResponse(l).Add(items...).Sign(t.Context())
		if err != nil {
			var de *DeepLinkError
			var e *Error
			if !errors.As(err, &de) && !errors.As(err, &e) {
				t.Fatalf("error %v is %T", err, err)
			}
			return
		}
		s := l.DeepLinking
		if len(items) > 1 && !s.AcceptMultiple {
			t.Fatalf("signed %d items though accept_multiple is false", len(items))
		}
		for _, it := range items {
			if !slices.Contains(s.AcceptTypes, it.ItemType()) {
				t.Fatalf("signed a %s item; accept_types %q", it.ItemType(), s.AcceptTypes)
			}
		}
		_, claims := verifyDL(t, tl, jwt)
		var sent struct {
			Data json.RawMessage `json:"data"`
		}
		_ = json.Unmarshal(settings, &sent)
		var want any
		_ = json.Unmarshal(sent.Data, &want)
		got, _ := json.Marshal(claims[claimDLData])
		if w, _ := json.Marshal(want); !bytes.Equal(got, w) {
			t.Fatalf("data %s echoed as %s", sent.Data, got)
		}
	})
}
