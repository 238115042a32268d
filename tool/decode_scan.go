package tool

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// scanner decodes an id_token payload into a wireLaunch in one pass. It is a
// validating JSON reader (RFC 8259, the grammar encoding/json accepts) with
// hand-written decoders for the claims every launch carries; rarer claims are
// handed to encoding/json as the sub-slice of their value, already validated.
//
// It mirrors what json.Unmarshal into wireLaunch does, and the tests hold it
// to that (decode_test.go, fuzz_test.go): null leaves a string or number
// unchanged and sets a pointer, map or slice to nil; a repeated object claim
// is merged into the first; invalid UTF-8 and lone surrogates become U+FFFD;
// nesting deeper than 10000 is an error. One deliberate difference: claim
// names match exactly (RFC 7519 names are case-sensitive), where
// encoding/json also accepts a case-insensitive match.
//
// Errors: a syntax error anywhere makes the payload malformed and wins over
// any claim error; otherwise the first claim of the wrong shape, in document
// order, is reported. After an error the scanner stops (pos = len).
type scanner struct {
	data   []byte
	src    string // data as a string: strings without escapes are slices of it
	pos    int
	depth  int
	keyAt  int // offsets of the last key() in data, keyAt -1 when decoded
	keyEnd int
	err    error  // first syntax error
	bad    *Error // first claim of the wrong shape
}

// floatType is reported in errors for numbers a float64 cannot hold.
var floatType = reflect.TypeFor[float64]()

// maxScanDepth is encoding/json's nesting limit.
const maxScanDepth = 10000

func (s *scanner) syntax(msg string) {
	if s.err == nil {
		s.err = fmt.Errorf("%s at offset %d", msg, s.pos)
	}
	s.pos = len(s.data)
}

// mismatch records that claim has the wrong JSON type and skips the value.
func (s *scanner) mismatch(claim, want string) {
	if s.bad == nil {
		got := "value"
		switch s.peek() {
		case '"':
			got = "string"
		case '{':
			got = "object"
		case '[':
			got = "array"
		case 't', 'f':
			got = "boolean"
		case 'n':
			got = "null"
		default:
			got = "number"
		}
		s.bad = &Error{Code: CodeInvalidClaim, Claim: claim, Detail: "got JSON " + got + ", want " + want}
	}
	s.skipValue()
}

// invalid records err, from decoding claim's value, as a claim error.
func (s *scanner) invalid(claim string, err error) {
	if s.bad == nil {
		s.bad = invalidClaim(claim, err)
	}
}

// peek skips white space and returns the next byte, or 0 at the end (a NUL
// byte in the payload also reads as 0; it is never valid where peek looks).
func (s *scanner) peek() byte {
	for s.pos < len(s.data) {
		switch c := s.data[s.pos]; c {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return c
		}
	}
	return 0
}

// consume skips white space and c, or records a syntax error.
func (s *scanner) consume(c byte) bool {
	if s.peek() != c {
		s.syntax("expected " + strconv.QuoteRune(rune(c)))
		return false
	}
	s.pos++
	return true
}

// literal consumes true, false or null at pos.
func (s *scanner) literal() {
	for _, lit := range [...]string{"true", "false", "null"} {
		if len(s.data)-s.pos >= len(lit) && string(s.data[s.pos:s.pos+len(lit)]) == lit {
			s.pos += len(lit)
			return
		}
	}
	s.syntax("invalid literal")
}

// null consumes a null literal if one is next.
func (s *scanner) null() bool {
	if s.peek() == 'n' && len(s.data)-s.pos >= 4 && string(s.data[s.pos:s.pos+4]) == "null" {
		s.pos += 4
		return true
	}
	return false
}

// number consumes a JSON number at pos and returns its text.
func (s *scanner) number() []byte {
	d, start := s.data, s.pos
	i := start
	digits := func() bool {
		j := i
		for i < len(d) && '0' <= d[i] && d[i] <= '9' {
			i++
		}
		return i > j
	}
	if i < len(d) && d[i] == '-' {
		i++
	}
	switch {
	case i < len(d) && d[i] == '0':
		i++
	case !digits():
		s.syntax("invalid number")
		return nil
	}
	if i < len(d) && d[i] == '.' {
		i++
		if !digits() {
			s.syntax("invalid number")
			return nil
		}
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		if !digits() {
			s.syntax("invalid number")
			return nil
		}
	}
	s.pos = i
	return d[start:i]
}

// enter and leave track container nesting.
func (s *scanner) enter() bool {
	if s.depth++; s.depth > maxScanDepth {
		s.syntax("nesting too deep")
		return false
	}
	return true
}

func (s *scanner) leave() { s.depth-- }

// skipValue consumes one JSON value of any kind, validating it.
func (s *scanner) skipValue() {
	switch c := s.peek(); {
	case c == '"':
		s.skipString()
	case c == '{':
		s.object(func([]byte) bool { s.skipValue(); return true })
	case c == '[':
		s.array(func() bool { s.skipValue(); return true })
	case c == 't' || c == 'f' || c == 'n':
		s.literal()
	case c == '-' || '0' <= c && c <= '9':
		s.number()
	default:
		s.syntax("expected a value")
	}
}

// rawValue consumes one value and returns its text, or nil after a syntax
// error.
func (s *scanner) rawValue() []byte {
	s.peek()
	start := s.pos
	s.skipValue()
	if s.err != nil {
		return nil
	}
	return s.data[start:s.pos]
}

// object consumes an object at pos, calling member with each key (valid
// only during the call) after the colon; member must consume the value and
// may return false to stop after a syntax error.
func (s *scanner) object(member func(key []byte) bool) {
	if !s.consume('{') || !s.enter() {
		return
	}
	defer s.leave()
	if s.peek() == '}' {
		s.pos++
		return
	}
	for s.err == nil {
		if s.peek() != '"' {
			s.syntax("expected a member name")
			return
		}
		key := s.key()
		if !s.consume(':') || !member(key) || s.err != nil {
			return
		}
		switch s.peek() {
		case ',':
			s.pos++
		case '}':
			s.pos++
			return
		default:
			s.syntax("expected ',' or '}'")
			return
		}
	}
}

// array consumes an array at pos, calling elem for each element.
func (s *scanner) array(elem func() bool) {
	if !s.consume('[') || !s.enter() {
		return
	}
	defer s.leave()
	if s.peek() == ']' {
		s.pos++
		return
	}
	for s.err == nil {
		if !elem() || s.err != nil {
			return
		}
		switch s.peek() {
		case ',':
			s.pos++
		case ']':
			s.pos++
			return
		default:
			s.syntax("expected ',' or ']'")
			return
		}
	}
}

// key consumes a string at pos and returns its decoded bytes; they alias the
// payload when the name has no escapes.
func (s *scanner) key() []byte {
	start := s.pos + 1
	for i := start; i < len(s.data); i++ {
		switch c := s.data[i]; {
		case c == '"':
			s.pos = i + 1
			s.keyAt, s.keyEnd = start, i
			return s.data[start:i]
		case c == '\\' || c < 0x20 || c >= utf8.RuneSelf:
			s.keyAt = -1
			return s.unquote(start, i)
		}
	}
	s.syntax("unterminated string")
	return nil
}

// keyString returns key, the result of the last key() call, as a string.
// Call it before reading the member's value.
func (s *scanner) keyString(key []byte) string {
	if s.keyAt >= 0 && s.keyEnd-s.keyAt == len(key) {
		return s.src[s.keyAt:s.keyEnd]
	}
	return string(key)
}

// str consumes a string at pos and returns it. Strings without escapes or
// invalid UTF-8, nearly all of them, are slices of s.src: no allocation.
func (s *scanner) str() string {
	start := s.pos + 1
	d := s.data
	for i := start; i < len(d); {
		c := d[i]
		switch {
		case c == '"':
			s.pos = i + 1
			return s.src[start:i]
		case c == '\\' || c < 0x20:
			return string(s.unquote(start, i))
		case c < utf8.RuneSelf:
			i++
		default:
			r, size := utf8.DecodeRune(d[i:])
			if r == utf8.RuneError && size == 1 {
				return string(s.unquote(start, i))
			}
			i += size
		}
	}
	s.syntax("unterminated string")
	return ""
}

// unquote decodes the string that starts at start (after the quote), whose
// bytes before i need no decoding, exactly as encoding/json does.
func (s *scanner) unquote(start, i int) []byte {
	d := s.data
	buf := make([]byte, 0, i-start+8)
	buf = append(buf, d[start:i]...)
	for i < len(d) {
		c := d[i]
		switch {
		case c == '"':
			s.pos = i + 1
			return buf
		case c == '\\':
			if i+1 >= len(d) {
				s.pos = i
				s.syntax("unterminated string")
				return nil
			}
			switch e := d[i+1]; e {
			case '"', '\\', '/':
				buf = append(buf, e)
			case 'b':
				buf = append(buf, '\b')
			case 'f':
				buf = append(buf, '\f')
			case 'n':
				buf = append(buf, '\n')
			case 'r':
				buf = append(buf, '\r')
			case 't':
				buf = append(buf, '\t')
			case 'u':
				r := hex4(d[i+2:])
				if r < 0 {
					s.pos = i
					s.syntax("invalid \\u escape")
					return nil
				}
				i += 6
				if utf16.IsSurrogate(r) {
					// A pair decodes to one rune; anything else is U+FFFD
					// and the next escape is read on its own.
					r2 := rune(-1)
					if len(d)-i >= 6 && d[i] == '\\' && d[i+1] == 'u' {
						r2 = hex4(d[i+2:])
					}
					if dec := utf16.DecodeRune(r, r2); dec != unicode.ReplacementChar {
						r = dec
						i += 6
					} else {
						r = unicode.ReplacementChar
					}
				}
				buf = utf8.AppendRune(buf, r)
				continue
			default:
				s.pos = i
				s.syntax("invalid escape")
				return nil
			}
			i += 2
		case c < 0x20:
			s.pos = i
			s.syntax("control character in string")
			return nil
		case c < utf8.RuneSelf:
			buf = append(buf, c)
			i++
		default:
			r, size := utf8.DecodeRune(d[i:])
			if r == utf8.RuneError && size == 1 {
				buf = utf8.AppendRune(buf, unicode.ReplacementChar)
			} else {
				buf = append(buf, d[i:i+size]...)
			}
			i += size
		}
	}
	s.pos = len(d)
	s.syntax("unterminated string")
	return nil
}

// hex4 parses the four hex digits at the start of b, or returns -1.
func hex4(b []byte) rune {
	if len(b) < 4 {
		return -1
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r<<4 | rune(c)
	}
	return r
}

// skipString validates and consumes a string without decoding it.
func (s *scanner) skipString() {
	d := s.data
	for i := s.pos + 1; i < len(d); i++ {
		switch c := d[i]; {
		case c == '"':
			s.pos = i + 1
			return
		case c == '\\':
			if i+1 >= len(d) {
				break
			}
			switch d[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i++
			case 'u':
				if hex4(d[i+2:]) < 0 {
					s.pos = i
					s.syntax("invalid \\u escape")
					return
				}
				i += 5
			default:
				s.pos = i
				s.syntax("invalid escape")
				return
			}
		case c < 0x20:
			s.pos = i
			s.syntax("control character in string")
			return
		}
	}
	s.pos = len(d)
	s.syntax("unterminated string")
}

// The typed readers below follow encoding/json: on null a string or number
// keeps its value and a pointer, slice or map becomes nil; any other wrong
// type is a claim error.

// setString reads a string claim into p.
func (s *scanner) setString(p *string, claim string) {
	switch s.peek() {
	case '"':
		*p = s.str()
	case 'n':
		if !s.null() {
			s.syntax("invalid literal")
		}
	default:
		s.mismatch(claim, "string")
	}
}

// setStringPtr reads a string claim into a *string field.
func (s *scanner) setStringPtr(p **string, claim string) {
	if s.null() {
		*p = nil
		return
	}
	if s.peek() != '"' {
		s.mismatch(claim, "string")
		return
	}
	v := s.str()
	if *p == nil {
		*p = new(string)
	}
	**p = v
}

// setFloat reads a number claim (exp, iat, nbf) into p.
func (s *scanner) setFloat(p *float64, claim string) {
	switch c := s.peek(); {
	case c == '-' || '0' <= c && c <= '9':
		text := s.number()
		if s.err != nil {
			return
		}
		f, err := strconv.ParseFloat(string(text), 64)
		if err != nil {
			s.invalid(claim, &json.UnmarshalTypeError{Value: "number", Type: floatType})
			return
		}
		*p = f
	case c == 'n':
		if !s.null() {
			s.syntax("invalid literal")
		}
	default:
		s.mismatch(claim, "number")
	}
}

// setStrings reads an array of strings into p (role_scope_mentor, scope).
func (s *scanner) setStrings(p *[]string, claim string) {
	if s.null() {
		*p = nil
		return
	}
	if s.peek() != '[' {
		s.mismatch(claim, "array of strings")
		return
	}
	out := (*p)[:0]
	if out == nil {
		out = []string{}
	}
	s.array(func() bool {
		switch {
		case s.peek() == '"':
			out = append(out, s.str())
		case s.null(): // like encoding/json: the zero value
			out = append(out, "")
		default:
			s.mismatch(claim, "array of strings")
		}
		return true
	})
	*p = out
}

// setRoles reads the roles claim (or for_user.roles).
func (s *scanner) setRoles(p *Roles, claim string) {
	if s.null() {
		*p = nil
		return
	}
	if s.peek() != '[' {
		s.mismatch(claim, "array of strings")
		return
	}
	out := (*p)[:0]
	if out == nil {
		out = make(Roles, 0, 4)
	}
	s.array(func() bool {
		switch {
		case s.peek() == '"':
			out = append(out, Role(s.str()))
		case s.null(): // like encoding/json: the zero value
			out = append(out, "")
		default:
			s.mismatch(claim, "array of strings")
		}
		return true
	})
	*p = out
}

// setObject reads an object claim: set(true) on null (the field becomes
// nil), set(false) when an object starts (the field is allocated unless a
// repeated claim already did, so repeated claims merge like encoding/json),
// then member for each key.
func (s *scanner) setObject(claim string, set func(isNull bool), member func(key []byte)) {
	switch s.peek() {
	case '{':
		set(false)
		s.object(func(key []byte) bool { member(key); return true })
	case 'n':
		if !s.null() {
			s.syntax("invalid literal")
			return
		}
		set(true)
	default:
		s.mismatch(claim, "object")
	}
}

// unmarshaler hands the value's text to u (a tolerant claim type).
func (s *scanner) unmarshaler(u json.Unmarshaler, claim string) {
	raw := s.rawValue()
	if raw == nil {
		return
	}
	if err := u.UnmarshalJSON(raw); err != nil {
		s.invalid(claim, err)
	}
}

// std decodes the value with encoding/json into v, for rare claims.
func (s *scanner) std(v any, claim string) {
	raw := s.rawValue()
	if raw == nil {
		return
	}
	if err := json.Unmarshal(raw, v); err != nil {
		s.invalid(claim, err)
	}
}

// anyValue reads any value as encoding/json decodes into an interface:
// map[string]any, []any, string, float64, bool or nil.
func (s *scanner) anyValue(claim string) any {
	switch c := s.peek(); {
	case c == '"':
		return s.str()
	case c == '{':
		m := map[string]any{}
		s.object(func(key []byte) bool {
			k := s.keyString(key)
			m[k] = s.anyValue(claim)
			return true
		})
		return m
	case c == '[':
		a := []any{}
		s.array(func() bool {
			a = append(a, s.anyValue(claim))
			return true
		})
		return a
	case c == 't':
		s.literal()
		return true
	case c == 'f':
		s.literal()
		return false
	case c == 'n':
		s.literal()
		return nil
	case c == '-' || '0' <= c && c <= '9':
		text := s.number()
		if s.err != nil {
			return nil
		}
		f, err := strconv.ParseFloat(string(text), 64)
		if err != nil {
			s.invalid(claim, &json.UnmarshalTypeError{Value: "number", Type: floatType})
			return nil
		}
		return f
	}
	s.syntax("expected a value")
	return nil
}

// setAnyMap reads an object claim into a map[string]any (ext).
func (s *scanner) setAnyMap(p *map[string]any, claim string) {
	s.setObject(claim, func(isNull bool) {
		if isNull {
			*p = nil
		} else if *p == nil {
			*p = map[string]any{}
		}
	}, func(key []byte) {
		k := s.keyString(key)
		(*p)[k] = s.anyValue(claim)
	})
}

// launch reads the whole payload.
func (s *scanner) launch(w *wireLaunch) {
	s.object(func(key []byte) bool {
		s.claim(w, key)
		return true
	})
	if s.peek(); s.err == nil && s.pos < len(s.data) {
		s.syntax("data after the payload object")
	}
}

// The claim names, as in the json tags of wireLaunch.
const (
	scanLTI  = "https://purl.imsglobal.org/spec/lti/claim/"
	scanAGS  = "https://purl.imsglobal.org/spec/lti-ags/claim/"
	scanNRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/"
	scanDL   = "https://purl.imsglobal.org/spec/lti-dl/claim/"
	scanAP   = "https://purl.imsglobal.org/spec/lti-ap/claim/"
)

// claim reads the value of the top-level claim key.
func (s *scanner) claim(w *wireLaunch, key []byte) {
	switch string(key) {
	case "iss":
		s.setString(&w.Iss, "iss")
	case "sub":
		s.setString(&w.Sub, "sub")
	case "aud":
		s.unmarshaler(&w.Aud, "aud")
	case "azp":
		s.setString(&w.Azp, "azp")
	case "exp":
		s.setFloat(&w.Exp, "exp")
	case "iat":
		s.setFloat(&w.Iat, "iat")
	case "nbf":
		s.setFloat(&w.Nbf, "nbf")
	case "nonce":
		s.setString(&w.Nonce, "nonce")
	case "name":
		s.setString(&w.Name, "name")
	case "given_name":
		s.setString(&w.GivenName, "given_name")
	case "family_name":
		s.setString(&w.FamilyName, "family_name")
	case "middle_name":
		s.setString(&w.MiddleName, "middle_name")
	case "email":
		s.setString(&w.Email, "email")
	case "picture":
		s.setString(&w.Picture, "picture")
	case "locale":
		s.setString(&w.Locale, "locale")

	case scanLTI + "message_type":
		s.setString((*string)(&w.MessageType), "message_type")
	case scanLTI + "version":
		s.setString(&w.Version, "version")
	case scanLTI + "deployment_id":
		s.setString(&w.DeploymentID, "deployment_id")
	case scanLTI + "target_link_uri":
		s.setString(&w.TargetLinkURI, "target_link_uri")
	case scanLTI + "roles":
		s.setRoles(&w.Roles, "roles")
	case scanLTI + "role_scope_mentor":
		s.setStrings(&w.RoleScopeMentor, "role_scope_mentor")
	case scanLTI + "resource_link":
		s.setObject("resource_link", func(isNull bool) {
			if isNull {
				w.ResourceLink = nil
			} else if w.ResourceLink == nil {
				w.ResourceLink = new(ResourceLink)
			}
		}, func(k []byte) { s.resourceLink(w.ResourceLink, k) })
	case scanLTI + "context":
		s.setObject("context", func(isNull bool) {
			if isNull {
				w.Context = nil
			} else if w.Context == nil {
				w.Context = new(ContextClaim)
			}
		}, func(k []byte) { s.context(w.Context, k) })
	case scanLTI + "tool_platform":
		s.setObject("tool_platform", func(isNull bool) {
			if isNull {
				w.ToolPlatform = nil
			} else if w.ToolPlatform == nil {
				w.ToolPlatform = new(wireToolPlatform)
			}
		}, func(k []byte) { s.toolPlatform(w.ToolPlatform, k) })
	case scanLTI + "launch_presentation":
		s.setObject("launch_presentation", func(isNull bool) {
			if isNull {
				w.LaunchPresentation = nil
			} else if w.LaunchPresentation == nil {
				w.LaunchPresentation = new(wireLaunchPresentation)
			}
		}, func(k []byte) { s.launchPresentation(w.LaunchPresentation, k) })
	case scanLTI + "custom":
		s.custom(w)
	case scanLTI + "lis":
		s.setObject("lis", func(isNull bool) {
			if isNull {
				w.LIS = nil
			} else if w.LIS == nil {
				w.LIS = new(LIS)
			}
		}, func(k []byte) { s.lis(w.LIS, k) })
	case scanLTI + "ext":
		s.setAnyMap(&w.Ext, "ext")
	case scanLTI + "for_user":
		s.std(&w.ForUser, "for_user")
	case scanLTI + "lti1p1":
		s.std(&w.LTI1p1, "lti1p1")
	case scanLTI + "lti11_legacy_user_id":
		s.setString(&w.LTI11LegacyUserID, "lti11_legacy_user_id")

	case scanAGS + "endpoint":
		s.setObject("endpoint", func(isNull bool) {
			if isNull {
				w.AGS = nil
			} else if w.AGS == nil {
				w.AGS = new(AGSEndpoint)
			}
		}, func(k []byte) { s.agsEndpoint(w.AGS, k) })
	case scanNRPS + "namesroleservice":
		s.setObject("namesroleservice", func(isNull bool) {
			if isNull {
				w.NRPS = nil
			} else if w.NRPS == nil {
				w.NRPS = new(NRPSService)
			}
		}, func(k []byte) { s.nrpsService(w.NRPS, k) })
	case scanDL + "deep_linking_settings":
		s.std(&w.DeepLinking, "deep_linking_settings")
	case "https://purl.imsglobal.org/spec/lti-bo/claim/basicoutcome":
		s.setObject("basicoutcome", func(isNull bool) {
			if isNull {
				w.BasicOutcome = nil
			} else if w.BasicOutcome == nil {
				w.BasicOutcome = new(BasicOutcome)
			}
		}, func(k []byte) { s.basicOutcome(w.BasicOutcome, k) })
	case "https://purl.imsglobal.org/spec/lti-bos/claim/basicoutcomesservice":
		s.std(&w.BasicOutcomeOld, "basicoutcomesservice")

	case scanAP + "attempt_number":
		s.unmarshaler(&w.APAttemptNumber, "attempt_number")
	case scanAP + "start_assessment_url":
		s.setString(&w.APStartAssessmentURL, "start_assessment_url")
	case scanAP + "session_data":
		s.setStringPtr(&w.APSessionData, "session_data")
	case scanAP + "end_assessment_return":
		s.unmarshaler(&w.APEndAssessmentReturn, "end_assessment_return")
	case scanAP + "proctoring_settings":
		s.std(&w.APSettings, "proctoring_settings")
	case scanAP + "verified_user":
		s.std(&w.APVerifiedUser, "verified_user")
	case scanAP + "acs":
		s.std(&w.APACS, "acs")
	case scanAP + "errormsg":
		s.setStringPtr(&w.APErrorMsg, "errormsg")
	case scanAP + "errorlog":
		s.setStringPtr(&w.APErrorLog, "errorlog")
	case " " + scanAP + "errormsg":
		s.setStringPtr(&w.APErrorMsgOAT, "errormsg")
	case " " + scanAP + "errorlog ":
		s.setStringPtr(&w.APErrorLogOAT, "errorlog")

	default:
		s.skipValue()
	}
}

func (s *scanner) resourceLink(r *ResourceLink, key []byte) {
	switch string(key) {
	case "id":
		s.setString(&r.ID, "resource_link.id")
	case "title":
		s.setString(&r.Title, "resource_link.title")
	case "description":
		s.setString(&r.Description, "resource_link.description")
	default:
		s.skipValue()
	}
}

func (s *scanner) context(c *ContextClaim, key []byte) {
	switch string(key) {
	case "id":
		s.setString(&c.ID, "context.id")
	case "label":
		s.setString(&c.Label, "context.label")
	case "title":
		s.setString(&c.Title, "context.title")
	case "type":
		s.setStrings(&c.Type, "context.type")
	default:
		s.skipValue()
	}
}

func (s *scanner) toolPlatform(p *wireToolPlatform, key []byte) {
	switch string(key) {
	case "guid":
		s.setString(&p.GUID, "tool_platform.guid")
	case "name":
		s.setString(&p.Name, "tool_platform.name")
	case "contact_email":
		s.setString(&p.ContactEmail, "tool_platform.contact_email")
	case "description":
		s.setString(&p.Description, "tool_platform.description")
	case "url":
		s.setString(&p.URL, "tool_platform.url")
	case "product_family_code":
		s.setString(&p.ProductFamilyCode, "tool_platform.product_family_code")
	case "family_code":
		s.setString(&p.FamilyCode, "tool_platform.family_code")
	case "version":
		s.unmarshaler(&p.Version, "tool_platform.version")
	default:
		s.skipValue()
	}
}

func (s *scanner) launchPresentation(p *wireLaunchPresentation, key []byte) {
	switch string(key) {
	case "document_target":
		s.setString(&p.DocumentTarget, "launch_presentation.document_target")
	case "height":
		s.unmarshaler(&p.Height, "launch_presentation.height")
	case "width":
		s.unmarshaler(&p.Width, "launch_presentation.width")
	case "return_url":
		s.setString(&p.ReturnURL, "launch_presentation.return_url")
	case "locale":
		s.setString(&p.Locale, "launch_presentation.locale")
	default:
		s.skipValue()
	}
}

func (s *scanner) lis(l *LIS, key []byte) {
	switch string(key) {
	case "person_sourcedid":
		s.setString(&l.PersonSourcedID, "lis.person_sourcedid")
	case "course_offering_sourcedid":
		s.setString(&l.CourseOfferingSourcedID, "lis.course_offering_sourcedid")
	case "course_section_sourcedid":
		s.setString(&l.CourseSectionSourcedID, "lis.course_section_sourcedid")
	default:
		s.skipValue()
	}
}

func (s *scanner) agsEndpoint(a *AGSEndpoint, key []byte) {
	switch string(key) {
	case "scope":
		s.setStrings(&a.Scope, "endpoint.scope")
	case "lineitems":
		s.setString(&a.LineItems, "endpoint.lineitems")
	case "lineitem":
		s.setString(&a.LineItem, "endpoint.lineitem")
	default:
		s.skipValue()
	}
}

func (s *scanner) nrpsService(n *NRPSService, key []byte) {
	switch string(key) {
	case "context_memberships_url":
		s.setString(&n.ContextMembershipsURL, "namesroleservice.context_memberships_url")
	case "service_versions":
		s.setStrings(&n.ServiceVersions, "namesroleservice.service_versions")
	default:
		s.skipValue()
	}
}

func (s *scanner) basicOutcome(b *BasicOutcome, key []byte) {
	switch string(key) {
	case "lis_result_sourcedid":
		s.setString(&b.LISResultSourcedID, "basicoutcome.lis_result_sourcedid")
	case "lis_outcome_service_url":
		s.setString(&b.LISOutcomeServiceURL, "basicoutcome.lis_outcome_service_url")
	default:
		s.skipValue()
	}
}

// custom reads the custom claim: strings as they are, null values dropped,
// other values kept as their JSON text (LTI-CORE-11). See customClaim.
func (s *scanner) custom(w *wireLaunch) {
	s.setObject("custom", func(isNull bool) {
		if isNull {
			w.Custom = nil
		} else if w.Custom == nil {
			w.Custom = make(customClaim, 16)
		}
	}, func(key []byte) {
		k := s.keyString(key)
		switch s.peek() {
		case '"':
			w.Custom[k] = s.str()
		case 'n':
			s.literal()
			delete(w.Custom, k)
		default:
			if raw := s.rawValue(); raw != nil {
				w.Custom[k] = string(raw)
			}
		}
	})
}
