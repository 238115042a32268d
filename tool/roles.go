package tool

import "strings"

// Role is an LTI role URI from the roles claim, for example
// "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor".
//
// Roles decoded from a launch are normalised by [ParseRole]: deprecated short
// names and LTI 1.1 URNs arrive as the full LTI 1.3 URIs below, and unknown or
// vendor roles are kept exactly as the platform sent them.
type Role string

// Prefixes of the LIS v2 role vocabularies (LTI-ROLE-01).
const (
	roleVocabLIS         = "http://purl.imsglobal.org/vocab/lis/v2/"
	roleVocabSystem      = roleVocabLIS + "system/person#"
	roleVocabInstitution = roleVocabLIS + "institution/person#"
	roleVocabMembership  = roleVocabLIS + "membership#"
	roleVocabSubRole     = roleVocabLIS + "membership/" // + Principal#SubRole
	roleVocabPerson      = roleVocabLIS + "person#"     // deprecated (LTI-ROLE-06)
)

// System roles (LTI-ROLE-01): the user's role in the platform as a whole.
const (
	RoleSystemAdministrator Role = roleVocabSystem + "Administrator"
	RoleSystemNone          Role = roleVocabSystem + "None"
	RoleSystemAccountAdmin  Role = roleVocabSystem + "AccountAdmin"
	RoleSystemCreator       Role = roleVocabSystem + "Creator"
	RoleSystemSysAdmin      Role = roleVocabSystem + "SysAdmin"
	RoleSystemSysSupport    Role = roleVocabSystem + "SysSupport"
	RoleSystemUser          Role = roleVocabSystem + "User"

	// RoleTestUser marks a test or student-preview user. Platforms send it
	// alongside a real role (LTI-ROLE-06); a tool may hide such users from
	// rosters or skip their grades.
	RoleTestUser Role = "http://purl.imsglobal.org/vocab/lti/system/person#TestUser"
)

// Institution roles (LTI-ROLE-01): the user's role in the institution. They
// say nothing about the user's role in the launch's course; the Is* helpers
// of [Roles] ignore them (except [Roles.IsAdministrator]).
const (
	RoleInstitutionAdministrator      Role = roleVocabInstitution + "Administrator"
	RoleInstitutionFaculty            Role = roleVocabInstitution + "Faculty"
	RoleInstitutionGuest              Role = roleVocabInstitution + "Guest"
	RoleInstitutionNone               Role = roleVocabInstitution + "None"
	RoleInstitutionOther              Role = roleVocabInstitution + "Other"
	RoleInstitutionStaff              Role = roleVocabInstitution + "Staff"
	RoleInstitutionStudent            Role = roleVocabInstitution + "Student"
	RoleInstitutionAlumni             Role = roleVocabInstitution + "Alumni"
	RoleInstitutionInstructor         Role = roleVocabInstitution + "Instructor"
	RoleInstitutionLearner            Role = roleVocabInstitution + "Learner"
	RoleInstitutionMember             Role = roleVocabInstitution + "Member"
	RoleInstitutionMentor             Role = roleVocabInstitution + "Mentor"
	RoleInstitutionObserver           Role = roleVocabInstitution + "Observer"
	RoleInstitutionProspectiveStudent Role = roleVocabInstitution + "ProspectiveStudent"
)

// Context (membership) roles (LTI-ROLE-01): the user's role in the launch's
// context, usually a course. These are the roles a tool normally checks.
const (
	RoleContextAdministrator Role = roleVocabMembership + "Administrator"
	RoleContentDeveloper     Role = roleVocabMembership + "ContentDeveloper"
	RoleInstructor           Role = roleVocabMembership + "Instructor"
	RoleLearner              Role = roleVocabMembership + "Learner"
	RoleMentor               Role = roleVocabMembership + "Mentor"
	RoleManager              Role = roleVocabMembership + "Manager"
	RoleMember               Role = roleVocabMembership + "Member"
	RoleOfficer              Role = roleVocabMembership + "Officer"

	// RoleTeachingAssistant is the Instructor sub-role TeachingAssistant.
	// On its own it implies [RoleInstructor] (LTI-ROLE-03).
	RoleTeachingAssistant Role = roleVocabSubRole + "Instructor#TeachingAssistant"
)

// ParseRole returns the LTI 1.3 role for s, one entry of a roles claim (or of
// an NRPS member's roles). Full role URIs are returned unchanged. It also
// accepts the deprecated forms platforms still send:
//
//   - simple context role names (LTI-ROLE-02): "Instructor" is
//     [RoleInstructor], "Administrator" is [RoleContextAdministrator], and so
//     on for the eight context roles. "TeachingAssistant" is
//     [RoleTeachingAssistant]. Simple names never map to system or
//     institution roles.
//   - LTI 1.1 URNs: urn:lti:role:ims/lis/X (context roles, also
//     urn:lti:role:ims/lis/Principal/Sub sub-roles), urn:lti:instrole:ims/lis/X
//     (institution) and urn:lti:sysrole:ims/lis/X (system).
//   - the deprecated vocabulary http://purl.imsglobal.org/vocab/lis/v2/person#X
//     (LTI-ROLE-06): X becomes the institution role of that name when the
//     institution vocabulary has one (so person#Administrator is
//     [RoleInstitutionAdministrator]), otherwise the system role (person#SysAdmin
//     is [RoleSystemSysAdmin]).
//
// Matching is exact (case-sensitive) and does not trim spaces. Anything it
// does not recognise, such as a vendor role, is returned unchanged: unknown
// roles are kept, never rejected (LTI-ROLE-04).
func ParseRole(s string) Role {
	switch {
	case strings.HasPrefix(s, roleVocabPerson):
		name := s[len(roleVocabPerson):]
		if r, ok := institutionRole(name); ok {
			return r
		}
		if r, ok := systemRole(name); ok {
			return r
		}
	case strings.HasPrefix(s, "http"):
		// Full URIs, the common case: returned as they are.
	case strings.HasPrefix(s, "urn:lti:"):
		return parseRoleURN(s)
	default:
		if r, ok := contextRole(s); ok {
			return r
		}
	}
	return Role(s)
}

// parseRoleURN maps an LTI 1.1 role URN; unknown URNs are returned unchanged.
func parseRoleURN(s string) Role {
	const (
		ctxURN  = "urn:lti:role:ims/lis/"
		instURN = "urn:lti:instrole:ims/lis/"
		sysURN  = "urn:lti:sysrole:ims/lis/"
	)
	switch {
	case strings.HasPrefix(s, ctxURN):
		name := s[len(ctxURN):]
		if r, ok := contextRole(name); ok {
			return r
		}
		// LTI 1.1 sub-role: urn:lti:role:ims/lis/Instructor/TeachingAssistant.
		if principal, sub, ok := strings.Cut(name, "/"); ok && isRoleName(sub) {
			if _, ok := contextRole(principal); ok && principal != "TeachingAssistant" {
				return Role(roleVocabSubRole + principal + "#" + sub)
			}
		}
	case strings.HasPrefix(s, instURN):
		if r, ok := institutionRole(s[len(instURN):]); ok {
			return r
		}
	case strings.HasPrefix(s, sysURN):
		if r, ok := systemRole(s[len(sysURN):]); ok {
			return r
		}
	}
	return Role(s)
}

// isRoleName reports whether s can be a role name in a URI: non-empty ASCII
// letters and digits only.
func isRoleName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// contextRole maps a simple context role name. TeachingAssistant, which LTI
// 1.1 and LIS v1 listed as a context role, maps to the Instructor sub-role.
func contextRole(name string) (Role, bool) {
	switch name {
	case "Administrator":
		return RoleContextAdministrator, true
	case "ContentDeveloper":
		return RoleContentDeveloper, true
	case "Instructor":
		return RoleInstructor, true
	case "Learner":
		return RoleLearner, true
	case "Mentor":
		return RoleMentor, true
	case "Manager":
		return RoleManager, true
	case "Member":
		return RoleMember, true
	case "Officer":
		return RoleOfficer, true
	case "TeachingAssistant":
		return RoleTeachingAssistant, true
	}
	return "", false
}

func institutionRole(name string) (Role, bool) {
	switch name {
	case "Administrator":
		return RoleInstitutionAdministrator, true
	case "Faculty":
		return RoleInstitutionFaculty, true
	case "Guest":
		return RoleInstitutionGuest, true
	case "None":
		return RoleInstitutionNone, true
	case "Other":
		return RoleInstitutionOther, true
	case "Staff":
		return RoleInstitutionStaff, true
	case "Student":
		return RoleInstitutionStudent, true
	case "Alumni":
		return RoleInstitutionAlumni, true
	case "Instructor":
		return RoleInstitutionInstructor, true
	case "Learner":
		return RoleInstitutionLearner, true
	case "Member":
		return RoleInstitutionMember, true
	case "Mentor":
		return RoleInstitutionMentor, true
	case "Observer":
		return RoleInstitutionObserver, true
	case "ProspectiveStudent":
		return RoleInstitutionProspectiveStudent, true
	}
	return "", false
}

func systemRole(name string) (Role, bool) {
	switch name {
	case "Administrator":
		return RoleSystemAdministrator, true
	case "None":
		return RoleSystemNone, true
	case "AccountAdmin":
		return RoleSystemAccountAdmin, true
	case "Creator":
		return RoleSystemCreator, true
	case "SysAdmin":
		return RoleSystemSysAdmin, true
	case "SysSupport":
		return RoleSystemSysSupport, true
	case "User":
		return RoleSystemUser, true
	}
	return "", false
}

// contextRoleParts splits a context role into its principal name and sub-role
// name: membership#Instructor gives ("Instructor", ""), and
// membership/Instructor#TeachingAssistant gives ("Instructor",
// "TeachingAssistant"). ok is false for any other role.
func (r Role) contextRoleParts() (principal, sub string, ok bool) {
	s := string(r)
	if strings.HasPrefix(s, roleVocabMembership) {
		name := s[len(roleVocabMembership):]
		return name, "", name != ""
	}
	if strings.HasPrefix(s, roleVocabSubRole) {
		principal, sub, found := strings.Cut(s[len(roleVocabSubRole):], "#")
		return principal, sub, found && principal != "" && sub != ""
	}
	return "", "", false
}

// Roles is the roles claim of a launch. A nil Roles means the claim was
// absent or null; an empty, non-nil Roles means the platform sent [] (a valid
// launch, LTI-ROLE-04).
//
// Has and the Is* helpers accept deprecated forms in the receiver too (they
// parse every entry with [ParseRole]), so a hand-built Roles{"Instructor"}
// works. Unknown roles never match any helper.
type Roles []Role

// Has reports whether the roles include r. Both r and the entries are parsed
// with [ParseRole] first, so Has("Instructor") means Has([RoleInstructor]).
// Following LTI-ROLE-03, a context sub-role implies its principal: Has(
// [RoleInstructor]) is true for a user who only has [RoleTeachingAssistant].
// The reverse does not hold.
func (rs Roles) Has(r Role) bool {
	r = ParseRole(string(r))
	for _, x := range rs {
		if ParseRole(string(x)) == r {
			return true
		}
	}
	if principal, sub, ok := r.contextRoleParts(); ok && sub == "" {
		return rs.hasContextRole(principal, "")
	}
	return false
}

// hasContextRole reports whether rs holds the context role principal or any
// of its sub-roles whose name starts with subPrefix ("" matches the principal
// itself and every sub-role).
func (rs Roles) hasContextRole(principal, subPrefix string) bool {
	for _, x := range rs {
		p, sub, ok := ParseRole(string(x)).contextRoleParts()
		if !ok || p != principal {
			continue
		}
		if subPrefix == "" || strings.HasPrefix(sub, subPrefix) {
			return true
		}
	}
	return false
}

// IsInstructor reports whether the user is an Instructor in the launch's
// context: [RoleInstructor] or any Instructor sub-role such as
// [RoleTeachingAssistant] (LTI-ROLE-03). Institution and system roles do
// not count: an institution Instructor or Faculty member is not necessarily
// teaching this course.
func (rs Roles) IsInstructor() bool { return rs.hasContextRole("Instructor", "") }

// IsLearner reports whether the user is a Learner in the launch's context:
// [RoleLearner] or any Learner sub-role. Institution Student and Learner do
// not count.
func (rs Roles) IsLearner() bool { return rs.hasContextRole("Learner", "") }

// IsMentor reports whether the user is a Mentor in the launch's context:
// [RoleMentor] or any Mentor sub-role. The users a mentor may see are in
// [Launch.RoleScopeMentor].
func (rs Roles) IsMentor() bool { return rs.hasContextRole("Mentor", "") }

// IsContentDeveloper reports whether the user is a ContentDeveloper in the
// launch's context: [RoleContentDeveloper] or any of its sub-roles.
func (rs Roles) IsContentDeveloper() bool { return rs.hasContextRole("ContentDeveloper", "") }

// IsTeachingAssistant reports whether the user has an Instructor sub-role
// whose name starts with TeachingAssistant: [RoleTeachingAssistant] or the
// LIS variants such as membership/Instructor#TeachingAssistantSection. A
// plain [RoleInstructor] is not a teaching assistant.
func (rs Roles) IsTeachingAssistant() bool {
	return rs.hasContextRole("Instructor", "TeachingAssistant")
}

// IsAdministrator reports whether the user administers the platform, the
// institution or the launch's context: [RoleSystemAdministrator],
// [RoleSystemSysAdmin], [RoleInstitutionAdministrator],
// [RoleContextAdministrator] or a context Administrator sub-role. Moodle
// sends the system and institution Administrator roles for site admins
// (LTI-ROLE-05). AccountAdmin, SysSupport and Creator do not count.
func (rs Roles) IsAdministrator() bool {
	for _, x := range rs {
		switch ParseRole(string(x)) {
		case RoleSystemAdministrator, RoleSystemSysAdmin, RoleInstitutionAdministrator:
			return true
		}
	}
	return rs.hasContextRole("Administrator", "")
}

// IsTestUser reports whether the roles include [RoleTestUser], the marker of
// a test or student-preview user (LTI-ROLE-06).
func (rs Roles) IsTestUser() bool {
	for _, x := range rs {
		if ParseRole(string(x)) == RoleTestUser {
			return true
		}
	}
	return false
}
