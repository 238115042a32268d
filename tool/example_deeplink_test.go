package tool_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/ltikit/ltikit/jwks"
	"github.com/ltikit/ltikit/tool"
)

// exampleTool is a tool registered with a Moodle site, as in ExampleNew.
func exampleTool() *tool.Tool {
	regs, err := tool.NewMemoryPlatforms(tool.Platform{
		Issuer: "https://moodle.example.edu", ClientID: "2T1DmxSUCu2ZSuu", Deployments: []string{"1"},
		AuthURL: "https://moodle.example.edu/mod/lti/auth.php", JWKSURL: "https://moodle.example.edu/mod/lti/certs.php",
	})
	if err != nil {
		log.Fatal(err)
	}
	key, err := jwks.GenerateKey()
	if err != nil {
		log.Fatal(err)
	}
	keys, err := jwks.NewKeyRing(key)
	if err != nil {
		log.Fatal(err)
	}
	t, err := tool.New(tool.Config{Platforms: regs, Keys: keys, BaseURL: "https://tool.example"})
	if err != nil {
		log.Fatal(err)
	}
	return t
}

// deepLinkingLaunch stands for the LtiDeepLinkingRequest launch that
// middleware.Session restores on the tool's catalog pages (?launch=ID).
func deepLinkingLaunch() *tool.Launch {
	return &tool.Launch{
		ID: "dl-launch-1", Issuer: "https://moodle.example.edu", ClientID: "2T1DmxSUCu2ZSuu", DeploymentID: "1",
		MessageType: tool.DeepLinkingRequest, Version: tool.Version,
		DeepLinking: &tool.DeepLinkingSettings{
			DeepLinkReturnURL:                 "https://moodle.example.edu/mod/lti/contentitem_return.php?course=2&id=1&sesskey=Yq",
			AcceptTypes:                       []string{"ltiResourceLink"},
			AcceptPresentationDocumentTargets: []string{"frame", "iframe", "window"},
			AcceptMultiple:                    true,
		},
	}
}

// The catalog page's form posts the teacher's choice; the handler answers
// the platform with two graded activities. Write sends the browser an
// auto-submitting form that posts the signed response to Moodle.
func ExampleTool_DeepLinkResponse() {
	t := exampleTool()
	defer t.Close()

	pick := func(w http.ResponseWriter, r *http.Request) {
		l, _ := tool.LaunchFrom(r.Context()) // behind middleware.Session
		err := t.DeepLinkResponse(l).Add(
			tool.ResourceLinkItem{Title: "Quiz 1", URL: "https://tool.example/quiz/1",
				LineItem: &tool.LineItem{ScoreMaximum: 10, Tag: "quiz"}},
			tool.ResourceLinkItem{Title: "Quiz 2", URL: "https://tool.example/quiz/2",
				LineItem: &tool.LineItem{ScoreMaximum: 20, Tag: "quiz"}, Iframe: &tool.Iframe{Height: 800}},
		).Message("2 quizzes added").Write(r.Context(), w)
		if err != nil {
			t.ServeError(w, r, err)
		}
	}

	r := httptest.NewRequest(http.MethodPost, "/catalog/pick?launch=dl-launch-1", nil)
	r = r.WithContext(tool.ContextWithLaunch(r.Context(), deepLinkingLaunch()))
	w := httptest.NewRecorder()
	pick(w, r)
	fmt.Println(w.Code, w.Header().Get("Content-Type"))
	fmt.Println(strings.Contains(w.Body.String(),
		`action="https://moodle.example.edu/mod/lti/contentitem_return.php?course=2&amp;id=1&amp;sesskey=Yq"`))
	// Output:
	// 200 text/html; charset=utf-8
	// true
}

// Sign returns the response JWT, for a tool that posts it itself. Its
// claims are what the platform receives.
func ExampleDeepLinkResponse_Sign() {
	t := exampleTool()
	defer t.Close()

	jwt, err := t.DeepLinkResponse(deepLinkingLaunch()).
		Add(tool.ResourceLinkItem{Title: "Essay", Custom: map[string]string{"essay": "7"},
			LineItem: &tool.LineItem{ScoreMaximum: 100}}).
		Sign(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	payload, _ := base64.RawURLEncoding.DecodeString(strings.Split(jwt, ".")[1])
	var claims map[string]json.RawMessage
	json.Unmarshal(payload, &claims)
	for _, c := range []string{"iss", "aud",
		"https://purl.imsglobal.org/spec/lti/claim/message_type",
		"https://purl.imsglobal.org/spec/lti-dl/claim/content_items"} {
		fmt.Println(c[strings.LastIndex(c, "/")+1:], string(claims[c]))
	}
	// Output:
	// iss "2T1DmxSUCu2ZSuu"
	// aud "https://moodle.example.edu"
	// message_type "LtiDeepLinkingResponse"
	// content_items [{"type":"ltiResourceLink","title":"Essay","custom":{"essay":"7"},"lineItem":{"label":"Essay","scoreMaximum":100}}]
}

// An item the platform does not accept refuses the whole response with the
// rule it breaks; the tool can then tell the platform the selection failed.
// A response with no item means nothing was selected.
func ExampleDeepLinkResponse_Error() {
	t := exampleTool()
	defer t.Close()
	l := deepLinkingLaunch()

	_, err := t.DeepLinkResponse(l).Add(tool.LinkItem{URL: "https://example.com/page"}).Sign(context.Background())
	var de *tool.DeepLinkError
	if errors.As(err, &de) {
		fmt.Println(de.Code, de.Rule, de.Item, errors.Is(err, tool.ErrItemTypeNotAccepted))
	}

	_, err = t.DeepLinkResponse(l).Error("This content cannot be added to Moodle", err.Error()).Sign(context.Background())
	fmt.Println(err)

	_, err = t.DeepLinkResponse(l).Sign(context.Background())
	fmt.Println(errors.Is(err, tool.ErrDeepLinkUsed))
	// Output:
	// item_type_not_accepted DL-REQ-02 0 true
	// <nil>
	// true
}
