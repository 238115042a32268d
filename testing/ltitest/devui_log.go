package ltitest

import (
	"bytes"
	"cmp"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// maxDevLogItems bounds the message log the page shows: the newest.
const maxDevLogItems = 300

// devLogItem is one entry of the development LMS's message log: an LTI
// message or a service call, with what it carried and how it was judged.
type devLogItem struct {
	Key        string // stable across refreshes, so that an open entry stays open
	Time       string
	Kind       string // launch, deeplink, token, ags, nrps, proctoring, acs: the badge
	Title      string
	Who        string
	Verdict    string // the result of the checks, or the answer
	State      string // ok, bad or info
	Fields     []keyValue
	Violations []string
	Blocks     []keyValue // decoded claims and bodies, as indented JSON or text
	JWT        *keyValue  // a signed message as sent, in compact form for ltikit inspect: its name and the token
	at         time.Time
}

// log builds the message log, newest first: the launch steps, the
// deep-linking responses, the token requests, the service calls, the
// LtiStartAssessment messages and the Assessment Control requests.
func (d *devLMS) log() []devLogItem {
	e := d.e
	var items []devLogItem
	for i, l := range e.entries() {
		items = append(items, d.stepItem(i, l))
	}
	for i, r := range e.dl.all() {
		items = append(items, d.deepLinkItem(i, r))
	}
	for i, r := range e.tokenLog.all() {
		items = append(items, tokenItem(i, r))
	}
	for i, c := range e.calls.all() {
		items = append(items, d.callItem(i, c))
	}
	ap := &e.ap
	ap.mu.Lock()
	starts, actions := slices.Clone(ap.starts), slices.Clone(ap.actions)
	users := make([]string, len(starts))
	for i, s := range starts {
		users[i] = ap.userOf(s.LaunchID)
	}
	ap.mu.Unlock()
	for i, s := range starts {
		items = append(items, d.startItem(i, s, users[i]))
	}
	for i, a := range actions {
		items = append(items, d.acsItem(i, a))
	}
	slices.SortStableFunc(items, func(a, b devLogItem) int { return b.at.Compare(a.at) })
	return items[:min(len(items), maxDevLogItems)]
}

// stepItem is a launch step: the login initiation, the authentication
// request with the id_token issued, the id_token posted to the tool.
func (d *devLMS) stepItem(i int, l LogEntry) devLogItem {
	it := devLogItem{Key: "step-" + strconv.Itoa(i), Time: clockTime(l.Time), at: l.Time, Kind: "launch",
		Who: d.who(l.Claims, l.Params.Get("login_hint"))}
	switch l.Step {
	case StepLogin:
		it.Title = "Login initiation → tool"
		it.Fields = paramFields(l.Params, "iss", "login_hint", "target_link_uri", "lti_message_hint", "client_id", "lti_deployment_id")
		it.Fields = append(it.Fields, keyValue{"sent to", l.Method + " " + l.URL})
		if l.Location != "" {
			it.Fields = append(it.Fields, keyValue{"the tool's redirect", l.Location})
		}
		switch {
		case l.Status == 0:
			it.Verdict, it.State = "sent by the browser", "info"
		case l.Status < 400:
			it.Verdict, it.State = "the tool accepted it: "+statusText(l.Status)+answerTo(l.Location), "ok"
		default:
			it.Verdict, it.State = "the tool refused it: "+statusText(l.Status)+codeText(l.Error), "bad"
		}
	case StepAuth:
		it.Title = "Authentication request ← tool"
		it.Fields = paramFields(l.Params, "scope", "response_type", "response_mode", "prompt", "client_id", "redirect_uri", "login_hint", "lti_message_hint", "state", "nonce")
		switch {
		case l.Error != "":
			it.Verdict, it.State = "the LMS refused it: "+l.Error, "bad"
		case len(l.Violations) > 0:
			it.Verdict, it.State = "id_token issued, but the request broke "+strconv.Itoa(len(l.Violations))+" rule(s)", "bad"
		default:
			it.Verdict, it.State = "checks passed: id_token issued", "ok"
		}
		if l.Claims != nil {
			it.Title = "Authentication request ← tool, id_token " + messageType(l.Claims)
			it.Blocks = append(it.Blocks, keyValue{"id_token claims", indentJSON(l.Claims)}, keyValue{"id_token header", indentJSON(l.Header)})
		}
		if l.IDToken != "" {
			it.JWT = &keyValue{"id_token", l.IDToken}
		}
	case StepLaunch:
		it.Title = "id_token posted → tool"
		it.Fields = []keyValue{{"sent to", l.Method + " " + l.URL}}
		if l.Status < 400 {
			it.Verdict, it.State = "the tool accepted the launch: "+statusText(l.Status)+answerTo(l.Location), "ok"
		} else {
			it.Verdict, it.State = "the tool refused the launch: "+statusText(l.Status)+codeText(l.Error), "bad"
		}
	}
	for _, v := range l.Violations {
		it.Violations = append(it.Violations, v.String())
	}
	return it
}

// deepLinkItem is a deep-linking response the tool posted.
func (d *devLMS) deepLinkItem(i int, r DeepLinkResponse) devLogItem {
	it := devLogItem{Key: "dl-" + strconv.Itoa(i), Time: clockTime(r.Time), at: r.Time, Kind: "deeplink",
		Title: "Deep-linking response ← tool", Fields: []keyValue{{"posted to", r.URL}}}
	for _, c := range r.Items {
		it.Fields = append(it.Fields, keyValue{c.Type, c.Title})
	}
	if r.Accepted() {
		it.Verdict, it.State = "checks passed: "+strconv.Itoa(len(r.Items))+" item(s) accepted", "ok"
	} else {
		it.Verdict, it.State = "the LMS refused it", "bad"
	}
	for _, v := range r.Violations {
		it.Violations = append(it.Violations, v.String())
	}
	if r.Claims != nil {
		it.Blocks = append(it.Blocks, keyValue{"JWT claims", indentJSON(r.Claims)}, keyValue{"JWT header", indentJSON(r.Header)})
	}
	if r.JWT != "" {
		it.JWT = &keyValue{"JWT", r.JWT}
	}
	return it
}

// tokenItem is a request to the token endpoint.
func tokenItem(i int, r TokenRequest) devLogItem {
	it := devLogItem{Key: "token-" + strconv.Itoa(i), Time: clockTime(r.Time), at: r.Time, Kind: "token",
		Title: "Access token request ← tool", Fields: paramFields(r.Params, "grant_type", "scope")}
	switch {
	case r.Status == http.StatusOK:
		it.Verdict, it.State = "checks passed: token granted for "+r.Scope, "ok"
	case r.Fault:
		it.Verdict, it.State = "an injected fault answered "+statusText(r.Status), "bad"
	default:
		it.Verdict, it.State = "the LMS refused it: "+statusText(r.Status)+" "+strings.TrimSpace(r.Rule+" "+r.Reason), "bad"
	}
	if r.Claims != nil {
		it.Blocks = append(it.Blocks, keyValue{"client assertion claims", indentJSON(r.Claims)})
	}
	return it
}

// callItem is a request to the grade or roster services.
func (d *devLMS) callItem(i int, c ServiceCall) devLogItem {
	it := devLogItem{Key: "call-" + strconv.Itoa(i), Time: clockTime(c.Time), at: c.Time, Kind: "ags",
		Title: serviceName(c.Endpoint) + " " + c.Method + " ← tool", Fields: []keyValue{{"URL", c.URL}}}
	if c.Endpoint == EndpointMemberships {
		it.Kind = "nrps"
	}
	if c.OK() {
		it.Verdict, it.State = statusText(c.Status), "ok"
	} else {
		it.Verdict, it.State = "the LMS refused it: "+statusText(c.Status), "bad"
	}
	if len(c.Request) > 0 {
		var s Score
		if c.Endpoint == EndpointScores {
			s, _ = parseScore(c.Request)
			it.Who = d.who(nil, s.UserID)
		}
		it.Blocks = append(it.Blocks, keyValue{"request " + c.RequestType, indentBody(c.Request)})
	}
	if len(c.Response) > 0 {
		it.Blocks = append(it.Blocks, keyValue{"response " + c.ResponseType, indentBody(c.Response)})
	}
	return it
}

// startItem is an LtiStartAssessment message the tool posted for userID's
// attempt, with the platform's verdict.
func (d *devLMS) startItem(i int, s AssessmentStart, userID string) devLogItem {
	it := devLogItem{Key: "start-" + strconv.Itoa(i), Time: clockTime(s.Time), at: s.Time, Kind: "proctoring",
		Title: "LtiStartAssessment ← tool", Who: d.who(nil, userID),
		Fields: []keyValue{{"posted to", d.e.issuer + apStartPath}}}
	if s.Accepted() {
		it.Verdict, it.State = "checks passed: attempt "+strconv.Itoa(s.AttemptNumber)+" started", "ok"
		it.Fields = append(it.Fields, keyValue{"end_assessment_return", strconv.FormatBool(s.EndAssessmentReturn)})
	} else {
		it.Verdict, it.State = "the LMS refused it: "+strconv.Itoa(len(s.Violations))+" rule(s) broken", "bad"
	}
	for _, v := range s.Violations {
		it.Violations = append(it.Violations, v.String())
	}
	if s.Claims != nil {
		it.Blocks = append(it.Blocks, keyValue{"JWT claims", indentJSON(s.Claims)}, keyValue{"JWT header", indentJSON(s.Header)})
	}
	if s.JWT != "" {
		it.JWT = &keyValue{"JWT", s.JWT}
	}
	return it
}

// acsItem is an Assessment Control request, with the platform's answer.
func (d *devLMS) acsItem(i int, a ProctoringAction) devLogItem {
	it := devLogItem{Key: "acs-" + strconv.Itoa(i), Time: clockTime(a.Time), at: a.Time, Kind: "acs",
		Title: "ACS " + cmp.Or(a.Action, "request") + " ← tool", Who: d.who(nil, a.UserID),
		Fields: []keyValue{{"posted to", d.e.issuer + apACSPath}}}
	if a.Accepted() {
		it.Verdict, it.State = statusText(a.Status)+": attempt "+a.Result, "ok"
	} else {
		it.Verdict, it.State = "the LMS refused it: "+statusText(a.Status), "bad"
		it.Violations = append(it.Violations, strings.TrimPrefix(a.Rule+": "+a.Reason, ": "))
	}
	if len(a.Raw) > 0 {
		it.Blocks = append(it.Blocks, keyValue{"request body", indentBody(a.Raw)})
	}
	if len(a.Response) > 0 {
		it.Blocks = append(it.Blocks, keyValue{"response body", indentBody(a.Response)})
	}
	return it
}

// serviceName names an endpoint for the log.
func serviceName(ep Endpoint) string {
	switch ep {
	case EndpointLineItems:
		return "AGS line items"
	case EndpointLineItem:
		return "AGS line item"
	case EndpointScores:
		return "AGS score"
	case EndpointResults:
		return "AGS results"
	case EndpointMemberships:
		return "NRPS memberships"
	}
	return string(ep)
}

// who names the user a message is about: the claims' name, or the course
// member userID.
func (d *devLMS) who(claims map[string]any, userID string) string {
	if n, _ := claims["name"].(string); n != "" {
		return n
	}
	if u, ok := d.user(userID); ok {
		return u.Name()
	}
	return userID
}

// messageType is the message type of claims, such as LtiResourceLinkRequest.
func messageType(claims map[string]any) string {
	s, _ := claims[ClaimMessageType].(string)
	return s
}

func paramFields(p map[string][]string, keys ...string) []keyValue {
	var out []keyValue
	for _, k := range keys {
		if vs, ok := p[k]; ok && len(vs) > 0 {
			out = append(out, keyValue{k, vs[0]})
		}
	}
	return out
}

func statusText(status int) string {
	if status == 0 {
		return "connection dropped"
	}
	return strconv.Itoa(status) + " " + http.StatusText(status)
}

// answerTo is where the answer sends the browser, without the query
// (the log entry's fields have it whole).
func answerTo(location string) string {
	if location == "" {
		return ""
	}
	u, _, _ := strings.Cut(location, "?")
	return " → " + u
}

func codeText(code string) string {
	if code == "" {
		return ""
	}
	return " (" + code + ")"
}

// indentJSON is v as indented JSON.
func indentJSON(v any) string {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err.Error()
	}
	return string(b)
}

// indentBody is a request or response body for the page: indented when it
// is JSON, as sent otherwise.
func indentBody(b []byte) string {
	var out bytes.Buffer
	if json.Indent(&out, b, "", "  ") == nil {
		return out.String()
	}
	return string(b)
}
