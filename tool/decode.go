package tool

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Decoding the id_token payload into a Launch.
//
// decodeLaunch runs on every launch, after the signature is verified. The
// payload is decoded in one encoding/json pass into wireLaunch, whose json
// tags are the full claim names and whose tolerant claim types (stringList,
// flexBool, ...) implement UnmarshalJSON; finishLaunch then copies the
// values into the Launch and normalises them. Only when that pass fails is
// the payload looked at again, claim by claim, to name the faulty claim.

// wireLaunch is the id_token payload as it arrives.
type wireLaunch struct {
	Iss   string     `json:"iss"`
	Sub   string     `json:"sub"`
	Aud   stringList `json:"aud"` // string or array (LTI-PROC-04)
	Azp   string     `json:"azp"`
	Exp   float64    `json:"exp"` // NaN when absent; may be a float (LTI-PROC-04)
	Iat   float64    `json:"iat"`
	Nbf   float64    `json:"nbf"`
	Nonce string     `json:"nonce"`

	Name       string `json:"name"`
	GivenName  string `json:"given_name"`
	FamilyName string `json:"family_name"`
	MiddleName string `json:"middle_name"`
	Email      string `json:"email"`
	Picture    string `json:"picture"`
	Locale     string `json:"locale"`

	MessageType        MessageType             `json:"https://purl.imsglobal.org/spec/lti/claim/message_type"`
	Version            string                  `json:"https://purl.imsglobal.org/spec/lti/claim/version"`
	DeploymentID       string                  `json:"https://purl.imsglobal.org/spec/lti/claim/deployment_id"`
	TargetLinkURI      string                  `json:"https://purl.imsglobal.org/spec/lti/claim/target_link_uri"`
	Roles              Roles                   `json:"https://purl.imsglobal.org/spec/lti/claim/roles"`
	RoleScopeMentor    []string                `json:"https://purl.imsglobal.org/spec/lti/claim/role_scope_mentor"`
	ResourceLink       *ResourceLink           `json:"https://purl.imsglobal.org/spec/lti/claim/resource_link"`
	Context            *ContextClaim           `json:"https://purl.imsglobal.org/spec/lti/claim/context"`
	ToolPlatform       *wireToolPlatform       `json:"https://purl.imsglobal.org/spec/lti/claim/tool_platform"`
	LaunchPresentation *wireLaunchPresentation `json:"https://purl.imsglobal.org/spec/lti/claim/launch_presentation"`
	Custom             customClaim             `json:"https://purl.imsglobal.org/spec/lti/claim/custom"`
	LIS                *LIS                    `json:"https://purl.imsglobal.org/spec/lti/claim/lis"`
	Ext                map[string]any          `json:"https://purl.imsglobal.org/spec/lti/claim/ext"`
	ForUser            *ForUser                `json:"https://purl.imsglobal.org/spec/lti/claim/for_user"`
	LTI1p1             *LTI1p1                 `json:"https://purl.imsglobal.org/spec/lti/claim/lti1p1"`
	LTI11LegacyUserID  string                  `json:"https://purl.imsglobal.org/spec/lti/claim/lti11_legacy_user_id"`

	AGS             *AGSEndpoint     `json:"https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"`
	NRPS            *NRPSService     `json:"https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"`
	DeepLinking     *wireDeepLinking `json:"https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"`
	BasicOutcome    *BasicOutcome    `json:"https://purl.imsglobal.org/spec/lti-bo/claim/basicoutcome"`
	BasicOutcomeOld *BasicOutcome    `json:"https://purl.imsglobal.org/spec/lti-bos/claim/basicoutcomesservice"`

	APAttemptNumber       flexInt        `json:"https://purl.imsglobal.org/spec/lti-ap/claim/attempt_number"`
	APStartAssessmentURL  string         `json:"https://purl.imsglobal.org/spec/lti-ap/claim/start_assessment_url"`
	APSessionData         *string        `json:"https://purl.imsglobal.org/spec/lti-ap/claim/session_data"`
	APEndAssessmentReturn flexBool       `json:"https://purl.imsglobal.org/spec/lti-ap/claim/end_assessment_return"`
	APSettings            *wireAPSetting `json:"https://purl.imsglobal.org/spec/lti-ap/claim/proctoring_settings"`
	APVerifiedUser        map[string]any `json:"https://purl.imsglobal.org/spec/lti-ap/claim/verified_user"`
	APACS                 *ACS           `json:"https://purl.imsglobal.org/spec/lti-ap/claim/acs"`
	APErrorMsg            *string        `json:"https://purl.imsglobal.org/spec/lti-ap/claim/errormsg"`
	APErrorLog            *string        `json:"https://purl.imsglobal.org/spec/lti-ap/claim/errorlog"`
	// OAT-based platforms send the error claims under names with stray
	// spaces, copied from OAT's constants (AP-04).
	APErrorMsgOAT *string `json:" https://purl.imsglobal.org/spec/lti-ap/claim/errormsg"`
	APErrorLogOAT *string `json:" https://purl.imsglobal.org/spec/lti-ap/claim/errorlog "`
}

type wireToolPlatform struct {
	GUID              string     `json:"guid"`
	Name              string     `json:"name"`
	ContactEmail      string     `json:"contact_email"`
	Description       string     `json:"description"`
	URL               string     `json:"url"`
	ProductFamilyCode string     `json:"product_family_code"`
	FamilyCode        string     `json:"family_code"` // older Moodle (LTI-CORE-09)
	Version           flexString `json:"version"`
}

type wireLaunchPresentation struct {
	DocumentTarget string   `json:"document_target"`
	Height         looseInt `json:"height"`
	Width          looseInt `json:"width"`
	ReturnURL      string   `json:"return_url"`
	Locale         string   `json:"locale"`
}

type wireDeepLinking struct {
	DeepLinkReturnURL                 string     `json:"deep_link_return_url"`
	AcceptTypes                       stringList `json:"accept_types"`
	AcceptPresentationDocumentTargets stringList `json:"accept_presentation_document_targets"`
	AcceptMediaTypes                  mediaTypes `json:"accept_media_types"`
	AcceptMultiple                    flexBool   `json:"accept_multiple"`
	AcceptLineItem                    flexBool   `json:"accept_lineitem"`
	AutoCreate                        flexBool   `json:"auto_create"`
	Title                             string     `json:"title"`
	Text                              string     `json:"text"`
	Data                              flexString `json:"data"`
}

type wireAPSetting struct {
	Data flexString `json:"data"`
}

// The range accepted for exp, iat and nbf: years 1 to 9999, the dates
// time.Time formats as RFC 3339. Anything outside is not a real date.
const (
	minNumericDate = -62135596800 // 0001-01-01T00:00:00Z
	maxNumericDate = 253402300799 // 9999-12-31T23:59:59Z
)

// decodeLaunch decodes a verified id_token payload into a Launch and keeps a
// copy of payload for [Launch.Claims]. It checks shapes only: a payload that
// is not a JSON object gives CodeMalformedToken, a claim of the wrong type
// gives CodeInvalidClaim with Error.Claim set to the claim name. Values
// (iss, aud, exp, nonce, deployment, required claims) are checked by the
// caller. It never panics.
//
// What the caller can rely on:
//   - Audience is nil when aud is absent or null, otherwise a list.
//   - IssuedAt, ExpiresAt, NotBefore are zero when the claim is absent or
//     null; fractional seconds are kept.
//   - Roles is nil when the roles claim is absent or null, and empty but not
//     nil for [] (LTI-ROLE-04 tells these apart).
//   - A JSON null claim is treated as absent.
func decodeLaunch(payload []byte) (*Launch, error) {
	if !isJSONObject(payload) {
		return nil, &Error{Code: CodeMalformedToken, Detail: "id_token payload is not a JSON object"}
	}
	w := wireLaunch{Exp: math.NaN(), Iat: math.NaN(), Nbf: math.NaN()}
	if err := json.Unmarshal(payload, &w); err != nil {
		if !json.Valid(payload) {
			return nil, &Error{Code: CodeMalformedToken, Detail: "id_token payload is not valid JSON", Err: err}
		}
		return nil, faultyClaim(payload, err)
	}
	return finishLaunch(&w, payload)
}

// faultyClaim finds the first claim, in document order, that made a valid
// JSON payload fail to decode, by decoding each claim alone.
func faultyClaim(payload []byte, err error) *Error {
	dec := json.NewDecoder(bytes.NewReader(payload))
	if _, terr := dec.Token(); terr == nil { // '{'
		for dec.More() {
			key, kerr := dec.Token()
			var value json.RawMessage
			if kerr != nil || dec.Decode(&value) != nil {
				break
			}
			name, _ := key.(string)
			one, _ := json.Marshal(map[string]json.RawMessage{name: value})
			w := wireLaunch{Exp: math.NaN(), Iat: math.NaN(), Nbf: math.NaN()}
			if cerr := json.Unmarshal(one, &w); cerr != nil {
				return invalidClaim(name, cerr)
			}
		}
	}
	return invalidClaim("payload", err)
}

// finishLaunch builds the Launch from a decoded payload: dates, role and
// context type normalisation, fallbacks between claim variants.
func finishLaunch(w *wireLaunch, payload []byte) (*Launch, error) {
	l := &Launch{
		Issuer:          w.Iss,
		Subject:         w.Sub,
		Audience:        []string(w.Aud),
		AuthorizedParty: w.Azp,
		Nonce:           w.Nonce,

		MessageType:   w.MessageType,
		Version:       w.Version,
		DeploymentID:  w.DeploymentID,
		TargetLinkURI: w.TargetLinkURI,

		Roles:           w.Roles,
		RoleScopeMentor: w.RoleScopeMentor,

		Name:       w.Name,
		GivenName:  w.GivenName,
		FamilyName: w.FamilyName,
		MiddleName: w.MiddleName,
		Email:      w.Email,
		Picture:    w.Picture,
		Locale:     w.Locale,

		ResourceLink:      w.ResourceLink,
		Context:           w.Context,
		LIS:               w.LIS,
		Ext:               w.Ext,
		AGS:               w.AGS,
		NRPS:              w.NRPS,
		ForUser:           w.ForUser,
		LTI1p1:            w.LTI1p1,
		LTI11LegacyUserID: w.LTI11LegacyUserID,
		BasicOutcome:      w.BasicOutcome,

		raw: bytes.Clone(payload),
	}

	var err *Error
	if l.ExpiresAt, err = numericDate(w.Exp, "exp"); err != nil {
		return nil, err
	}
	if l.IssuedAt, err = numericDate(w.Iat, "iat"); err != nil {
		return nil, err
	}
	if l.NotBefore, err = numericDate(w.Nbf, "nbf"); err != nil {
		return nil, err
	}

	normalizeRoles(l.Roles)
	if l.ForUser != nil {
		normalizeRoles(l.ForUser.Roles)
	}
	if l.Context != nil {
		for i, t := range l.Context.Type {
			l.Context.Type[i] = normalizeContextType(t)
		}
	}
	if l.BasicOutcome == nil {
		l.BasicOutcome = w.BasicOutcomeOld
	}
	l.Custom = map[string]string(w.Custom)
	if p := w.ToolPlatform; p != nil {
		l.ToolPlatform = &ToolPlatform{
			GUID:              p.GUID,
			Name:              p.Name,
			ContactEmail:      p.ContactEmail,
			Description:       p.Description,
			URL:               p.URL,
			ProductFamilyCode: p.ProductFamilyCode,
			Version:           string(p.Version),
		}
		if l.ToolPlatform.ProductFamilyCode == "" {
			l.ToolPlatform.ProductFamilyCode = p.FamilyCode
		}
	}
	if p := w.LaunchPresentation; p != nil {
		l.LaunchPresentation = &LaunchPresentation{
			DocumentTarget: p.DocumentTarget,
			Height:         int(p.Height),
			Width:          int(p.Width),
			ReturnURL:      p.ReturnURL,
			Locale:         p.Locale,
		}
	}
	if d := w.DeepLinking; d != nil {
		l.DeepLinking = &DeepLinkingSettings{
			DeepLinkReturnURL:                 d.DeepLinkReturnURL,
			AcceptTypes:                       []string(d.AcceptTypes),
			AcceptPresentationDocumentTargets: []string(d.AcceptPresentationDocumentTargets),
			AcceptMediaTypes:                  []string(d.AcceptMediaTypes),
			AcceptMultiple:                    d.AcceptMultiple.v,
			AcceptLineItem:                    d.AcceptLineItem.ptr(),
			AutoCreate:                        d.AutoCreate.v,
			Title:                             d.Title,
			Text:                              d.Text,
			Data:                              string(d.Data),
		}
	}
	l.Proctoring = w.proctoring()
	return l, nil
}

// proctoring gathers the lti-ap claims; nil when none is present.
func (w *wireLaunch) proctoring() *Proctoring {
	errMsg, errLog := firstString(w.APErrorMsg, w.APErrorMsgOAT), firstString(w.APErrorLog, w.APErrorLogOAT)
	if !w.APAttemptNumber.set && w.APStartAssessmentURL == "" && w.APSessionData == nil &&
		!w.APEndAssessmentReturn.set && w.APSettings == nil && w.APVerifiedUser == nil &&
		w.APACS == nil && errMsg == nil && errLog == nil {
		return nil
	}
	p := &Proctoring{
		AttemptNumber:       w.APAttemptNumber.v,
		StartAssessmentURL:  w.APStartAssessmentURL,
		EndAssessmentReturn: w.APEndAssessmentReturn.v,
		VerifiedUser:        newVerifiedUser(w.APVerifiedUser),
		ACS:                 w.APACS,
	}
	if w.APSessionData != nil {
		p.SessionData = *w.APSessionData
	}
	if w.APSettings != nil {
		p.SettingsData = string(w.APSettings.Data)
	}
	if errMsg != nil {
		p.ErrorMsg = strings.TrimSpace(*errMsg)
	}
	if errLog != nil {
		p.ErrorLog = strings.TrimSpace(*errLog)
	}
	return p
}

func firstString(a, b *string) *string {
	if a != nil {
		return a
	}
	return b
}

// normalizeRoles parses every role in place (see ParseRole).
func normalizeRoles(rs Roles) {
	for i, r := range rs {
		rs[i] = ParseRole(string(r))
	}
}

// numericDate converts a JWT NumericDate (seconds since the epoch, possibly
// fractional) to a time; NaN, the "absent" marker, gives the zero time.
func numericDate(f float64, claim string) (time.Time, *Error) {
	if math.IsNaN(f) {
		return time.Time{}, nil
	}
	if f < minNumericDate || f > maxNumericDate {
		return time.Time{}, &Error{Code: CodeInvalidClaim, Claim: claim,
			Detail: "date out of range (years 1 to 9999)"}
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC(), nil
}

// isJSONObject reports whether b, after leading white space, starts an object.
func isJSONObject(b []byte) bool {
	for _, c := range b {
		switch c {
		case ' ', '\t', '\n', '\r':
			continue
		case '{':
			return true
		}
		return false
	}
	return false
}

// invalidClaim describes a claim of the wrong shape without echoing its
// value. The claim is named like the rest of the package names claims: the
// last segment of its name ("roles", "endpoint"), with the member path when
// the fault is inside it ("context.type").
func invalidClaim(name string, err error) *Error {
	claim := strings.TrimSpace(name)
	claim = claim[strings.LastIndexByte(claim, '/')+1:]
	detail := "wrong JSON type"
	var te *json.UnmarshalTypeError
	var ce *claimShapeError
	switch {
	case errors.As(err, &te):
		// te.Value names the JSON type ("number", "array"); drop the number
		// literal encoding/json appends for numbers.
		got, _, _ := strings.Cut(te.Value, " ")
		detail = fmt.Sprintf("got JSON %s, want %s", got, te.Type)
		// te.Field is the path from the payload's top level: the claim's
		// full name, then the members inside it.
		if rest, ok := strings.CutPrefix(te.Field, name); ok && rest != "" {
			claim += rest
		}
		err = nil
	case errors.As(err, &ce):
		detail, err = "want "+ce.want, nil
	}
	return &Error{Code: CodeInvalidClaim, Claim: claim, Detail: detail, Err: err}
}

// claimShapeError is returned by the tolerant claim types below.
type claimShapeError struct{ want string }

func (e *claimShapeError) Error() string { return "tool: want " + e.want }

func isJSONNull(b []byte) bool { return string(b) == "null" }

// unquoteJSON decodes a JSON string literal. Plain literals (no escapes,
// valid UTF-8: nearly all of them) are converted directly.
func unquoteJSON(b []byte) (string, error) {
	n := len(b)
	if n >= 2 && b[0] == '"' && b[n-1] == '"' {
		inner := b[1 : n-1]
		plain := true
		for _, c := range inner {
			if c == '\\' || c == '"' || c < 0x20 {
				plain = false
				break
			}
		}
		if plain && utf8.Valid(inner) {
			return string(inner), nil
		}
	}
	var s string
	err := json.Unmarshal(b, &s)
	return s, err
}

// stringList is a string or an array of strings (aud, accept_types). null
// leaves it nil.
type stringList []string

func (l *stringList) UnmarshalJSON(b []byte) error {
	switch {
	case isJSONNull(b):
		*l = nil
		return nil
	case len(b) > 0 && b[0] == '"':
		s, err := unquoteJSON(b)
		if err != nil {
			return err
		}
		*l = stringList{s}
		return nil
	case len(b) > 0 && b[0] == '[':
		var v []string
		if err := json.Unmarshal(b, &v); err != nil {
			return err
		}
		*l = v
		return nil
	}
	return &claimShapeError{"a string or an array of strings"}
}

// mediaTypes is accept_media_types: a comma-separated string (DL spec) or an
// array (JSON schema, Moodle) (DL-REQ-04). Items are trimmed; empty ones
// dropped.
type mediaTypes []string

func (m *mediaTypes) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		s, err := unquoteJSON(b)
		if err != nil {
			return err
		}
		var out []string
		for part := range strings.SplitSeq(s, ",") {
			if part = strings.TrimSpace(part); part != "" {
				out = append(out, part)
			}
		}
		*m = out
		return nil
	}
	return (*stringList)(m).UnmarshalJSON(b)
}

// flexString is a string; a number, boolean, object or array is kept as its
// JSON text and null as "".
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	switch {
	case isJSONNull(b):
		*f = ""
	case len(b) > 0 && b[0] == '"':
		s, err := unquoteJSON(b)
		if err != nil {
			return err
		}
		*f = flexString(s)
	default:
		*f = flexString(b)
	}
	return nil
}

// customClaim is the custom claim (LTI-CORE-11). Values should be strings,
// but a tool must tolerate others: a null value drops the key (null is not
// a valid value, and keeping the key with "" would look like a substitution
// that resolved to the empty string), and any other non-string is kept as
// its JSON text, e.g. "42", "true" or `{"a":1}`.
type customClaim map[string]string

// UnmarshalJSON implements json.Unmarshaler.
func (c *customClaim) UnmarshalJSON(b []byte) error {
	if isJSONNull(b) {
		*c = nil
		return nil
	}
	var m map[string]customValue
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	if *c == nil {
		*c = make(customClaim, len(m))
	}
	for k, v := range m {
		if v.null {
			delete(*c, k)
		} else {
			(*c)[k] = v.s
		}
	}
	return nil
}

// customValue is one value of the custom claim, for customClaim.
type customValue struct {
	s    string
	null bool
}

func (c *customValue) UnmarshalJSON(b []byte) error {
	switch {
	case isJSONNull(b):
		*c = customValue{null: true}
	case len(b) > 0 && b[0] == '"':
		s, err := unquoteJSON(b)
		if err != nil {
			return err
		}
		*c = customValue{s: s}
	default:
		*c = customValue{s: string(b)}
	}
	return nil
}

// flexBool is a boolean, also accepted as the string "true" or "false" in any
// case (DL-REQ-05). set records presence: null leaves it unset.
type flexBool struct{ set, v bool }

func (f *flexBool) UnmarshalJSON(b []byte) error {
	if isJSONNull(b) {
		*f = flexBool{}
		return nil
	}
	s := string(b)
	if len(b) > 0 && b[0] == '"' {
		u, err := unquoteJSON(b)
		if err != nil {
			return err
		}
		s = strings.ToLower(strings.TrimSpace(u))
	}
	switch s {
	case "true":
		*f = flexBool{set: true, v: true}
		return nil
	case "false":
		*f = flexBool{set: true, v: false}
		return nil
	}
	return &claimShapeError{`a boolean or "true"/"false"`}
}

// ptr returns the tri-state value: nil when unset.
func (f flexBool) ptr() *bool {
	if !f.set {
		return nil
	}
	v := f.v
	return &v
}

// flexInt is an integer, also accepted as a numeric string or an integral
// float such as 2.0 (attempt_number). null leaves it unset.
type flexInt struct {
	set bool
	v   int
}

func (f *flexInt) UnmarshalJSON(b []byte) error {
	if isJSONNull(b) {
		*f = flexInt{}
		return nil
	}
	if n, ok := parseIntJSON(b, false); ok {
		*f = flexInt{set: true, v: n}
		return nil
	}
	return &claimShapeError{"an integer"}
}

// looseInt is a pixel size in launch_presentation: a number or numeric
// string, truncated to an integer. Anything else, including null, is 0 and
// never an error: the claim is advisory.
type looseInt int

func (l *looseInt) UnmarshalJSON(b []byte) error {
	n, _ := parseIntJSON(b, true)
	*l = looseInt(n)
	return nil
}

// parseIntJSON parses a JSON number or a string holding one. Fractions are
// truncated when truncate is set and refused otherwise. Values beyond ±2^31-1
// are refused so the result fits an int everywhere.
func parseIntJSON(b []byte, truncate bool) (int, bool) {
	s := string(b)
	if len(b) > 0 && b[0] == '"' {
		u, err := unquoteJSON(b)
		if err != nil {
			return 0, false
		}
		s = strings.TrimSpace(u)
	}
	if n, err := strconv.ParseInt(s, 10, 32); err == nil {
		return int(n), true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	t := math.Trunc(f)
	if t != f && !truncate {
		return 0, false
	}
	f = t
	if f < math.MinInt32 || f > math.MaxInt32 {
		return 0, false
	}
	return int(f), true
}

// Claims decodes the whole verified id_token payload into v with
// encoding/json, for claims the Launch does not model: vendor extensions,
// platform-specific claims, or a richer view of a standard one.
//
//	var c struct {
//		Ext struct {
//			Username string `json:"user_username"`
//		} `json:"https://purl.imsglobal.org/spec/lti/claim/ext"`
//	}
//	err := l.Claims(&c)
func (l *Launch) Claims(v any) error {
	if len(l.raw) == 0 {
		return errors.New("tool: launch has no id_token payload")
	}
	if err := json.Unmarshal(l.raw, v); err != nil {
		return fmt.Errorf("tool: launch claims: %w", err)
	}
	return nil
}

// Claim returns the JSON value of the top-level claim name, exactly as the
// platform sent it, and whether the claim is present (a JSON null counts as
// present). It decodes the payload on every call; use [Launch.Claims] to read
// several claims.
func (l *Launch) Claim(name string) (json.RawMessage, bool) {
	if len(l.raw) == 0 {
		return nil, false
	}
	var claims map[string]json.RawMessage
	if err := json.Unmarshal(l.raw, &claims); err != nil {
		return nil, false
	}
	v, ok := claims[name]
	return v, ok
}

// RawClaims returns a copy of the verified id_token payload (JSON), or nil
// for a launch that was not decoded from a token.
func (l *Launch) RawClaims() []byte { return bytes.Clone(l.raw) }

// Anonymous reports whether the launch has no user: the platform omitted sub
// (LTI-CORE-04). Such launches are refused unless the registration sets
// Platform.AllowAnonymous.
func (l *Launch) Anonymous() bool { return l.Subject == "" }
