package tool

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// DecodeLaunchForExample exposes decodeLaunch to the examples in package
// tool_test. It exists only in tests; real launches come from
// Tool.VerifyLaunch.
func DecodeLaunchForExample(payload []byte) (*Launch, error) { return decodeLaunch(payload) }

// moodlePayload returns the signed payload bytes of a recorded Moodle 4.5
// id_token in testdata: the raw_id_token's middle segment, not the
// pretty-printed copy beside it.
func moodlePayload(tb testing.TB, name string) []byte {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	var rec struct {
		RawIDToken string `json:"raw_id_token"`
	}
	if err := json.Unmarshal(data, &rec); err != nil {
		tb.Fatal(err)
	}
	parts := strings.Split(rec.RawIDToken, ".")
	if len(parts) != 3 {
		tb.Fatalf("%s: raw_id_token has %d parts, want 3", name, len(parts))
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		tb.Fatal(err)
	}
	return payload
}

// moodleFixtures lists the recorded id_tokens in testdata.
func moodleFixtures(tb testing.TB) []string {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "id_token_*.json"))
	if err != nil || len(files) == 0 {
		tb.Fatalf("no id_token fixtures in testdata (%v)", err)
	}
	for i, f := range files {
		files[i] = filepath.Base(f)
	}
	return files
}

func mustDecode(t *testing.T, payload []byte) *Launch {
	t.Helper()
	l, err := decodeLaunch(payload)
	if err != nil {
		t.Fatalf("decodeLaunch: %v", err)
	}
	return l
}

func checkEq[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got  %#v\n want %#v", what, got, want)
	}
}

const (
	moodleIss        = "http://127.0.0.1:8081"
	moodleClient     = "2T1DmxSUCu2ZSuu"
	moodleLineItems1 = "http://127.0.0.1:8081/mod/lti/services.php/2/lineitems?type_id=1"
	moodleMembers1   = "http://127.0.0.1:8081/mod/lti/services.php/CourseSection/2/bindings/1/memberships"
)

var moodleScopes = []string{
	"https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
	"https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
	"https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
	"https://purl.imsglobal.org/spec/lti-ags/scope/score",
}

var moodleCourse = &ContextClaim{ID: "2", Label: "LTI101", Title: "LTI Test Course", Type: []string{ContextTypeCourseSection}}

var moodlePlatform = &ToolPlatform{GUID: "127.0.0.1", Name: "ltilab", Description: "LTI Lab Moodle",
	ProductFamilyCode: "moodle", Version: "2024100705.01"}

// TestDecode_MoodleStudentLaunch checks every field of a real Moodle 4.5
// student resource-link launch.
func TestDecode_MoodleStudentLaunch(t *testing.T) {
	payload := moodlePayload(t, "id_token_student_resource_link_launch.json")
	l := mustDecode(t, payload)

	checkEq(t, "Issuer", l.Issuer, moodleIss)
	checkEq(t, "Subject", l.Subject, "4")
	checkEq(t, "Audience", l.Audience, []string{moodleClient})
	checkEq(t, "AuthorizedParty", l.AuthorizedParty, "")
	checkEq(t, "IssuedAt", l.IssuedAt, time.Unix(1795900611, 0).UTC())
	checkEq(t, "ExpiresAt", l.ExpiresAt, time.Unix(1795900671, 0).UTC())
	checkEq(t, "NotBefore", l.NotBefore, time.Time{})
	checkEq(t, "Nonce", l.Nonce, "nc_0a7ce800daf7716e2591ba4e")
	checkEq(t, "MessageType", l.MessageType, ResourceLinkRequest)
	checkEq(t, "Version", l.Version, "1.3.0")
	checkEq(t, "DeploymentID", l.DeploymentID, "1")
	checkEq(t, "TargetLinkURI", l.TargetLinkURI, "http://127.0.0.1:9001/launch")
	checkEq(t, "Roles", l.Roles, Roles{RoleLearner})
	checkEq(t, "Name", l.Name, "Sam Student")
	checkEq(t, "GivenName", l.GivenName, "Sam")
	checkEq(t, "FamilyName", l.FamilyName, "Student")
	checkEq(t, "Email", l.Email, "student1@example.com")
	checkEq(t, "ResourceLink", l.ResourceLink, &ResourceLink{ID: "1", Title: "Recorder Activity",
		Description: "Activity launching the recorder tool"})
	checkEq(t, "Context", l.Context, moodleCourse)
	checkEq(t, "ToolPlatform", l.ToolPlatform, moodlePlatform)
	checkEq(t, "LaunchPresentation", l.LaunchPresentation, &LaunchPresentation{DocumentTarget: "iframe", Locale: "en",
		ReturnURL: "http://127.0.0.1:8081/mod/lti/return.php?course=2&launch_container=3&instanceid=1&sesskey=y3Dukjmzy0"})
	checkEq(t, "LIS", l.LIS, &LIS{PersonSourcedID: "SIS-student1", CourseSectionSourcedID: "LTI101-SIS"})
	checkEq(t, "Ext", l.Ext, map[string]any{"lms": "moodle-2", "user_username": "student1"})
	checkEq(t, "AGS", l.AGS, &AGSEndpoint{Scope: moodleScopes, LineItems: moodleLineItems1,
		LineItem: "http://127.0.0.1:8081/mod/lti/services.php/2/lineitems/2/lineitem?type_id=1"})
	checkEq(t, "NRPS", l.NRPS, &NRPSService{ContextMembershipsURL: moodleMembers1, ServiceVersions: []string{"1.0", "2.0"}})
	checkEq(t, "BasicOutcome.LISOutcomeServiceURL", l.BasicOutcome.LISOutcomeServiceURL, "http://127.0.0.1:8081/mod/lti/service.php")
	checkEq(t, "BasicOutcome.LISResultSourcedID", l.BasicOutcome.LISResultSourcedID,
		`{"data":{"instanceid":"1","userid":"4","typeid":"1","launchid":1782259513},"hash":"91f8cc780d5fc16ceb643e5c10018f4ea469e3449b066b5da6b2d249e208a4bd"}`)
	checkEq(t, "Custom", l.Custom, map[string]string{
		"activity_level":          "activity_value",
		"context_memberships_url": moodleMembers1,
		"context_setting_url":     "http://127.0.0.1:8081/mod/lti/services.php/CourseSection/2/bindings/tool/1/custom",
		"ctx_id":                  "2",
		"ctx_title":               "LTI Test Course",
		"link_setting_url":        "http://127.0.0.1:8081/mod/lti/services.php/links/{link_id}/custom",
		"memberships_url":         moodleMembers1,
		"person_sourcedid":        "SIS-student1",
		"resource_link_id":        "1",
		"system_setting_url":      "http://127.0.0.1:8081/mod/lti/services.php/tool/1/custom",
		"tool_level":              "tool_value",
		"user_username":           "student1",
	})
	for name, v := range map[string]any{"DeepLinking": l.DeepLinking, "ForUser": l.ForUser,
		"Proctoring": l.Proctoring, "LTI1p1": l.LTI1p1, "RoleScopeMentor": l.RoleScopeMentor} {
		if !reflect.ValueOf(v).IsNil() {
			t.Errorf("%s = %#v, want nil", name, v)
		}
	}
	if l.Anonymous() {
		t.Error("Anonymous() = true for a launch with sub")
	}
	if !l.Roles.IsLearner() || l.Roles.IsInstructor() || l.Roles.IsAdministrator() {
		t.Errorf("roles %v: want learner only", l.Roles)
	}
	if !bytes.Equal(l.RawClaims(), payload) {
		t.Error("RawClaims() differs from the payload")
	}
}

// TestDecode_LTI_ROLE_05_MoodleTeacherAndAdmin: teachers get Instructor;
// site admins also get the system and institution Administrator roles.
func TestDecode_LTI_ROLE_05_MoodleTeacherAndAdmin(t *testing.T) {
	teacher := mustDecode(t, moodlePayload(t, "id_token_teacher_resource_link_launch.json"))
	checkEq(t, "teacher Subject", teacher.Subject, "3")
	checkEq(t, "teacher Roles", teacher.Roles, Roles{RoleInstructor})
	if !teacher.Roles.IsInstructor() || teacher.Roles.IsLearner() || teacher.Roles.IsAdministrator() {
		t.Errorf("teacher roles %v: want instructor only", teacher.Roles)
	}

	admin := mustDecode(t, moodlePayload(t, "id_token_admin_resource_link_launch.json"))
	checkEq(t, "admin Subject", admin.Subject, "2")
	checkEq(t, "admin Roles", admin.Roles, Roles{RoleInstitutionAdministrator, RoleInstructor, RoleSystemAdministrator})
	if !admin.Roles.IsAdministrator() || !admin.Roles.IsInstructor() || admin.Roles.IsLearner() {
		t.Errorf("admin roles %v: want administrator and instructor, not learner", admin.Roles)
	}
	if !admin.Roles.Has(RoleSystemAdministrator) || !admin.Roles.Has(RoleInstitutionAdministrator) {
		t.Errorf("admin roles %v lack system or institution Administrator", admin.Roles)
	}
	// An empty custom value is a value: it stays (LTI-CORE-11).
	if v, ok := admin.Custom["person_sourcedid"]; !ok || v != "" {
		t.Errorf(`admin Custom["person_sourcedid"] = %q, %v; want "", true`, v, ok)
	}
	checkEq(t, "admin LIS", admin.LIS, &LIS{PersonSourcedID: "", CourseSectionSourcedID: "LTI101-SIS"})
	checkEq(t, "admin Ext", admin.Ext, map[string]any{"lms": "moodle-2", "user_username": "admin"})
}

// TestDecode_DL_REQ_MoodleDeepLinkingRequest: Moodle's deep-linking
// request, with the legacy "frame" target, a JSON null custom value and an
// empty AGS lineitem.
func TestDecode_DL_REQ_MoodleDeepLinkingRequest(t *testing.T) {
	l := mustDecode(t, moodlePayload(t, "id_token_deep_linking_request.json"))
	checkEq(t, "MessageType", l.MessageType, DeepLinkingRequest)
	checkEq(t, "Subject", l.Subject, "3")
	checkEq(t, "TargetLinkURI", l.TargetLinkURI, "http://127.0.0.1:9001/deeplink")
	checkEq(t, "DeepLinking", l.DeepLinking, &DeepLinkingSettings{
		DeepLinkReturnURL:                 "http://127.0.0.1:8081/mod/lti/contentitem_return.php?course=2&id=1&sesskey=YqjqHdpzpp",
		AcceptTypes:                       []string{"ltiResourceLink"},
		AcceptPresentationDocumentTargets: []string{"frame", "iframe", "window"},
		AcceptMultiple:                    true,
		AcceptLineItem:                    nil, // not sent: no assumption (DL-REQ-06)
		AutoCreate:                        false,
		Title:                             "Requested title",
		Text:                              "Requested text",
	})
	if l.ResourceLink != nil {
		t.Errorf("ResourceLink = %#v, want nil in a deep-linking request (LTI-MSG-02)", l.ResourceLink)
	}
	if l.BasicOutcome != nil {
		t.Errorf("BasicOutcome = %#v, want nil (Moodle strips it from DL requests)", l.BasicOutcome)
	}
	// "resource_link_id": null is dropped; other keys stay.
	if v, ok := l.Custom["resource_link_id"]; ok {
		t.Errorf(`Custom["resource_link_id"] = %q, present; want the null value dropped`, v)
	}
	checkEq(t, "len(Custom)", len(l.Custom), 9)
	checkEq(t, `Custom["person_sourcedid"]`, l.Custom["person_sourcedid"], "SIS-teacher1")
	// "lineitem": "" means no single line item.
	checkEq(t, "AGS", l.AGS, &AGSEndpoint{Scope: moodleScopes, LineItems: moodleLineItems1})
	checkEq(t, "LaunchPresentation", l.LaunchPresentation, &LaunchPresentation{Locale: "en"})
	checkEq(t, "Context", l.Context, moodleCourse)
}

// TestDecode_MoodleDynamicRegistrationLaunches: the tool registered through
// dynamic registration (client f1Jrwm4BKsV9HY1, deployment "2").
func TestDecode_MoodleDynamicRegistrationLaunches(t *testing.T) {
	student := mustDecode(t, moodlePayload(t, "id_token_dynreg_activity_student.json"))
	checkEq(t, "Audience", student.Audience, []string{"f1Jrwm4BKsV9HY1"})
	checkEq(t, "DeploymentID", student.DeploymentID, "2")
	checkEq(t, "ToolPlatform.GUID", student.ToolPlatform.GUID, "74f0b8bc66689dcd7ab7fb5890448c4c")
	checkEq(t, "Custom", student.Custom, map[string]string{"act": "dynreg-activity",
		"context_memberships_url": "http://127.0.0.1:8081/mod/lti/services.php/CourseSection/2/bindings/2/memberships",
		"ctx":                     "2", "dynreg": "yes"})
	checkEq(t, "ResourceLink", student.ResourceLink, &ResourceLink{ID: "4", Title: "Dynreg Activity", Description: "Dynreg Activity"})

	teacher := mustDecode(t, moodlePayload(t, "id_token_dynreg_deep_linking_request_teacher.json"))
	checkEq(t, "MessageType", teacher.MessageType, DeepLinkingRequest)
	// No lineitem member at all this time.
	checkEq(t, "AGS", teacher.AGS, &AGSEndpoint{Scope: moodleScopes,
		LineItems: "http://127.0.0.1:8081/mod/lti/services.php/2/lineitems?type_id=2"})
	checkEq(t, "DeepLinking.Title", teacher.DeepLinking.Title, "dynreg DL")
	checkEq(t, "DeepLinking.Text", teacher.DeepLinking.Text, "deep link via dynreg type")
	checkEq(t, "DeepLinking.AcceptPresentationDocumentTargets", teacher.DeepLinking.AcceptPresentationDocumentTargets,
		[]string{"frame", "iframe", "window"})
}

// TestDecode_MoodleDeepLinkCreatedActivity: the activity a deep-linking
// response created, launched by a student.
func TestDecode_MoodleDeepLinkCreatedActivity(t *testing.T) {
	l := mustDecode(t, moodlePayload(t, "id_token_deeplink_created_activity_student.json"))
	checkEq(t, "TargetLinkURI", l.TargetLinkURI, "http://127.0.0.1:9001/launch?item=dl-activity")
	checkEq(t, "ResourceLink", l.ResourceLink, &ResourceLink{ID: "2", Title: "DL created activity",
		Description: "Deep-linked item that becomes a real activity"})
	for k, want := range map[string]string{"dl_custom": "from-deep-link", "dl_rl_id": "2", "dl_user_id": "4",
		"item": "dl-activity", "dl_ctx_title": "LTI Test Course"} {
		checkEq(t, "Custom["+k+"]", l.Custom[k], want)
	}
	checkEq(t, "AGS.LineItem", l.AGS.LineItem, "http://127.0.0.1:8081/mod/lti/services.php/2/lineitems/6/lineitem?type_id=1")
}

// TestDecode_SR_01_MoodleSubmissionReview: sub is the reviewing teacher,
// for_user the learner.
func TestDecode_SR_01_MoodleSubmissionReview(t *testing.T) {
	l := mustDecode(t, moodlePayload(t, "id_token_submission_review_request_teacher.json"))
	checkEq(t, "MessageType", l.MessageType, SubmissionReviewRequest)
	checkEq(t, "Subject", l.Subject, "3")
	checkEq(t, "ForUser", l.ForUser, &ForUser{UserID: "4"})
	checkEq(t, "Roles", l.Roles, Roles{RoleInstructor})
	checkEq(t, "TargetLinkURI", l.TargetLinkURI, "http://127.0.0.1:9001/launch?review=1")
	checkEq(t, "AGS.LineItem", l.AGS.LineItem, "http://127.0.0.1:8081/mod/lti/services.php/2/lineitems/7/lineitem?type_id=1")
	checkEq(t, `Custom["review_mode"]`, l.Custom["review_mode"], "instructor")
	checkEq(t, `Custom["review_user"]`, l.Custom["review_user"], "3")

	activity := mustDecode(t, moodlePayload(t, "id_token_submission_review_activity_student.json"))
	checkEq(t, "activity MessageType", activity.MessageType, ResourceLinkRequest)
	checkEq(t, "activity ForUser", activity.ForUser, (*ForUser)(nil))
	checkEq(t, `activity Custom["sr_activity"]`, activity.Custom["sr_activity"], "yes")
}

// TestDecode_LTI_CORE_11_MoodlePrivacyWindowSubstitution: a tool that gets
// no names or email, opens in a window, and has substitution variables that
// Moodle sends as JSON null or leaves unresolved.
func TestDecode_LTI_CORE_11_MoodlePrivacyWindowSubstitution(t *testing.T) {
	student := mustDecode(t, moodlePayload(t, "id_token_private_window_substitution_student.json"))
	checkEq(t, "Audience", student.Audience, []string{"Dh6BLOWitLZHzXm"})
	checkEq(t, "Subject", student.Subject, "4")
	for name, v := range map[string]string{"Name": student.Name, "GivenName": student.GivenName,
		"FamilyName": student.FamilyName, "Email": student.Email} {
		if v != "" {
			t.Errorf("%s = %q, want empty (no personal data)", name, v)
		}
	}
	checkEq(t, "LIS.PersonSourcedID", student.LIS.PersonSourcedID, "SIS-student1")
	checkEq(t, "LaunchPresentation.DocumentTarget", student.LaunchPresentation.DocumentTarget, "window")
	checkEq(t, "Ext", student.Ext, map[string]any{"lms": "moodle-2"})
	for _, k := range []string{"p_email", "p_family", "p_full", "p_given", "act_given"} {
		if v, ok := student.Custom[k]; ok {
			t.Errorf("Custom[%q] = %q, present; want the null value dropped", k, v)
		}
	}
	for k, want := range map[string]string{
		"p_country":      "", // resolved to empty: kept
		"ctx_history":    "",
		"p_middle":       "Anna",
		"Mixed_Case-Key": "4", // custom keys arrive as written...
		"mixed_case_key": "4", // ...and lower-cased
		"unknown_var":    "$No.Such.Variable",
		"embedded":       "prefix $User.id suffix",
		"m_role":         "Learner",
		"m_groups":       "1,2",
		"cs_begin":       "2026-11-28T00:00:00+00:00",
		"li_url":         "http://127.0.0.1:8081/mod/lti/services.php/2/lineitems/12/lineitem?type_id=3",
	} {
		if got, ok := student.Custom[k]; !ok || got != want {
			t.Errorf("Custom[%q] = %q, %v; want %q, true", k, got, ok, want)
		}
	}
	if d := student.Custom["ctx_longdesc"]; !strings.HasPrefix(d, "Test course 1\nLorem ipsum") || len(d) < 3000 {
		t.Errorf("Custom[ctx_longdesc] = %.40q… (%d bytes), want the long description with its newlines", d, len(d))
	}
	checkEq(t, "len(Custom)", len(student.Custom), 40-5)

	// The teacher's middle name arrives as a \u escape (PHP json_encode).
	teacher := mustDecode(t, moodlePayload(t, "id_token_private_window_substitution_teacher.json"))
	checkEq(t, `Custom["p_middle"]`, teacher.Custom["p_middle"], "芳")
	checkEq(t, `Custom["m_role"]`, teacher.Custom["m_role"], "Instructor")
	checkEq(t, "Roles", teacher.Roles, Roles{RoleInstructor})
}

// TestDecode_LTI_CORE_08_BareContextType: Moodle sends the bare
// "CourseSection"; the claim holds the full URI and HasType accepts every
// spelling.
func TestDecode_LTI_CORE_08_BareContextType(t *testing.T) {
	l := mustDecode(t, moodlePayload(t, "id_token_student_resource_link_launch.json"))
	checkEq(t, "Context.Type", l.Context.Type, []string{ContextTypeCourseSection})
	for _, spelling := range []string{"CourseSection", ContextTypeCourseSection, "urn:lti:context-type:ims/lis/CourseSection"} {
		if !l.Context.HasType(spelling) {
			t.Errorf("HasType(%q) = false, want true", spelling)
		}
	}
	for _, other := range []string{"Group", ContextTypeCourseOffering, "", "coursesection"} {
		if l.Context.HasType(other) {
			t.Errorf("HasType(%q) = true, want false", other)
		}
	}
	var none *ContextClaim
	if none.HasType("CourseSection") {
		t.Error("nil ContextClaim HasType = true")
	}

	l = mustDecode(t, []byte(`{"https://purl.imsglobal.org/spec/lti/claim/context":{"id":"c","type":
		["Group","urn:lti:context-type:ims/lis/CourseOffering","CourseTemplate","http://vendor.example/type#Club"]}}`))
	checkEq(t, "normalised types", l.Context.Type, []string{ContextTypeGroup, ContextTypeCourseOffering,
		ContextTypeCourseTemplate, "http://vendor.example/type#Club"})
	if !l.Context.HasType("http://vendor.example/type#Club") {
		t.Error("unknown context type not kept")
	}
}

// payloadWith returns a minimal resource-link payload with claims replaced
// or added; each value is raw JSON.
func payloadWith(claims ...string) []byte {
	base := map[string]string{
		`"iss"`:   `"https://lms.example"`,
		`"sub"`:   `"u1"`,
		`"aud"`:   `"client-1"`,
		`"exp"`:   `1795900671`,
		`"iat"`:   `1795900611`,
		`"nonce"`: `"n-1"`,
		`"https://purl.imsglobal.org/spec/lti/claim/message_type"`:  `"LtiResourceLinkRequest"`,
		`"https://purl.imsglobal.org/spec/lti/claim/version"`:       `"1.3.0"`,
		`"https://purl.imsglobal.org/spec/lti/claim/deployment_id"`: `"d1"`,
		`"https://purl.imsglobal.org/spec/lti/claim/roles"`:         `["Learner"]`,
		`"https://purl.imsglobal.org/spec/lti/claim/resource_link"`: `{"id":"r1"}`,
	}
	var extra []string
	for i := 0; i+1 < len(claims); i += 2 {
		k := `"` + claims[i] + `"`
		if _, ok := base[k]; ok {
			base[k] = claims[i+1]
		} else {
			extra = append(extra, k+":"+claims[i+1])
		}
	}
	keys := make([]string, 0, len(base))
	for k := range base {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, 0, len(base)+len(extra))
	for _, k := range keys {
		parts = append(parts, k+":"+base[k])
	}
	return []byte("{" + strings.Join(append(parts, extra...), ",") + "}")
}

const (
	uriRoles        = "https://purl.imsglobal.org/spec/lti/claim/roles"
	uriCustom       = "https://purl.imsglobal.org/spec/lti/claim/custom"
	uriContext      = "https://purl.imsglobal.org/spec/lti/claim/context"
	uriDL           = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
	uriAGS          = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
	uriForUser      = "https://purl.imsglobal.org/spec/lti/claim/for_user"
	uriPlatform     = "https://purl.imsglobal.org/spec/lti/claim/tool_platform"
	uriPresentation = "https://purl.imsglobal.org/spec/lti/claim/launch_presentation"
	uriAPPrefix     = "https://purl.imsglobal.org/spec/lti-ap/claim/"
)

// TestDecode_RejectsBadShapes: a payload that is not a JSON object is
// malformed; a claim of the wrong type is invalid and named. Nothing panics,
// no launch is returned, the reference decoder agrees on the code, and the
// error never echoes the secret value planted in the payload.
func TestDecode_RejectsBadShapes(t *testing.T) {
	deep := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	tests := []struct {
		name    string
		payload []byte
		code    Code
		claim   string
	}{
		// LTI-PROC-04: aud is a string or an array of strings, nothing else.
		{"aud number", payloadWith("aud", `4242`), CodeInvalidClaim, "aud"},
		{"aud array of numbers", payloadWith("aud", `[1,2]`), CodeInvalidClaim, "aud"},
		{"aud object", payloadWith("aud", `{"client":"x"}`), CodeInvalidClaim, "aud"},
		// LTI-CORE-05: roles is an array.
		{"roles string", payloadWith(uriRoles, `"Instructor"`), CodeInvalidClaim, "roles"},
		{"roles object", payloadWith(uriRoles, `{"0":"Instructor"}`), CodeInvalidClaim, "roles"},
		{"roles with a number", payloadWith(uriRoles, `["Learner",7]`), CodeInvalidClaim, "roles"},
		// LTI-CORE-11: custom is an object.
		{"custom array", payloadWith(uriCustom, `["a","b"]`), CodeInvalidClaim, "custom"},
		{"custom string", payloadWith(uriCustom, `"a=b"`), CodeInvalidClaim, "custom"},
		// LTI-PROC-04: dates are numbers within a sane range.
		{"exp string", payloadWith("exp", `"1795900671"`), CodeInvalidClaim, "exp"},
		{"iat boolean", payloadWith("iat", `true`), CodeInvalidClaim, "iat"},
		{"exp huge", payloadWith("exp", `1e300`), CodeInvalidClaim, "exp"},
		{"exp beyond float64", payloadWith("exp", `1e400`), CodeInvalidClaim, "exp"},
		{"iat before year 1", payloadWith("iat", `-1e15`), CodeInvalidClaim, "iat"},
		{"nbf year 10000", payloadWith("nbf", `253402300800`), CodeInvalidClaim, "nbf"},
		{"sub number", payloadWith("sub", `12345`), CodeInvalidClaim, "sub"},
		{"message_type array", payloadWith("https://purl.imsglobal.org/spec/lti/claim/message_type", `["LtiResourceLinkRequest"]`), CodeInvalidClaim, "message_type"},
		{"deployment_id number", payloadWith("https://purl.imsglobal.org/spec/lti/claim/deployment_id", `1`), CodeInvalidClaim, "deployment_id"},
		{"context string", payloadWith(uriContext, `"course-2"`), CodeInvalidClaim, "context"},
		{"context.type number", payloadWith(uriContext, `{"id":"2","type":5}`), CodeInvalidClaim, "context.type"},
		{"context.id number", payloadWith(uriContext, `{"id":2}`), CodeInvalidClaim, "context.id"},
		{"resource_link array", payloadWith("https://purl.imsglobal.org/spec/lti/claim/resource_link", `["r1"]`), CodeInvalidClaim, "resource_link"},
		{"endpoint.scope string", payloadWith(uriAGS, `{"scope":"score"}`), CodeInvalidClaim, "endpoint.scope"},
		{"ext array", payloadWith("https://purl.imsglobal.org/spec/lti/claim/ext", `[1]`), CodeInvalidClaim, "ext"},
		{"ext number beyond float64", payloadWith("https://purl.imsglobal.org/spec/lti/claim/ext", `{"n":1e999}`), CodeInvalidClaim, "ext"},
		{"tool_platform.guid number", payloadWith(uriPlatform, `{"guid":1}`), CodeInvalidClaim, "tool_platform.guid"},
		{"accept_multiple yes", payloadWith(uriDL, `{"accept_multiple":"yes"}`), CodeInvalidClaim, "deep_linking_settings"},
		{"accept_types number", payloadWith(uriDL, `{"accept_types":3}`), CodeInvalidClaim, "deep_linking_settings"},
		{"for_user.user_id number", payloadWith(uriForUser, `{"user_id":4}`), CodeInvalidClaim, "for_user.user_id"},
		{"for_user.roles string", payloadWith(uriForUser, `{"user_id":"4","roles":"Learner"}`), CodeInvalidClaim, "for_user.roles"},
		{"attempt_number word", payloadWith(uriAPPrefix+"attempt_number", `"second"`), CodeInvalidClaim, "attempt_number"},
		{"attempt_number fraction", payloadWith(uriAPPrefix+"attempt_number", `1.5`), CodeInvalidClaim, "attempt_number"},
		{"end_assessment_return number", payloadWith(uriAPPrefix+"end_assessment_return", `1`), CodeInvalidClaim, "end_assessment_return"},
		{"first bad claim in document order", []byte(`{"sub":1,"aud":2}`), CodeInvalidClaim, "sub"},

		{"empty", []byte(``), CodeMalformedToken, ""},
		{"white space", []byte(" \n\t"), CodeMalformedToken, ""},
		{"null", []byte(`null`), CodeMalformedToken, ""},
		{"array", []byte(`[{"sub":"4"}]`), CodeMalformedToken, ""},
		{"string", []byte(`"{}"`), CodeMalformedToken, ""},
		{"number", []byte(`42`), CodeMalformedToken, ""},
		{"byte order mark", []byte("\ufeff{}"), CodeMalformedToken, ""},
		{"truncated", []byte(`{"sub":`), CodeMalformedToken, ""},
		{"truncated string", []byte(`{"sub":"4`), CodeMalformedToken, ""},
		{"trailing comma", []byte(`{"sub":"4",}`), CodeMalformedToken, ""},
		{"missing colon", []byte(`{"sub" "4"}`), CodeMalformedToken, ""},
		{"data after object", []byte(`{"sub":"4"} x`), CodeMalformedToken, ""},
		{"two objects", []byte(`{}{}`), CodeMalformedToken, ""},
		{"NUL after object", []byte("{}\x00"), CodeMalformedToken, ""},
		{"single quotes", []byte(`{'sub':'4'}`), CodeMalformedToken, ""},
		{"dangling escape in key", []byte(`{"\`), CodeMalformedToken, ""},
		{"goccy #577 crasher", []byte("{\"\\0d\\"), CodeMalformedToken, ""},
		{"dangling escape in value", []byte(`{"sub":"\`), CodeMalformedToken, ""},
		{"invalid escape", []byte(`{"sub":"\q"}`), CodeMalformedToken, ""},
		{"invalid unicode escape", []byte(`{"sub":"\u12G4"}`), CodeMalformedToken, ""},
		{"short unicode escape", []byte(`{"sub":"\u12"}`), CodeMalformedToken, ""},
		{"control character", []byte("{\"sub\":\"a\x01b\"}"), CodeMalformedToken, ""},
		{"NaN", []byte(`{"exp":NaN}`), CodeMalformedToken, ""},
		{"leading zero", []byte(`{"exp":01}`), CodeMalformedToken, ""},
		{"bare minus", []byte(`{"exp":-}`), CodeMalformedToken, ""},
		{"no fraction digits", []byte(`{"exp":1.}`), CodeMalformedToken, ""},
		{"no exponent digits", []byte(`{"exp":1e}`), CodeMalformedToken, ""},
		{"plus sign", []byte(`{"exp":+1}`), CodeMalformedToken, ""},
		{"bad literal", []byte(`{"x":tru}`), CodeMalformedToken, ""},
		{"null prefix", []byte(`{"sub":nul}`), CodeMalformedToken, ""},
		{"syntax error after a claim error", []byte(`{"aud":5,"x":}`), CodeMalformedToken, ""},
		{"deeply nested junk", []byte(`{"junk":` + deep(100_000) + `}`), CodeMalformedToken, ""},
		{"deeply nested custom value", payloadWith(uriCustom, `{"a":`+deep(20_000)+`}`), CodeMalformedToken, ""},
		{"unclosed nesting", []byte(`{"x":` + strings.Repeat("[{\"a\":", 5000)), CodeMalformedToken, ""},
	}
	const secret = "s3cr3t-value"
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			payload := bytes.ReplaceAll(tt.payload, []byte("n-1"), []byte(secret))
			l, err := decodeLaunch(payload)
			if l != nil {
				t.Errorf("decodeLaunch returned a launch with error %v", err)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v (%T), want *Error", err, err)
			}
			if e.Code != tt.code || e.Claim != tt.claim {
				t.Errorf("got %s, claim %q (%v); want %s, claim %q", e.Code, e.Claim, err, tt.code, tt.claim)
			}
			sentinel := map[Code]error{CodeInvalidClaim: ErrInvalidClaim, CodeMalformedToken: ErrMalformedToken}[tt.code]
			if !errors.Is(err, sentinel) {
				t.Errorf("errors.Is(%v, %v) = false", err, sentinel)
			}
			if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "12345") {
				t.Errorf("error %q echoes a claim value", err)
			}
		})
	}
}

// TestDecode_LTI_PROC_04_AudienceStringOrArray
func TestDecode_LTI_PROC_04_AudienceStringOrArray(t *testing.T) {
	for _, tt := range []struct {
		aud  string
		want []string
	}{
		{`"c1"`, []string{"c1"}},
		{`["c1"]`, []string{"c1"}},
		{`["c1","other"]`, []string{"c1", "other"}},
		{`[]`, []string{}},
		{`null`, nil},
		{`"c\u0031"`, []string{"c1"}},
	} {
		l := mustDecode(t, payloadWith("aud", tt.aud))
		checkEq(t, "Audience for "+tt.aud, l.Audience, tt.want)
	}
	l := mustDecode(t, []byte(`{"sub":"u"}`))
	checkEq(t, "Audience when absent", l.Audience, []string(nil))
}

// TestDecode_LTI_PROC_04_NumericDates: exp and iat are numbers, possibly
// floats; absent or null gives the zero time.
func TestDecode_LTI_PROC_04_NumericDates(t *testing.T) {
	l := mustDecode(t, payloadWith("exp", `1795900671.5`, "iat", `1.795900611e9`, "nbf", `0`))
	checkEq(t, "ExpiresAt", l.ExpiresAt, time.Unix(1795900671, 5e8).UTC())
	checkEq(t, "IssuedAt", l.IssuedAt, time.Unix(1795900611, 0).UTC())
	checkEq(t, "NotBefore", l.NotBefore, time.Unix(0, 0).UTC())

	l = mustDecode(t, payloadWith("exp", `null`))
	if !l.ExpiresAt.IsZero() || !l.NotBefore.IsZero() {
		t.Errorf("null exp / absent nbf: got %v / %v, want zero times", l.ExpiresAt, l.NotBefore)
	}
	l = mustDecode(t, payloadWith("exp", `-1`))
	checkEq(t, "negative exp", l.ExpiresAt, time.Unix(-1, 0).UTC())
}

// TestDecode_LTI_ROLE_04_EmptyVersusMissingRoles: [] is a valid, empty
// claim; a missing or null claim is nil, for verify.go to refuse.
func TestDecode_LTI_ROLE_04_EmptyVersusMissingRoles(t *testing.T) {
	l := mustDecode(t, payloadWith(uriRoles, `[]`))
	if l.Roles == nil || len(l.Roles) != 0 {
		t.Errorf("roles [] decoded as %#v, want empty non-nil", l.Roles)
	}
	l = mustDecode(t, payloadWith(uriRoles, `null`))
	if l.Roles != nil {
		t.Errorf("roles null decoded as %#v, want nil", l.Roles)
	}
	l = mustDecode(t, []byte(`{"sub":"u"}`))
	if l.Roles != nil {
		t.Errorf("missing roles decoded as %#v, want nil", l.Roles)
	}
}

// TestDecode_LTI_ROLE_02_RolesNormalised: short names and URNs in the
// roles claim and in for_user.roles arrive as full URIs; vendor roles stay.
func TestDecode_LTI_ROLE_02_RolesNormalised(t *testing.T) {
	l := mustDecode(t, payloadWith(
		uriRoles, `["Instructor","urn:lti:role:ims/lis/TeachingAssistant","urn:lti:instrole:ims/lis/Faculty","http://vendor.example/role#Grader"]`,
		uriForUser, `{"user_id":"9","roles":["Learner"],"given_name":"Ana","middle_name":"B","person_sourcedid":"sis-9"}`,
	))
	checkEq(t, "Roles", l.Roles, Roles{RoleInstructor, RoleTeachingAssistant, RoleInstitutionFaculty, "http://vendor.example/role#Grader"})
	checkEq(t, "ForUser", l.ForUser, &ForUser{UserID: "9", GivenName: "Ana", MiddleName: "B", PersonSourcedID: "sis-9", Roles: Roles{RoleLearner}})
}

// TestDecode_LTI_CORE_11_CustomTolerance: custom values should be strings;
// null drops the key and any other value is kept as its JSON text.
func TestDecode_LTI_CORE_11_CustomTolerance(t *testing.T) {
	l := mustDecode(t, payloadWith(uriCustom,
		`{"s":"text","empty":"","null":null,"n":42,"f":-1.5e3,"t":true,"f2":false,"o":{"a": [1, "x"]},"a":[1,2],"esc":"a\"b\\c\u00e9\n","dup":"1","dup":"2"}`))
	checkEq(t, "Custom", l.Custom, map[string]string{
		"s": "text", "empty": "", "n": "42", "f": "-1.5e3", "t": "true", "f2": "false",
		"o": `{"a": [1, "x"]}`, "a": "[1,2]", "esc": "a\"b\\cé\n", "dup": "2",
	})
	l = mustDecode(t, payloadWith(uriCustom, `{}`))
	if l.Custom == nil || len(l.Custom) != 0 {
		t.Errorf("custom {} decoded as %#v, want empty non-nil map", l.Custom)
	}
	l = mustDecode(t, payloadWith(uriCustom, `null`))
	if l.Custom != nil {
		t.Errorf("custom null decoded as %#v, want nil", l.Custom)
	}
}

// TestDecode_LTI_CORE_09_ToolPlatformFamilyCode: older Moodle wrote
// family_code; product_family_code wins when both are present. A numeric
// version keeps its JSON text.
func TestDecode_LTI_CORE_09_ToolPlatformFamilyCode(t *testing.T) {
	l := mustDecode(t, payloadWith(uriPlatform, `{"guid":"g","family_code":"moodle","version":2024100705.01,"contact_email":"a@b","url":"https://lms"}`))
	checkEq(t, "ToolPlatform", l.ToolPlatform, &ToolPlatform{GUID: "g", ProductFamilyCode: "moodle",
		Version: "2024100705.01", ContactEmail: "a@b", URL: "https://lms"})
	l = mustDecode(t, payloadWith(uriPlatform, `{"guid":"g","family_code":"old","product_family_code":"canvas"}`))
	checkEq(t, "ProductFamilyCode", l.ToolPlatform.ProductFamilyCode, "canvas")
}

// TestDecode_LTI_CORE_10_PresentationSize: height and width are numbers;
// numeric strings are accepted and anything else is ignored.
func TestDecode_LTI_CORE_10_PresentationSize(t *testing.T) {
	for _, tt := range []struct {
		json          string
		height, width int
	}{
		{`{"height":600,"width":800}`, 600, 800},
		{`{"height":600.7,"width":"800"}`, 600, 800},
		{`{"height":" 480 ","width":"100%"}`, 480, 0},
		{`{"height":null,"width":{"px":1}}`, 0, 0},
		{`{"height":1e20,"width":-5}`, 0, -5},
	} {
		l := mustDecode(t, payloadWith(uriPresentation, tt.json))
		if p := l.LaunchPresentation; p.Height != tt.height || p.Width != tt.width {
			t.Errorf("%s: height, width = %d, %d; want %d, %d", tt.json, p.Height, p.Width, tt.height, tt.width)
		}
	}
}

// TestDecode_DL_REQ_04_AcceptMediaTypes: a comma-separated string (spec) or
// an array (schema, Moodle).
func TestDecode_DL_REQ_04_AcceptMediaTypes(t *testing.T) {
	for _, tt := range []struct {
		json string
		want []string
	}{
		{`"image/*, text/html,,application/pdf "`, []string{"image/*", "text/html", "application/pdf"}},
		{`["image/png","text/plain"]`, []string{"image/png", "text/plain"}},
		{`""`, nil},
		{`null`, nil},
	} {
		l := mustDecode(t, payloadWith(uriDL, `{"deep_link_return_url":"https://lms/dl","accept_media_types":`+tt.json+`}`))
		checkEq(t, "AcceptMediaTypes for "+tt.json, l.DeepLinking.AcceptMediaTypes, tt.want)
	}
}

// TestDecode_DL_REQ_05_StringBooleans and DL-REQ-06's tri-state
// accept_lineitem.
func TestDecode_DL_REQ_05_06_Booleans(t *testing.T) {
	yes, no := true, false
	for _, tt := range []struct {
		json                 string
		multiple, autoCreate bool
		acceptLineItem       *bool
	}{
		{`{}`, false, false, nil},
		{`{"accept_multiple":true,"auto_create":false,"accept_lineitem":true}`, true, false, &yes},
		{`{"accept_multiple":"true","auto_create":"TRUE","accept_lineitem":"false"}`, true, true, &no},
		{`{"accept_multiple":"False","auto_create":null,"accept_lineitem":null}`, false, false, nil},
		{`{"accept_lineitem":false}`, false, false, &no},
	} {
		l := mustDecode(t, payloadWith(uriDL, tt.json))
		d := l.DeepLinking
		if d.AcceptMultiple != tt.multiple || d.AutoCreate != tt.autoCreate || !reflect.DeepEqual(d.AcceptLineItem, tt.acceptLineItem) {
			t.Errorf("%s: accept_multiple, auto_create, accept_lineitem = %v, %v, %v; want %v, %v, %v", tt.json,
				d.AcceptMultiple, d.AutoCreate, fmtBoolPtr(d.AcceptLineItem), tt.multiple, tt.autoCreate, fmtBoolPtr(tt.acceptLineItem))
		}
	}
}

func fmtBoolPtr(b *bool) string {
	if b == nil {
		return "nil"
	}
	if *b {
		return "&true"
	}
	return "&false"
}

// TestDecode_DL_REQ_09_DataEchoedUnchanged: data is kept exactly; a
// non-string is kept as its JSON text.
func TestDecode_DL_REQ_09_DataEchoedUnchanged(t *testing.T) {
	l := mustDecode(t, payloadWith(uriDL, `{"data":"op4que \u00e9 ;=&"}`))
	checkEq(t, "Data", l.DeepLinking.Data, "op4que é ;=&")
	l = mustDecode(t, payloadWith(uriDL, `{"data":{"k":[1,2]}}`))
	checkEq(t, "Data object", l.DeepLinking.Data, `{"k":[1,2]}`)
}

// TestDecode_AP_01_StartProctoring: the proctoring claims, with an
// attempt_number sent as a string.
func TestDecode_AP_01_StartProctoring(t *testing.T) {
	l := mustDecode(t, payloadWith(
		"https://purl.imsglobal.org/spec/lti/claim/message_type", `"LtiStartProctoring"`,
		uriAPPrefix+"attempt_number", `"2"`,
		uriAPPrefix+"start_assessment_url", `"https://lms.example/start"`,
		uriAPPrefix+"session_data", `"csrf-123"`,
		uriAPPrefix+"proctoring_settings", `{"data":"cfg"}`,
		uriAPPrefix+"acs", `{"assessment_control_url":"https://lms.example/acs","actions":["pause","terminate","flag"]}`,
	))
	checkEq(t, "MessageType", l.MessageType, StartProctoring)
	checkEq(t, "Proctoring", l.Proctoring, &Proctoring{
		AttemptNumber:      2,
		StartAssessmentURL: "https://lms.example/start",
		SessionData:        "csrf-123",
		SettingsData:       "cfg",
		ACS:                &ACS{AssessmentControlURL: "https://lms.example/acs", Actions: []string{"pause", "terminate", "flag"}},
	})

	l = mustDecode(t, payloadWith(uriAPPrefix+"attempt_number", `3.0`, uriAPPrefix+"end_assessment_return", `"true"`,
		uriAPPrefix+"verified_user", `{"given_name":"Ana","picture":"https://tool/p.png"}`))
	checkEq(t, "AttemptNumber", l.Proctoring.AttemptNumber, 3)
	checkEq(t, "EndAssessmentReturn", l.Proctoring.EndAssessmentReturn, true)
	checkEq(t, "VerifiedUser", l.Proctoring.VerifiedUser, &VerifiedUser{GivenName: "Ana", Picture: "https://tool/p.png"})
}

// TestDecode_AP_04_EndAssessmentErrors: errormsg / errorlog, also under
// the names with stray spaces OAT-based platforms send.
func TestDecode_AP_04_EndAssessmentErrors(t *testing.T) {
	l := mustDecode(t, payloadWith(uriAPPrefix+"attempt_number", `1`,
		uriAPPrefix+"errormsg", `"Browser check failed"`, uriAPPrefix+"errorlog", `" code 7 "`))
	checkEq(t, "ErrorMsg", l.Proctoring.ErrorMsg, "Browser check failed")
	checkEq(t, "ErrorLog", l.Proctoring.ErrorLog, "code 7")

	l = mustDecode(t, payloadWith(uriAPPrefix+"attempt_number", `1`,
		" "+uriAPPrefix+"errormsg", `"Secure browser validation"`, " "+uriAPPrefix+"errorlog ", `"log"`))
	checkEq(t, "OAT ErrorMsg", l.Proctoring.ErrorMsg, "Secure browser validation")
	checkEq(t, "OAT ErrorLog", l.Proctoring.ErrorLog, "log")
}

// TestDecode_MIG_01_LTI1p1: the migration claim and lti11_legacy_user_id.
func TestDecode_MIG_01_LTI1p1(t *testing.T) {
	l := mustDecode(t, payloadWith(
		"https://purl.imsglobal.org/spec/lti/claim/lti1p1", `{"oauth_consumer_key":"179248902","oauth_consumer_key_sign":"lWd54kFo5qU7xshAna6v8BwoBm6tmUjc6GTax6+12ps=","user_id":"old-u","context_id":"old-c","tool_consumer_instance_guid":"old-g","resource_link_id":"old-r"}`,
		"https://purl.imsglobal.org/spec/lti/claim/lti11_legacy_user_id", `"legacy-7"`,
	))
	checkEq(t, "LTI1p1", l.LTI1p1, &LTI1p1{OAuthConsumerKey: "179248902", OAuthConsumerKeySign: "lWd54kFo5qU7xshAna6v8BwoBm6tmUjc6GTax6+12ps=",
		UserID: "old-u", ContextID: "old-c", ToolConsumerInstanceGUID: "old-g", ResourceLinkID: "old-r"})
	checkEq(t, "LTI11LegacyUserID", l.LTI11LegacyUserID, "legacy-7")
}

// TestDecode_LTI_CORE_15_UnknownClaimsAndOldBasicOutcome: unknown claims are
// ignored; old Moodle's basic outcome key is read.
func TestDecode_LTI_CORE_15_UnknownClaimsAndOldBasicOutcome(t *testing.T) {
	l := mustDecode(t, payloadWith(
		"https://vendor.example/claim/x", `{"deep":[{"a":null},true,1e999]}`,
		"https://purl.imsglobal.org/spec/lti-bos/claim/basicoutcomesservice", `{"lis_result_sourcedid":"rs","lis_outcome_service_url":"https://lms/bo"}`,
	))
	checkEq(t, "BasicOutcome", l.BasicOutcome, &BasicOutcome{LISResultSourcedID: "rs", LISOutcomeServiceURL: "https://lms/bo"})
}

// TestDecode_LTI_CORE_04_Anonymous: no sub is an anonymous launch (whether
// to accept it is verify.go's decision).
func TestDecode_LTI_CORE_04_Anonymous(t *testing.T) {
	for _, payload := range []string{`{"iss":"x"}`, `{"sub":null}`, `{"sub":""}`} {
		if l := mustDecode(t, []byte(payload)); !l.Anonymous() {
			t.Errorf("%s: Anonymous() = false", payload)
		}
	}
}

// TestDecode_ClaimNamesAreCaseSensitive: RFC 7519 claim names are

// TestDecode_RepeatedClaims: like encoding/json, a repeated string claim
// takes the last value, null leaves a string as it was, and a repeated
// object claim is merged into the first.
func TestDecode_RepeatedClaims(t *testing.T) {
	payload := []byte(`{"sub":"a","sub":"b","iss":"x","iss":null,
		"https://purl.imsglobal.org/spec/lti/claim/context":{"id":"1","title":"T"},
		"https://purl.imsglobal.org/spec/lti/claim/context":{"id":"2"},
		"https://purl.imsglobal.org/spec/lti/claim/custom":{"a":"1","b":"2"},
		"https://purl.imsglobal.org/spec/lti/claim/custom":{"a":null,"c":"3"}}`)
	l := mustDecode(t, payload)
	checkEq(t, "Subject", l.Subject, "b")
	checkEq(t, "Issuer", l.Issuer, "x")
	checkEq(t, "Context", l.Context, &ContextClaim{ID: "2", Title: "T"})
	checkEq(t, "Custom", l.Custom, map[string]string{"b": "2", "c": "3"})
}

// TestDecode_NestingWithinLimit: nesting up to encoding/json's limit of
// 10000 is accepted (and ignored in unknown claims).
func TestDecode_NestingWithinLimit(t *testing.T) {
	n := 10000 - 1 // encoding/json's nesting limit; the payload object is one level
	payload := []byte(`{"sub":"4","junk":` + strings.Repeat("[", n) + strings.Repeat("]", n) + `}`)
	checkEq(t, "Subject", mustDecode(t, payload).Subject, "4")
	if !json.Valid(payload) {
		t.Error("encoding/json rejects the payload")
	}
	payload = []byte(`{"junk":` + strings.Repeat("[", n+1) + strings.Repeat("]", n+1) + `}`)
	if _, err := decodeLaunch(payload); CodeOf(err) != CodeMalformedToken || json.Valid(payload) {
		t.Errorf("one level deeper: %v (encoding/json valid: %v), want malformed for both", err, json.Valid(payload))
	}
}

// TestLaunch_Claims: vendor claims read from the verified payload.
func TestLaunch_Claims(t *testing.T) {
	l := mustDecode(t, moodlePayload(t, "id_token_student_resource_link_launch.json"))
	var c struct {
		BO struct {
			URL string `json:"lis_outcome_service_url"`
		} `json:"https://purl.imsglobal.org/spec/lti-bo/claim/basicoutcome"`
		Sub string `json:"sub"`
	}
	if err := l.Claims(&c); err != nil {
		t.Fatal(err)
	}
	checkEq(t, "basic outcome URL", c.BO.URL, "http://127.0.0.1:8081/mod/lti/service.php")
	checkEq(t, "sub", c.Sub, "4")

	var wrong struct {
		Sub int `json:"sub"`
	}
	if err := l.Claims(&wrong); err == nil || !strings.HasPrefix(err.Error(), "tool: ") {
		t.Errorf("Claims into a wrong type: %v, want an error starting with \"tool: \"", err)
	}
	if err := new(Launch).Claims(&c); err == nil {
		t.Error("Claims on a Launch without payload: no error")
	}
}

// TestLaunch_RawClaimsIsACopy: callers cannot change the verified payload.
func TestLaunch_RawClaimsIsACopy(t *testing.T) {
	payload := moodlePayload(t, "id_token_student_resource_link_launch.json")
	l := mustDecode(t, payload)
	payload[0] = 'X' // the caller's buffer is not kept either
	raw := l.RawClaims()
	raw[1] = 'X'
	if again := l.RawClaims(); again[0] != '{' || again[1] != '"' {
		t.Errorf("RawClaims changed: %.10q", again)
	}
	if new(Launch).RawClaims() != nil {
		t.Error("RawClaims of an empty Launch is not nil")
	}
}

// TestLaunch_Claim: one claim's JSON, present or not.
func TestLaunch_Claim(t *testing.T) {
	l := mustDecode(t, moodlePayload(t, "id_token_deep_linking_request.json"))
	v, ok := l.Claim("https://purl.imsglobal.org/spec/lti/claim/ext")
	if !ok || string(v) != `{"user_username":"teacher1","lms":"moodle-2"}` {
		t.Errorf("Claim(ext) = %s, %v", v, ok)
	}
	if v, ok := l.Claim("https://purl.imsglobal.org/spec/lti/claim/resource_link"); ok {
		t.Errorf("Claim(resource_link) = %s, present in a DL request", v)
	}
	if _, ok := new(Launch).Claim("sub"); ok {
		t.Error("Claim on an empty Launch: present")
	}
}

// BenchmarkDecodeLaunch decodes Moodle's student resource-link launch, the
// common case on the launch hot path.
func BenchmarkDecodeLaunch(b *testing.B) {
	payload := moodlePayload(b, "id_token_student_resource_link_launch.json")
	b.ReportAllocs()
	b.SetBytes(int64(len(payload)))
	for b.Loop() {
		if _, err := decodeLaunch(payload); err != nil {
			b.Fatal(err)
		}
	}
}
