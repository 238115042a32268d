package ltitest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"math"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/ltikit/ltikit/tool"
)

// The platform's deep_link_return_url: URL + "/deeplink/return", with a
// query naming the launch ("dl"), which the tool must keep (DL-REQ-01).
// The endpoint verifies the tool's LtiDeepLinkingResponse as strictly as a
// platform may and records it, accepted or not.

// Claim names of a deep-linking response, for reading DeepLinkResponse.Claims.
const (
	ClaimDLContentItems = "https://purl.imsglobal.org/spec/lti-dl/claim/content_items"
	ClaimDLData         = "https://purl.imsglobal.org/spec/lti-dl/claim/data"
	ClaimDLMsg          = "https://purl.imsglobal.org/spec/lti-dl/claim/msg"
	ClaimDLLog          = "https://purl.imsglobal.org/spec/lti-dl/claim/log"
	ClaimDLErrorMsg     = "https://purl.imsglobal.org/spec/lti-dl/claim/errormsg"
	ClaimDLErrorLog     = "https://purl.imsglobal.org/spec/lti-dl/claim/errorlog"
)

const (
	deepLinkReturnPath  = "/deeplink/return"
	deepLinkLaunchParam = "dl"
	// maxDeepLinkLifetime is the longest exp - iat the platform accepts
	// ("short", SEC-TOOLMSG-02).
	maxDeepLinkLifetime = time.Hour
)

// DeepLinkResponse is one LtiDeepLinkingResponse a tool posted to the
// platform's deep_link_return_url, as the platform verified it. The
// platform accepted it (created the items) only if Violations is empty.
type DeepLinkResponse struct {
	// Time is the platform clock's time of the post.
	Time time.Time
	// LaunchID is the deep-linking launch answered; empty when the post
	// named none the platform knows.
	LaunchID string
	// URL is where the response was posted, query included.
	URL string
	// JWT is the form field JWT as posted.
	JWT string
	// Header and Claims are JWT decoded; nil when it does not decode. They
	// are verified only when no violation concerns the signature.
	Header map[string]any
	Claims map[string]any
	// Items are the content items, in order; Msg, Log, ErrorMsg and
	// ErrorLog the messages for the user and the log (DL-RESP-06).
	Items                        []ContentItem
	Msg, Log, ErrorMsg, ErrorLog string
	// Violations are the rules the response broke, each with the rule ID
	// of the spec digest, such as "DL-REQ-02" or "SEC-TOOLMSG-01".
	Violations []Violation
}

// Accepted reports whether the platform accepted the response.
func (r DeepLinkResponse) Accepted() bool { return len(r.Violations) == 0 }

// ContentItem is one item of a deep-linking response as the platform
// received it. The common properties are decoded; JSON holds the item
// exactly as sent, for anything else.
type ContentItem struct {
	Type  string
	Title string
	Text  string
	URL   string
	// Custom is the custom parameters of an ltiResourceLink.
	Custom map[string]string
	// LineItem is the gradebook column an ltiResourceLink asks for; nil
	// when it asks for none.
	LineItem *tool.LineItem
	JSON     json.RawMessage
}

// DeepLinkResponses returns every deep-linking response posted to the
// platform so far, oldest first, refused ones included.
func (p *Platform) DeepLinkResponses() []DeepLinkResponse { return p.e.dl.all() }

// DeepLinkItems returns the items of every accepted deep-linking response,
// in the order the platform received them: what it would have created.
func (p *Platform) DeepLinkItems() []ContentItem {
	var items []ContentItem
	for _, r := range p.e.dl.all() {
		if r.Accepted() {
			items = append(items, r.Items...)
		}
	}
	return items
}

// deepLinks is the platform's record of deep-linking responses. The zero
// value is ready; it is safe for concurrent use.
type deepLinks struct {
	mu        sync.Mutex
	responses []DeepLinkResponse
	nonces    nonceSet        // response nonces seen
	answered  map[string]bool // launches with an accepted response
}

func (d *deepLinks) all() []DeepLinkResponse {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.responses)
}

// find returns the latest response posted to postURL with jwt.
func (d *deepLinks) find(postURL, jwt string) (DeepLinkResponse, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for i := len(d.responses) - 1; i >= 0; i-- {
		if r := d.responses[i]; r.URL == postURL && r.JWT == jwt {
			return r, true
		}
	}
	return DeepLinkResponse{}, false
}

// withDeepLinkReturn returns m with the launch id added to the query of a
// deep_link_return_url on this platform, so that the endpoint can tell
// which request a response answers.
func (e *engine) withDeepLinkReturn(m Message, launchID string) Message {
	if m.DeepLinking == nil {
		return m
	}
	u, err := url.Parse(m.DeepLinking.ReturnURL)
	if err != nil || u.Scheme+"://"+u.Host+u.Path != e.issuer+deepLinkReturnPath {
		return m
	}
	q := u.Query()
	q.Set(deepLinkLaunchParam, launchID)
	u.RawQuery = q.Encode()
	dl := *m.DeepLinking
	dl.ReturnURL = u.String()
	m.DeepLinking = &dl
	return m
}

// serveDeepLinkReturn is the deep_link_return_url.
func (e *engine) serveDeepLinkReturn(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		http.Error(w, "ltitest: the deep-linking response must be POSTed (DL-RESP-01)", http.StatusMethodNotAllowed)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	res := e.verifyDeepLink(r)
	e.dl.mu.Lock()
	if res.LaunchID != "" && e.dl.answered[res.LaunchID] {
		res.Violations = append(res.Violations, Violation{Rule: "DL-RESP-01", Param: "deep_link_return_url",
			Got: res.URL, Want: "one response per deep-linking request", LaunchID: res.LaunchID})
	}
	if res.Accepted() {
		if e.dl.answered == nil {
			e.dl.answered = make(map[string]bool)
		}
		e.dl.answered[res.LaunchID] = true
	}
	e.dl.responses = append(e.dl.responses, res)
	e.dl.mu.Unlock()

	if !res.Accepted() {
		writeErrorPage(w, http.StatusBadRequest, "the deep-linking response was refused: "+res.Violations[0].String(), res.Violations)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	msg := res.Msg
	if res.ErrorMsg != "" {
		msg = res.ErrorMsg
	}
	fmt.Fprintf(w, "<!DOCTYPE html>\n<title>Content added</title>\n<p>ltitest: %d item(s) added.</p>\n<p>%s</p>\n",
		len(res.Items), html.EscapeString(msg))
}

// verifyDeepLink checks one post to the deep_link_return_url, all but
// whether the request was answered already.
func (e *engine) verifyDeepLink(r *http.Request) (res DeepLinkResponse) {
	u := *r.URL
	u.Scheme, u.Host = "", ""
	res = DeepLinkResponse{Time: e.clock(), URL: e.issuer + u.String()}
	v := &violations{}
	defer func() { res.Violations = v.list }()

	// The request answered (DL-REQ-01): named by the query the tool kept.
	pl := e.findDeepLinkLaunch(r.URL.Query().Get(deepLinkLaunchParam))
	var dl *DeepLinkingSettings
	switch {
	case pl == nil:
		v.add("DL-REQ-01", "deep_link_return_url", res.URL, "the deep_link_return_url of a deep-linking request of this platform, query string kept")
	case !sameQuery(r.URL, pl.msg.DeepLinking.ReturnURL):
		v.launchID, res.LaunchID = pl.id, pl.id
		v.add("DL-REQ-01", "deep_link_return_url", res.URL, pl.msg.DeepLinking.ReturnURL+", query string kept")
		dl = pl.msg.DeepLinking
	default:
		v.launchID, res.LaunchID = pl.id, pl.id
		dl = pl.msg.DeepLinking
	}

	// The form (DL-RESP-01): application/x-www-form-urlencoded, one field JWT.
	res.JWT = readToolForm(r, "DL-RESP-01", v)
	res.Header, res.Claims = decodeJWS(res.JWT)
	if res.JWT == "" {
		return res
	}

	clientID := e.clientIDFor(pl)
	claims, ok := e.verifyToolMessage(r.Context(), clientID, res.JWT, v)
	if !ok {
		return res
	}
	e.checkDeepLinkClaims(claims, clientID, pl, v)
	res.Items = checkContentItems(claims[ClaimDLContentItems], dl, v)
	res.Msg, res.Log = jsonString(claims[ClaimDLMsg]), jsonString(claims[ClaimDLLog])
	res.ErrorMsg, res.ErrorLog = jsonString(claims[ClaimDLErrorMsg]), jsonString(claims[ClaimDLErrorLog])
	return res
}

// findDeepLinkLaunch returns the deep-linking launch id names, or nil.
func (e *engine) findDeepLinkLaunch(id string) *pendingLaunch {
	e.mu.Lock()
	defer e.mu.Unlock()
	if pl := e.launches[id]; pl != nil && pl.msg.DeepLinking != nil {
		return pl
	}
	return nil
}

// clientIDFor is the tool a response comes from: the launch's, or the
// platform's only tool.
func (e *engine) clientIDFor(pl *pendingLaunch) string {
	if pl != nil {
		return pl.clientID
	}
	return e.quirks.clientID
}

// checkDeepLinkClaims checks the response's claims (DL-RESP-02 to
// DL-RESP-04, SEC-TOOLMSG-02).
func (e *engine) checkDeepLinkClaims(c map[string]json.RawMessage, clientID string, pl *pendingLaunch, v *violations) {
	e.checkToolMessageClaims(c, clientID, toolMessageRules{
		rule: "DL-RESP-02", typeRule: "DL-RESP-03",
		messageType: tool.DeepLinkingResponse, maxLifetime: maxDeepLinkLifetime,
		nonces: &e.dl.nonces,
	}, v)
	dep := jsonString(c[ClaimDeploymentID])
	if pl == nil {
		if dep == "" {
			v.add("DL-RESP-03", "deployment_id", "", "the request's deployment_id")
		}
		return
	}
	if dep != pl.msg.DeploymentID {
		v.add("DL-RESP-03", "deployment_id", dep, pl.msg.DeploymentID)
	}
	if want := pl.msg.DeepLinking.Data; want != "" {
		if got, ok := c[ClaimDLData]; !ok || jsonString(got) != want || got[0] != '"' {
			v.add("DL-RESP-04", "data", string(got), fmt.Sprintf("%q, echoed unchanged", want))
		}
	}
}

// checkContentItems decodes the content_items claim and checks each item
// against the request's settings (DL-RESP-05, DL-RESP-07, DL-REQ-02 to
// DL-REQ-06) and its type's required properties (DL-CI-*). dl is nil when
// the request is unknown.
func checkContentItems(raw json.RawMessage, dl *DeepLinkingSettings, v *violations) []ContentItem {
	if raw == nil || isNull(raw) {
		return nil
	}
	var list []json.RawMessage
	if err := json.Unmarshal(raw, &list); err != nil {
		v.add("DL-RESP-05", "content_items", string(raw), "an array of content items")
		return nil
	}
	if dl != nil && len(list) > 1 && !dl.AcceptMultiple {
		v.add("DL-REQ-05", "content_items", fmt.Sprintf("%d items", len(list)), "at most one item (accept_multiple is false)")
	}
	items := make([]ContentItem, 0, len(list))
	for i, rawItem := range list {
		var props map[string]json.RawMessage
		if err := json.Unmarshal(rawItem, &props); err != nil || props == nil {
			v.add("DL-RESP-05", fmt.Sprintf("content_items[%d]", i), string(rawItem), "a JSON object")
			continue
		}
		ci := ContentItem{JSON: bytes.Clone(rawItem), Type: jsonString(props["type"]), Title: jsonString(props["title"]),
			Text: jsonString(props["text"]), URL: jsonString(props["url"])}
		checkItem(i, &ci, props, dl, v)
		items = append(items, ci)
	}
	return items
}

// checkItem checks one content item and fills in its custom parameters
// and line item.
func checkItem(i int, ci *ContentItem, props map[string]json.RawMessage, dl *DeepLinkingSettings, v *violations) {
	at := func(prop string) string { return fmt.Sprintf("content_items[%d].%s", i, prop) }
	if ci.Type == "" {
		v.add("DL-RESP-05", at("type"), string(props["type"]), "the item's type")
		return
	}
	if dl != nil && !slices.Contains(dl.AcceptTypes, ci.Type) {
		v.add("DL-REQ-02", at("type"), ci.Type, "one of accept_types "+strings.Join(dl.AcceptTypes, ", "))
	}
	for _, target := range []string{"iframe", "window", "embed"} {
		if _, ok := props[target]; ok && dl != nil && !slices.Contains(dl.AcceptPresentationDocumentTargets, target) {
			v.add("DL-REQ-03", at(target), target, "a target of accept_presentation_document_targets "+strings.Join(dl.AcceptPresentationDocumentTargets, ", "))
		}
	}
	if rule, prop := requiredProperty(ci.Type); prop != "" && jsonString(props[prop]) == "" {
		v.add(rule, at(prop), string(props[prop]), "a non-empty string")
	}
	switch ci.Type {
	case tool.TypeFile:
		mt := jsonString(props["mediaType"])
		if dl != nil && len(dl.AcceptMediaTypes) > 0 && !mediaTypeIn(mt, dl.AcceptMediaTypes) {
			v.add("DL-REQ-04", at("mediaType"), mt, "one of accept_media_types "+strings.Join(dl.AcceptMediaTypes, ", "))
		}
	case tool.TypeResourceLink:
		if raw, ok := props["custom"]; ok {
			if ci.Custom, ok = customParams(raw); !ok {
				v.add("DL-CI-RL", at("custom"), string(raw), "an object of strings (null is not a value)")
			}
		}
		raw, ok := props["lineItem"]
		if !ok {
			return
		}
		if dl != nil && dl.AcceptLineItem != nil && !*dl.AcceptLineItem {
			v.add("DL-REQ-06", at("lineItem"), string(raw), "no lineItem: accept_lineitem is false")
		}
		var li tool.LineItem
		if err := json.Unmarshal(raw, &li); err != nil || !(li.ScoreMaximum > 0) || math.IsInf(li.ScoreMaximum, 0) {
			v.add("DL-CI-RL", at("lineItem.scoreMaximum"), string(raw), "a lineItem with scoreMaximum above 0")
			return
		}
		ci.LineItem = &li
	}
}

// customParams decodes custom parameters: an object whose values are all
// strings.
func customParams(raw json.RawMessage) (map[string]string, bool) {
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) != nil || obj == nil {
		return nil, false
	}
	out := make(map[string]string, len(obj))
	for k, v := range obj {
		if err := json.Unmarshal(v, new(string)); err != nil || isNull(v) {
			return nil, false
		}
		out[k] = jsonString(v)
	}
	return out, true
}

// requiredProperty is the property an item type requires (DL-CI-*), and
// the rule that says so; "" for types without one.
func requiredProperty(typ string) (rule, prop string) {
	switch typ {
	case tool.TypeLink:
		return "DL-CI-LINK", "url"
	case tool.TypeFile:
		return "DL-CI-FILE", "url"
	case tool.TypeImage:
		return "DL-CI-IMG", "url"
	case tool.TypeHTML:
		return "DL-CI-HTML", "html"
	}
	return "", ""
}

// sameQuery reports whether u carries every query parameter of want.
func sameQuery(u *url.URL, want string) bool {
	w, err := url.Parse(want)
	if err != nil {
		return false
	}
	got := u.Query()
	for k, vs := range w.Query() {
		if !slices.Equal(got[k], vs) {
			return false
		}
	}
	return u.Path == w.Path
}

func mediaTypeIn(mt string, accept []string) bool {
	got, _, err := mime.ParseMediaType(mt)
	if err != nil {
		return false
	}
	for _, a := range accept {
		if want, _, err := mime.ParseMediaType(a); err == nil &&
			(want == "*/*" || want == got || (strings.HasSuffix(want, "/*") && strings.HasPrefix(got, strings.TrimSuffix(want, "*")))) {
			return true
		}
	}
	return false
}

// audience is aud as a list: a string or an array of strings.
func audience(raw json.RawMessage) []string {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []string{one}
	}
	var many []string
	_ = json.Unmarshal(raw, &many)
	return many
}

// numericDate decodes a JWT NumericDate.
func numericDate(raw json.RawMessage) (time.Time, bool) {
	var f float64
	if raw == nil || json.Unmarshal(raw, &f) != nil {
		return time.Time{}, false
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)), true
}

// jsonString is raw as a string, or "" when it is not one.
func jsonString(raw json.RawMessage) string {
	var s string
	_ = json.Unmarshal(raw, &s)
	return s
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }
