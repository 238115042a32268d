package tool

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"time"
)

// Lifetime of a deep-linking response JWT. The browser posts it at once;
// iat is set a few seconds back so that a platform whose clock lags behind
// the tool's (Moodle allows no leeway) does not see a token from the future.
const (
	deepLinkLifetime = 5 * time.Minute
	deepLinkBackdate = 5 * time.Second
)

// DeepLinkResponse builds the tool's answer to an LtiDeepLinkingRequest: the
// items the user picked, messages for the user and the platform's log, or
// an error. Get one from [Tool.DeepLinkResponse], add to it, then
// [DeepLinkResponse.Write] it to the browser (or [DeepLinkResponse.Sign]
// it to post it yourself):
//
//	err := t.DeepLinkResponse(l).
//		Add(tool.ResourceLinkItem{Title: "Quiz 1", URL: "https://tool.example/quiz/1",
//			LineItem: &tool.LineItem{ScoreMaximum: 10}}).
//		Message("Quiz 1 added").
//		Write(r.Context(), w)
//
// A response with no item tells the platform that nothing was selected.
// Nothing is checked until Sign: then every item is checked against the
// platform's settings, and a violation refuses the whole response with a
// [*DeepLinkError] naming the rule. A deep-linking request is answered
// once: after one successful Sign, further ones fail with
// [ErrDeepLinkUsed].
//
// A DeepLinkResponse is meant for one handler: it is not safe for
// concurrent use.
type DeepLinkResponse struct {
	t     *Tool
	l     *Launch
	items []ContentItem

	msg, log, errMsg, errLog string
}

// DeepLinkResponse starts the response to l, an LtiDeepLinkingRequest
// launch, typically restored by middleware.Session on the page where the
// user confirms the choice.
func (t *Tool) DeepLinkResponse(l *Launch) *DeepLinkResponse {
	return &DeepLinkResponse{t: t, l: l}
}

// Add appends items to the response, in the order the platform should
// create them.
func (r *DeepLinkResponse) Add(items ...ContentItem) *DeepLinkResponse {
	r.items = append(r.items, items...)
	return r
}

// Message sets msg, a message the platform shows the user (DL-RESP-06).
func (r *DeepLinkResponse) Message(msg string) *DeepLinkResponse {
	r.msg = msg
	return r
}

// Log sets log, a message for the platform's log (DL-RESP-06).
func (r *DeepLinkResponse) Log(log string) *DeepLinkResponse {
	r.log = log
	return r
}

// Error reports that the selection failed: errormsg is shown to the user,
// errorlog goes to the platform's log (DL-RESP-06). Either may be empty.
func (r *DeepLinkResponse) Error(errormsg, errorlog string) *DeepLinkResponse {
	r.errMsg, r.errLog = errormsg, errorlog
	return r
}

// deepLinkClaims is the payload of an LtiDeepLinkingResponse (DL-RESP-02 to
// DL-RESP-06).
type deepLinkClaims struct {
	toolMessageClaims
	Data         json.RawMessage   `json:"https://purl.imsglobal.org/spec/lti-dl/claim/data,omitempty"`
	ContentItems []json.RawMessage `json:"https://purl.imsglobal.org/spec/lti-dl/claim/content_items"`
	Msg          string            `json:"https://purl.imsglobal.org/spec/lti-dl/claim/msg,omitempty"`
	Log          string            `json:"https://purl.imsglobal.org/spec/lti-dl/claim/log,omitempty"`
	ErrorMsg     string            `json:"https://purl.imsglobal.org/spec/lti-dl/claim/errormsg,omitempty"`
	ErrorLog     string            `json:"https://purl.imsglobal.org/spec/lti-dl/claim/errorlog,omitempty"`
}

// Sign checks the response and returns it as a JWT signed with the tool's
// active key (kid in the header): iss the client_id, aud the platform's
// issuer, iat, a five-minute exp, a fresh nonce, the request's
// deployment_id, message_type LtiDeepLinkingResponse, version 1.3.0, the
// request's data echoed unchanged, the items, and the messages set.
//
// It fails with a [*DeepLinkError] when an item breaks a rule; with an
// [*Error] of CodeWrongMessageType when the launch is not a deep-linking
// request, CodeInvalidClaim when its deep_link_return_url is not an http(s)
// URL, CodeDeepLinkUsed when a response to the same request was already
// signed (Config.Store remembers it for Config.LaunchTTL), CodeStoreFailure
// or CodeSigningFailed. Only a successful Sign uses the request up.
func (r *DeepLinkResponse) Sign(ctx context.Context) (string, error) {
	s, err := r.settings()
	if err != nil {
		return "", err
	}
	if err := checkItems(r.items, s, r.t.ownsURL); err != nil {
		return "", err
	}
	l := r.l
	c := deepLinkClaims{
		toolMessageClaims: r.t.toolMessage(l, DeepLinkingResponse, deepLinkBackdate, deepLinkLifetime),
		Data:              l.deepLinkData(),
		ContentItems:      make([]json.RawMessage, len(r.items)),
		Msg:               r.msg,
		Log:               r.log,
		ErrorMsg:          r.errMsg,
		ErrorLog:          r.errLog,
	}
	for i, it := range r.items {
		if c.ContentItems[i], err = it.MarshalJSON(); err != nil {
			return "", &DeepLinkError{Code: CodeInvalidItem, Rule: "DL-CI-EXT", Item: i, Field: "extra", Detail: err.Error()}
		}
	}
	jws, err := r.t.signToolMessage(c, "response")
	if err != nil {
		return "", err
	}
	if err := r.t.cfg.Store.Add(ctx, "dl-used:"+r.useKey(), nil, r.t.cfg.LaunchTTL); errors.Is(err, ErrKeyExists) {
		return "", &Error{Code: CodeDeepLinkUsed, Issuer: l.Issuer, ClientID: l.ClientID,
			Detail: "a response to this deep-linking request was already sent; the user must start again from the platform"}
	} else if err != nil {
		return "", &Error{Code: CodeStoreFailure, Detail: "could not record the deep-linking response", Err: err}
	}
	return jws, nil
}

// settings returns the launch's deep-linking settings after checking that
// a response can be built for it.
func (r *DeepLinkResponse) settings() (*DeepLinkingSettings, error) {
	l := r.l
	switch {
	case l == nil || l.MessageType != DeepLinkingRequest || l.DeepLinking == nil:
		var got MessageType
		if l != nil {
			got = l.MessageType
		}
		return nil, &Error{Code: CodeWrongMessageType, Claim: "message_type",
			Detail: "a deep-linking response answers an LtiDeepLinkingRequest launch, not " + quote(string(got))}
	case l.ClientID == "" || l.Issuer == "" || l.DeploymentID == "":
		return nil, &Error{Code: CodeMissingClaim, Issuer: l.Issuer, ClientID: l.ClientID,
			Detail: "the launch needs Issuer, ClientID and DeploymentID to address the response"}
	case l.ID == "" && l.Nonce == "":
		return nil, &Error{Code: CodeMissingClaim, Claim: "nonce",
			Detail: "the launch has neither an ID (stored by Tool.HandleLaunch) nor a nonce, so its response cannot be limited to one"}
	}
	if _, err := returnURL(l.DeepLinking.DeepLinkReturnURL); err != nil {
		return nil, &Error{Code: CodeInvalidClaim, Claim: "deep_link_return_url", Issuer: l.Issuer, ClientID: l.ClientID, Detail: err.Error()}
	}
	return l.DeepLinking, nil
}

// useKey names the request in the Store: the stored launch's id, or for a
// launch that was only verified, its nonce, unique to one platform message.
func (r *DeepLinkResponse) useKey() string {
	if r.l.ID != "" {
		return r.l.ID
	}
	return "nonce:" + r.l.Nonce
}

// deepLinkData returns the request's data exactly as the platform sent it
// (DL-REQ-09, DL-RESP-04), or nil when it sent none. A launch built without
// a token falls back to DeepLinking.Data, as a string.
func (l *Launch) deepLinkData() json.RawMessage {
	if raw, ok := l.Claim("https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"); ok {
		var s struct {
			Data json.RawMessage `json:"data"`
		}
		if json.Unmarshal(raw, &s) == nil && len(s.Data) > 0 && !isJSONNull(s.Data) {
			return s.Data
		}
		return nil
	}
	if l.DeepLinking.Data == "" {
		return nil
	}
	b, _ := json.Marshal(l.DeepLinking.Data)
	return b
}

// marshalNoEscape is json.Marshal without HTML escaping, so that URLs keep
// their & as platforms print them.
func marshalNoEscape(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
