package tool_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/ltikit/ltikit/tool"
)

// moodleLaunch stands for the verified launch a handler gets from
// tool.LaunchFrom(r.Context()): here, the student launch recorded from
// Moodle 4.5 in testdata.
func moodleLaunch() *tool.Launch {
	data, err := os.ReadFile("testdata/id_token_student_resource_link_launch.json")
	if err != nil {
		panic(err)
	}
	var rec struct {
		RawIDToken string `json:"raw_id_token"`
	}
	if err := json.Unmarshal(data, &rec); err != nil {
		panic(err)
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.Split(rec.RawIDToken, ".")[1])
	if err != nil {
		panic(err)
	}
	l, err := tool.DecodeLaunchForExample(payload)
	if err != nil {
		panic(err)
	}
	return l
}

func ExampleRoles() {
	// Roles as platforms send them: a teaching assistant with only the
	// sub-role, a deprecated short name and a vendor role. Launch.Roles
	// arrives parsed like this.
	var roles tool.Roles
	for _, r := range []string{
		"http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant",
		"Mentor",
		"https://vendor.example/roles#Grader",
	} {
		roles = append(roles, tool.ParseRole(r))
	}

	fmt.Println("instructor:", roles.IsInstructor()) // a sub-role implies its principal
	fmt.Println("teaching assistant:", roles.IsTeachingAssistant())
	fmt.Println("mentor:", roles.Has(tool.RoleMentor))
	fmt.Println("learner:", roles.IsLearner())
	fmt.Println("administrator:", roles.IsAdministrator())
	fmt.Println("vendor role kept:", roles.Has("https://vendor.example/roles#Grader"))
	// Output:
	// instructor: true
	// teaching assistant: true
	// mentor: true
	// learner: false
	// administrator: false
	// vendor role kept: true
}

func ExampleParseRole() {
	for _, s := range []string{
		"Instructor",                             // LTI 1.3 simple name: context role
		"urn:lti:instrole:ims/lis/Administrator", // LTI 1.1 URN
		"http://purl.imsglobal.org/vocab/lis/v2/person#SysAdmin", // deprecated vocabulary
		"https://vendor.example/roles#Grader",                    // unknown: kept
	} {
		fmt.Println(tool.ParseRole(s))
	}
	// Output:
	// http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor
	// http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator
	// http://purl.imsglobal.org/vocab/lis/v2/system/person#SysAdmin
	// https://vendor.example/roles#Grader
}

func ExampleLaunch_Claims() {
	l := moodleLaunch() // in a handler: l, _ := tool.LaunchFrom(r.Context())

	// Claims reads anything the Launch does not model, here Moodle's ext
	// claim and the basic outcome claim, into your own type.
	var c struct {
		Ext struct {
			LMS      string `json:"lms"`
			Username string `json:"user_username"`
		} `json:"https://purl.imsglobal.org/spec/lti/claim/ext"`
		Outcome struct {
			ServiceURL string `json:"lis_outcome_service_url"`
		} `json:"https://purl.imsglobal.org/spec/lti-bo/claim/basicoutcome"`
	}
	if err := l.Claims(&c); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.Ext.LMS, c.Ext.Username)
	fmt.Println(c.Outcome.ServiceURL)
	// Output:
	// moodle-2 student1
	// http://127.0.0.1:8081/mod/lti/service.php
}

func ExampleLaunch_roles() {
	l := moodleLaunch() // in a handler: l, _ := tool.LaunchFrom(r.Context())

	switch {
	case l.Roles.IsInstructor():
		fmt.Println("show the grading view")
	case l.Roles.IsLearner():
		fmt.Println("show the activity to learner", l.Subject, "in", l.Context.Title)
	}
	// Output: show the activity to learner 4 in LTI Test Course
}

func ExampleContextClaim_HasType() {
	l := moodleLaunch()

	// Moodle sends the bare name "CourseSection"; Context.Type holds the
	// full URI, and HasType accepts either.
	fmt.Println(l.Context.Type)
	fmt.Println(l.Context.HasType("CourseSection"), l.Context.HasType(tool.ContextTypeGroup))
	// Output:
	// [http://purl.imsglobal.org/vocab/lis/v2/course#CourseSection]
	// true false
}
