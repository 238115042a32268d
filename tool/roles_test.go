package tool

import (
	"strings"
	"testing"
)

var allRoles = []Role{
	RoleSystemAdministrator, RoleSystemNone, RoleSystemAccountAdmin, RoleSystemCreator,
	RoleSystemSysAdmin, RoleSystemSysSupport, RoleSystemUser, RoleTestUser,
	RoleInstitutionAdministrator, RoleInstitutionFaculty, RoleInstitutionGuest, RoleInstitutionNone,
	RoleInstitutionOther, RoleInstitutionStaff, RoleInstitutionStudent, RoleInstitutionAlumni,
	RoleInstitutionInstructor, RoleInstitutionLearner, RoleInstitutionMember, RoleInstitutionMentor,
	RoleInstitutionObserver, RoleInstitutionProspectiveStudent,
	RoleContextAdministrator, RoleContentDeveloper, RoleInstructor, RoleLearner, RoleMentor,
	RoleManager, RoleMember, RoleOfficer, RoleTeachingAssistant,
}

// TestRoles_LTI_ROLE_01_FullURIs: the constants are the spec's URIs and
// parse to themselves.
func TestRoles_LTI_ROLE_01_FullURIs(t *testing.T) {
	want := map[Role]string{
		RoleSystemAdministrator:           "http://purl.imsglobal.org/vocab/lis/v2/system/person#Administrator",
		RoleSystemSysAdmin:                "http://purl.imsglobal.org/vocab/lis/v2/system/person#SysAdmin",
		RoleTestUser:                      "http://purl.imsglobal.org/vocab/lti/system/person#TestUser",
		RoleInstitutionProspectiveStudent: "http://purl.imsglobal.org/vocab/lis/v2/institution/person#ProspectiveStudent",
		RoleInstitutionFaculty:            "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Faculty",
		RoleContextAdministrator:          "http://purl.imsglobal.org/vocab/lis/v2/membership#Administrator",
		RoleInstructor:                    "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor",
		RoleLearner:                       "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner",
		RoleTeachingAssistant:             "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant",
	}
	for r, uri := range want {
		if string(r) != uri {
			t.Errorf("constant %q, want %q", r, uri)
		}
	}
	seen := map[Role]bool{}
	for _, r := range allRoles {
		if got := ParseRole(string(r)); got != r {
			t.Errorf("ParseRole(%q) = %q, want it unchanged", r, got)
		}
		if seen[r] {
			t.Errorf("duplicate role constant %q", r)
		}
		seen[r] = true
	}
}

// TestRoles_LTI_ROLE_02_ShortNames: simple names are context roles only,
// never system or institution roles.
func TestRoles_LTI_ROLE_02_ShortNames(t *testing.T) {
	for in, want := range map[string]Role{
		"Administrator":     RoleContextAdministrator,
		"ContentDeveloper":  RoleContentDeveloper,
		"Instructor":        RoleInstructor,
		"Learner":           RoleLearner,
		"Mentor":            RoleMentor,
		"Manager":           RoleManager,
		"Member":            RoleMember,
		"Officer":           RoleOfficer,
		"TeachingAssistant": RoleTeachingAssistant,
		// Not context roles: kept as they are.
		"Faculty":    "Faculty",
		"Student":    "Student",
		"SysAdmin":   "SysAdmin",
		"instructor": "instructor",
		" Learner":   " Learner",
		"":           "",
	} {
		if got := ParseRole(in); got != want {
			t.Errorf("ParseRole(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestRoles_LTI_ROLE_02_LTI11URNs: LTI 1.1 role URNs map to the 1.3 URIs
// of their vocabulary.
func TestRoles_LTI_ROLE_02_LTI11URNs(t *testing.T) {
	for in, want := range map[string]Role{
		"urn:lti:role:ims/lis/Instructor":                   RoleInstructor,
		"urn:lti:role:ims/lis/Learner":                      RoleLearner,
		"urn:lti:role:ims/lis/Administrator":                RoleContextAdministrator,
		"urn:lti:role:ims/lis/TeachingAssistant":            RoleTeachingAssistant,
		"urn:lti:role:ims/lis/Instructor/TeachingAssistant": RoleTeachingAssistant,
		"urn:lti:role:ims/lis/Learner/NonCreditLearner":     "http://purl.imsglobal.org/vocab/lis/v2/membership/Learner#NonCreditLearner",
		"urn:lti:instrole:ims/lis/Administrator":            RoleInstitutionAdministrator,
		"urn:lti:instrole:ims/lis/Student":                  RoleInstitutionStudent,
		"urn:lti:instrole:ims/lis/Faculty":                  RoleInstitutionFaculty,
		"urn:lti:sysrole:ims/lis/Administrator":             RoleSystemAdministrator,
		"urn:lti:sysrole:ims/lis/SysAdmin":                  RoleSystemSysAdmin,
		"urn:lti:sysrole:ims/lis/User":                      RoleSystemUser,
		// Unknown or malformed URNs are kept.
		"urn:lti:role:ims/lis/Janitor":                  "urn:lti:role:ims/lis/Janitor",
		"urn:lti:role:ims/lis/Janitor/Head":             "urn:lti:role:ims/lis/Janitor/Head",
		"urn:lti:role:ims/lis/Instructor/":              "urn:lti:role:ims/lis/Instructor/",
		"urn:lti:role:ims/lis/Instructor/Sub#x":         "urn:lti:role:ims/lis/Instructor/Sub#x",
		"urn:lti:role:ims/lis/TeachingAssistant/Grader": "urn:lti:role:ims/lis/TeachingAssistant/Grader",
		"urn:lti:instrole:ims/lis/Manager":              "urn:lti:instrole:ims/lis/Manager",
		"urn:lti:sysrole:ims/lis/Student":               "urn:lti:sysrole:ims/lis/Student",
	} {
		if got := ParseRole(in); got != want {
			t.Errorf("ParseRole(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestRoles_LTI_ROLE_03_SubRoleImpliesPrincipal: a sub-role on its own
// implies its principal role; the principal alone implies no sub-role.
func TestRoles_LTI_ROLE_03_SubRoleImpliesPrincipal(t *testing.T) {
	ta := Roles{RoleTeachingAssistant}
	if !ta.IsInstructor() || !ta.IsTeachingAssistant() {
		t.Errorf("%v: IsInstructor, IsTeachingAssistant = %v, %v; want true, true", ta, ta.IsInstructor(), ta.IsTeachingAssistant())
	}
	if !ta.Has(RoleInstructor) || !ta.Has("Instructor") || !ta.Has(RoleTeachingAssistant) {
		t.Errorf("%v: Has(RoleInstructor) or Has(RoleTeachingAssistant) false", ta)
	}
	if ta.IsLearner() || ta.Has(RoleLearner) || ta.IsAdministrator() {
		t.Errorf("%v counts as learner or administrator", ta)
	}

	instructor := Roles{RoleInstructor}
	if instructor.IsTeachingAssistant() || instructor.Has(RoleTeachingAssistant) {
		t.Errorf("%v counts as teaching assistant", instructor)
	}

	for _, tt := range []struct {
		role  Role
		check func(Roles) bool
		name  string
	}{
		{"http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistantSection", Roles.IsTeachingAssistant, "IsTeachingAssistant"},
		{"http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#Grader", Roles.IsInstructor, "IsInstructor"},
		{"http://purl.imsglobal.org/vocab/lis/v2/membership/Learner#NonCreditLearner", Roles.IsLearner, "IsLearner"},
		{"http://purl.imsglobal.org/vocab/lis/v2/membership/Mentor#Advisor", Roles.IsMentor, "IsMentor"},
		{"http://purl.imsglobal.org/vocab/lis/v2/membership/ContentDeveloper#Librarian", Roles.IsContentDeveloper, "IsContentDeveloper"},
		{"http://purl.imsglobal.org/vocab/lis/v2/membership/Administrator#Support", Roles.IsAdministrator, "IsAdministrator"},
	} {
		if !tt.check(Roles{tt.role}) {
			t.Errorf("Roles{%q}.%s() = false", tt.role, tt.name)
		}
	}
	grader := Roles{"http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#Grader"}
	if grader.IsTeachingAssistant() {
		t.Errorf("%v counts as teaching assistant", grader)
	}
	// A malformed sub-role implies nothing.
	for _, r := range []Role{
		"http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#",
		"http://purl.imsglobal.org/vocab/lis/v2/membership/#TeachingAssistant",
		"http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor",
		"http://purl.imsglobal.org/vocab/lis/v2/membership#",
	} {
		if rs := (Roles{r}); rs.IsInstructor() || rs.IsTeachingAssistant() || rs.Has(RoleInstructor) {
			t.Errorf("malformed role %q implies Instructor", r)
		}
	}
}

// TestRoles_LTI_ROLE_04_UnknownRolesKeptAndIgnored
func TestRoles_LTI_ROLE_04_UnknownRolesKeptAndIgnored(t *testing.T) {
	vendor := []string{
		"http://vendor.example/roles#Grader",
		"https://purl.imsglobal.org/vocab/lis/v2/membership#Instructor", // https: not the vocabulary
		"http://purl.imsglobal.org/vocab/lis/v2/membership#Janitor",
		"Canvas:Observer",
		"",
	}
	rs := make(Roles, len(vendor))
	for i, v := range vendor {
		if rs[i] = ParseRole(v); string(rs[i]) != v {
			t.Errorf("ParseRole(%q) = %q, want it kept", v, rs[i])
		}
	}
	if rs.IsInstructor() || rs.IsLearner() || rs.IsMentor() || rs.IsContentDeveloper() ||
		rs.IsTeachingAssistant() || rs.IsAdministrator() || rs.IsTestUser() {
		t.Errorf("%q: an Is* helper matched an unknown role", rs)
	}
	if !rs.Has("http://vendor.example/roles#Grader") || rs.Has(RoleInstructor) {
		t.Error("Has: want vendor role found, Instructor not")
	}
	var none Roles
	if none.Has(RoleLearner) || none.IsLearner() || none.IsAdministrator() || none.IsTestUser() {
		t.Error("nil Roles has a role")
	}
}

// TestRoles_LTI_ROLE_05_AdministratorVariants: IsAdministrator covers the
// system, institution and context Administrator roles and SysAdmin.
func TestRoles_LTI_ROLE_05_AdministratorVariants(t *testing.T) {
	for r, want := range map[Role]bool{
		RoleSystemAdministrator:                                       true,
		RoleSystemSysAdmin:                                            true,
		RoleInstitutionAdministrator:                                  true,
		RoleContextAdministrator:                                      true,
		"Administrator":                                               true, // short context name
		"urn:lti:sysrole:ims/lis/Administrator":                       true,
		"urn:lti:instrole:ims/lis/Administrator":                      true,
		"http://purl.imsglobal.org/vocab/lis/v2/person#Administrator": true,
		RoleSystemAccountAdmin:                                        false,
		RoleSystemSysSupport:                                          false,
		RoleSystemCreator:                                             false,
		RoleManager:                                                   false,
		RoleInstructor:                                                false,
	} {
		if got := (Roles{r}).IsAdministrator(); got != want {
			t.Errorf("Roles{%q}.IsAdministrator() = %v, want %v", r, got, want)
		}
	}
}

// TestRoles_LTI_ROLE_06_DeprecatedPersonVocabulary: .../lis/v2/person#X maps
// to the institution role X when there is one, else the system role.
func TestRoles_LTI_ROLE_06_DeprecatedPersonVocabulary(t *testing.T) {
	const person = "http://purl.imsglobal.org/vocab/lis/v2/person#"
	for in, want := range map[string]Role{
		person + "Administrator": RoleInstitutionAdministrator,
		person + "None":          RoleInstitutionNone,
		person + "Faculty":       RoleInstitutionFaculty,
		person + "Student":       RoleInstitutionStudent,
		person + "SysAdmin":      RoleSystemSysAdmin,
		person + "AccountAdmin":  RoleSystemAccountAdmin,
		person + "User":          RoleSystemUser,
		person + "Janitor":       person + "Janitor",
	} {
		if got := ParseRole(in); got != want {
			t.Errorf("ParseRole(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestRoles_LTI_ROLE_06_TestUser: the marker role arrives with a real role.
func TestRoles_LTI_ROLE_06_TestUser(t *testing.T) {
	rs := Roles{RoleLearner, RoleTestUser}
	if !rs.IsTestUser() || !rs.IsLearner() || rs.IsInstructor() {
		t.Errorf("%v: IsTestUser, IsLearner, IsInstructor = %v, %v, %v", rs, rs.IsTestUser(), rs.IsLearner(), rs.IsInstructor())
	}
	if (Roles{RoleLearner}).IsTestUser() {
		t.Error("a plain learner is a test user")
	}
}

// TestRoles_InstitutionRolesAreNotContextRoles: an institution Instructor
// or Faculty member is not an instructor of this course.
func TestRoles_InstitutionRolesAreNotContextRoles(t *testing.T) {
	rs := Roles{RoleInstitutionInstructor, RoleInstitutionFaculty, RoleInstitutionLearner, RoleInstitutionMentor, RoleInstitutionStudent}
	if rs.IsInstructor() || rs.IsLearner() || rs.IsMentor() || rs.Has(RoleInstructor) {
		t.Errorf("%v counts as a context role", rs)
	}
}

// TestRoles_HasNormalisesBothSides: hand-built Roles with deprecated forms
// work with Has and the helpers.
func TestRoles_HasNormalisesBothSides(t *testing.T) {
	rs := Roles{"Learner", "urn:lti:role:ims/lis/Mentor"}
	for _, r := range []Role{RoleLearner, "Learner", "urn:lti:role:ims/lis/Learner", RoleMentor} {
		if !rs.Has(r) {
			t.Errorf("%q.Has(%q) = false", rs, r)
		}
	}
	if !rs.IsLearner() || !rs.IsMentor() || rs.Has(RoleInstructor) {
		t.Errorf("%q: helpers disagree", rs)
	}
}

// TestRoles_ParseRoleDoesNotAllocate: full URIs, short names and 1.1 URNs
// for principal roles are parsed without allocating (it runs for every role
// of every launch).
func TestRoles_ParseRoleDoesNotAllocate(t *testing.T) {
	inputs := []string{string(RoleInstructor), "Learner", "urn:lti:sysrole:ims/lis/Administrator",
		"http://vendor.example/x", strings.Repeat("x", 64)}
	rs := Roles{RoleTeachingAssistant, RoleLearner}
	allocs := testing.AllocsPerRun(100, func() {
		for _, in := range inputs {
			_ = ParseRole(in)
		}
		_ = rs.IsInstructor() && rs.Has(RoleInstructor) && rs.IsAdministrator()
	})
	if allocs != 0 {
		t.Errorf("%v allocations per run, want 0", allocs)
	}
}
