package tool

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
)

// FuzzDecodeLaunch holds decodeLaunch to its contract on any input:
//   - it never panics;
//   - it returns either a Launch or an *Error with CodeMalformedToken or
//     CodeInvalidClaim (naming the claim), never both;
//   - the payload is malformed exactly when encoding/json says it is not a
//     valid JSON object;
//   - decoded roles and context types are normalised, and decoding the
//     launch's own RawClaims gives the same launch.
func FuzzDecodeLaunch(f *testing.F) {
	for _, name := range moodleFixtures(f) {
		f.Add(moodlePayload(f, name))
	}
	for _, seed := range []string{
		`{}`, `null`, `[]`, `{"sub":"4"}`, `{"aud":["a","b"],"exp":1.5,"iat":-0}`,
		`{"https://purl.imsglobal.org/spec/lti/claim/roles":["Instructor","urn:lti:role:ims/lis/Learner/NonCreditLearner",null]}`,
		`{"https://purl.imsglobal.org/spec/lti/claim/custom":{"a":null,"b":1,"c":{"d":[true]},"e":"\ud83d\ude00\u00e9"}}`,
		`{"https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings":{"accept_media_types":"a/b, c/d","accept_lineitem":"false","accept_multiple":"true","data":{"x":1}}}`,
		`{"https://purl.imsglobal.org/spec/lti-ap/claim/attempt_number":"2"," https://purl.imsglobal.org/spec/lti-ap/claim/errorlog ":" x "}`,
		`{"https://purl.imsglobal.org/spec/lti/claim/launch_presentation":{"height":"100","width":1e99}}`,
		`{"https://purl.imsglobal.org/spec/lti/claim/tool_platform":{"family_code":"moodle","version":4.5}}`,
		`{"https://purl.imsglobal.org/spec/lti/claim/context":{"type":["CourseSection"]},"https://purl.imsglobal.org/spec/lti/claim/context":null}`,
		`{"SUB":"x","Sub":1}`, "{\"\\0d\\", `{"\`, "{\"a\":\"\xff\"}", `{"exp":1e400}`, `{"x":[[[[[]]]]]}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := decodeLaunch(data)

		wantMalformed := !isJSONObject(data) || !json.Valid(data)
		if err != nil {
			if l != nil {
				t.Fatalf("both a launch and an error: %v", err)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v is %T, want *Error", err, err)
			}
			switch e.Code {
			case CodeMalformedToken:
			case CodeInvalidClaim:
				if e.Claim == "" {
					t.Fatalf("invalid claim without a claim name: %v", err)
				}
			default:
				t.Fatalf("unexpected code %s: %v", e.Code, err)
			}
			if (e.Code == CodeMalformedToken) != wantMalformed {
				t.Fatalf("code %s, but json.Valid = %v: %v", e.Code, !wantMalformed, err)
			}
		} else if wantMalformed {
			t.Fatal("decoded a payload encoding/json rejects")
		}

		if err != nil {
			return
		}

		if !bytes.Equal(l.RawClaims(), data) {
			t.Fatal("RawClaims differs from the payload")
		}
		for _, rs := range []Roles{l.Roles, forUserRoles(l)} {
			for _, r := range rs {
				if ParseRole(string(r)) != r {
					t.Fatalf("role %q is not normalised", r)
				}
			}
			_ = rs.IsInstructor() || rs.IsLearner() || rs.IsMentor() || rs.IsAdministrator() ||
				rs.IsContentDeveloper() || rs.IsTeachingAssistant() || rs.IsTestUser() || rs.Has(RoleInstructor)
		}
		if l.Context != nil {
			for _, ct := range l.Context.Type {
				if normalizeContextType(ct) != ct || !l.Context.HasType(ct) {
					t.Fatalf("context type %q is not normalised", ct)
				}
			}
		}
		_ = l.AGS.HasScope("x")
		again, err := decodeLaunch(l.RawClaims())
		if err != nil || !reflect.DeepEqual(l, again) {
			t.Fatalf("decoding RawClaims again: %v, or a different launch", err)
		}
	})
}

func forUserRoles(l *Launch) Roles {
	if l.ForUser == nil {
		return nil
	}
	return l.ForUser.Roles
}
