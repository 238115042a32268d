package tool

import "strings"

// The claim types below are the LTI claims of a [Launch], decoded once from
// the verified id_token. Their json tags are the LTI claim member names, so
// marshalling one gives the shape the spec defines. Values are as the
// platform sent them, with the tolerances documented on each field.

// ResourceLink is the resource_link claim (LTI-CORE-07): the placement the
// user launched. It is required in LtiResourceLinkRequest and absent in
// LtiDeepLinkingRequest.
type ResourceLink struct {
	ID          string `json:"id"` // unique within the deployment; changes when the link is copied
	Title       string `json:"title,omitempty"`
	Description string `json:"description,omitempty"`
}

// Context types (LTI-CORE-08), as full URIs. [ContextClaim.Type] holds these
// after decoding even when the platform sent a bare name such as
// "CourseSection" (Moodle) or an LTI 1.1 URN.
const (
	ContextTypeCourseTemplate = "http://purl.imsglobal.org/vocab/lis/v2/course#CourseTemplate"
	ContextTypeCourseOffering = "http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"
	ContextTypeCourseSection  = "http://purl.imsglobal.org/vocab/lis/v2/course#CourseSection"
	ContextTypeGroup          = "http://purl.imsglobal.org/vocab/lis/v2/course#Group"
)

// ContextClaim is the context claim (LTI-CORE-08): the course or group the
// launch happens in.
type ContextClaim struct {
	ID    string `json:"id"` // unique within the deployment
	Label string `json:"label,omitempty"`
	Title string `json:"title,omitempty"`
	// Type lists the context types. Known types are normalised to the
	// ContextType* URIs; unknown ones are kept as sent.
	Type []string `json:"type,omitempty"`
}

// HasType reports whether the context has type t. Both t and the claim's
// types are compared after normalisation, so "CourseSection",
// [ContextTypeCourseSection] and "urn:lti:context-type:ims/lis/CourseSection"
// are the same type (LTI-CORE-08, LTI-ROLE-02). A nil ContextClaim has no
// type.
func (c *ContextClaim) HasType(t string) bool {
	if c == nil {
		return false
	}
	t = normalizeContextType(t)
	for _, x := range c.Type {
		if normalizeContextType(x) == t {
			return true
		}
	}
	return false
}

// normalizeContextType maps a bare context type name or an LTI 1.1 URN to its
// full URI; anything else is returned unchanged.
func normalizeContextType(t string) string {
	if strings.HasPrefix(t, "http") {
		return t
	}
	t = strings.TrimPrefix(t, "urn:lti:context-type:ims/lis/")
	switch t {
	case "CourseTemplate":
		return ContextTypeCourseTemplate
	case "CourseOffering":
		return ContextTypeCourseOffering
	case "CourseSection":
		return ContextTypeCourseSection
	case "Group":
		return ContextTypeGroup
	}
	return t
}

// ToolPlatform is the tool_platform claim (LTI-CORE-09): the LMS instance.
type ToolPlatform struct {
	GUID         string `json:"guid"`
	Name         string `json:"name,omitempty"`
	ContactEmail string `json:"contact_email,omitempty"`
	Description  string `json:"description,omitempty"`
	URL          string `json:"url,omitempty"`
	// ProductFamilyCode identifies the LMS, e.g. "moodle", "canvas". Older
	// Moodle versions wrote it as family_code; that is accepted too.
	ProductFamilyCode string `json:"product_family_code,omitempty"`
	// Version is the platform's version; a JSON number is kept as its text.
	Version string `json:"version,omitempty"`
}

// LaunchPresentation is the launch_presentation claim (LTI-CORE-10).
type LaunchPresentation struct {
	DocumentTarget string `json:"document_target,omitempty"` // "frame", "iframe" or "window"
	// Height and Width are the frame or window size in pixels; 0 when not
	// sent. A numeric string is accepted; any other non-number is ignored
	// (the claim is advisory, so a bad size never fails a launch).
	Height int `json:"height,omitempty"`
	Width  int `json:"width,omitempty"`
	// ReturnURL is where to send the user back to the platform
	// (LTI-PROC-02). Use it only after the launch verified (LTI-PROC-03).
	ReturnURL string `json:"return_url,omitempty"`
	Locale    string `json:"locale,omitempty"`
}

// LIS is the lis claim (LTI-CORE-12): SIS identifiers.
type LIS struct {
	PersonSourcedID         string `json:"person_sourcedid,omitempty"`
	CourseOfferingSourcedID string `json:"course_offering_sourcedid,omitempty"`
	CourseSectionSourcedID  string `json:"course_section_sourcedid,omitempty"`
}

// AGSEndpoint is the Assignment and Grade Services endpoint claim
// https://purl.imsglobal.org/spec/lti-ags/claim/endpoint (AGS-CLAIM-01). Its
// presence means the platform grants the grade service to this launch.
type AGSEndpoint struct {
	// Scope lists the AGS scopes the tool may request (AGS-SCOPE-01).
	Scope []string `json:"scope,omitempty"`
	// LineItems is the line items container URL; may be empty.
	LineItems string `json:"lineitems,omitempty"`
	// LineItem is the URL of the link's single line item; empty when the
	// link has none or several (Moodle sends "" in deep-linking requests).
	LineItem string `json:"lineitem,omitempty"`
}

// HasScope reports whether the claim grants scope, for example
// "https://purl.imsglobal.org/spec/lti-ags/scope/score". A nil AGSEndpoint
// grants nothing.
func (a *AGSEndpoint) HasScope(scope string) bool {
	if a == nil {
		return false
	}
	for _, s := range a.Scope {
		if s == scope {
			return true
		}
	}
	return false
}

// NRPSService is the Names and Role Provisioning Services claim
// https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice (NRPS-01).
type NRPSService struct {
	ContextMembershipsURL string   `json:"context_memberships_url"`
	ServiceVersions       []string `json:"service_versions,omitempty"` // Moodle: ["1.0","2.0"]
}

// DeepLinkingSettings is the claim
// https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings of an
// LtiDeepLinkingRequest (DL-REQ-01 to DL-REQ-10). Booleans sent as the
// strings "true"/"false" are accepted (DL-REQ-05).
type DeepLinkingSettings struct {
	// DeepLinkReturnURL receives the response; keep its query string.
	DeepLinkReturnURL string `json:"deep_link_return_url"`
	// AcceptTypes lists the content item types the platform accepts, e.g.
	// "ltiResourceLink" (DL-REQ-02).
	AcceptTypes []string `json:"accept_types"`
	// AcceptPresentationDocumentTargets lists "iframe", "window", "embed"
	// (and Moodle's legacy "frame").
	AcceptPresentationDocumentTargets []string `json:"accept_presentation_document_targets"`
	// AcceptMediaTypes lists the MIME types accepted for file items. A
	// comma-separated string (the spec) and an array (schema, Moodle) are
	// both accepted (DL-REQ-04).
	AcceptMediaTypes []string `json:"accept_media_types,omitempty"`
	// AcceptMultiple: more than one item may be returned. Absent means false:
	// return at most one item.
	AcceptMultiple bool `json:"accept_multiple,omitempty"`
	// AcceptLineItem is tri-state (DL-REQ-06): nil when the platform did not
	// say, so no assumption can be made; otherwise whether the platform
	// creates a line item from an item's lineItem.
	AcceptLineItem *bool `json:"accept_lineitem,omitempty"`
	// AutoCreate: items are saved without the user confirming. Absent means
	// false.
	AutoCreate bool `json:"auto_create,omitempty"`
	// Title and Text are default values for the returned items.
	Title string `json:"title,omitempty"`
	Text  string `json:"text,omitempty"`
	// Data is opaque and MUST be echoed unchanged in the response
	// (DL-REQ-09). A non-string value is kept as its JSON text.
	Data string `json:"data,omitempty"`
}

// ForUser is the for_user claim of an LtiSubmissionReviewRequest (SR-01): the
// learner whose submission is reviewed. The launch's Subject is the viewer.
type ForUser struct {
	UserID          string `json:"user_id"`
	PersonSourcedID string `json:"person_sourcedid,omitempty"`
	GivenName       string `json:"given_name,omitempty"`
	FamilyName      string `json:"family_name,omitempty"`
	MiddleName      string `json:"middle_name,omitempty"`
	Name            string `json:"name,omitempty"`
	Email           string `json:"email,omitempty"`
	// Roles are the learner's roles, normalised like [Launch.Roles].
	Roles Roles `json:"roles,omitempty"`
}

// Proctoring gathers the LTI Proctoring Services claims (prefix
// https://purl.imsglobal.org/spec/lti-ap/claim/) of an LtiStartProctoring or
// LtiEndAssessment message (AP-01, AP-04). [Launch.Proctoring] is nil when
// none of them is present.
type Proctoring struct {
	// AttemptNumber is attempt_number, counted from 1; 0 when absent. A
	// numeric string is accepted.
	AttemptNumber int `json:"attempt_number,omitempty"`
	// StartAssessmentURL is start_assessment_url: where the tool posts its
	// LtiStartAssessment message (AP-02).
	StartAssessmentURL string `json:"start_assessment_url,omitempty"`
	// SessionData is session_data: an opaque value to echo exactly (AP-03).
	SessionData string `json:"session_data,omitempty"`
	// EndAssessmentReturn is end_assessment_return (AP-03).
	EndAssessmentReturn bool `json:"end_assessment_return,omitempty"`
	// SettingsData is proctoring_settings.data.
	SettingsData string `json:"-"`
	// VerifiedUser is verified_user: the identity claims a proctor verified
	// (AP-08); nil when absent.
	VerifiedUser *VerifiedUser `json:"verified_user,omitempty"`
	// ACS is the assessment control service claim (AP-05); nil when absent.
	ACS *ACS `json:"acs,omitempty"`
	// ErrorMsg and ErrorLog are errormsg and errorlog of an LtiEndAssessment
	// that closed on an error (AP-04), with surrounding spaces trimmed.
	ErrorMsg string `json:"errormsg,omitempty"`
	ErrorLog string `json:"errorlog,omitempty"`
}

// ACS is the proctoring assessment control service claim (AP-05).
type ACS struct {
	AssessmentControlURL string   `json:"assessment_control_url"`
	Actions              []string `json:"actions,omitempty"` // pause, resume, terminate, update, flag
}

// LTI1p1 is the LTI 1.1 migration claim
// https://purl.imsglobal.org/spec/lti/claim/lti1p1 (MIG-01). Do not trust it
// before verifying OAuthConsumerKeySign (MIG-02). The optional ids are sent
// only when they differ from their LTI 1.3 counterparts.
type LTI1p1 struct {
	OAuthConsumerKey         string `json:"oauth_consumer_key"`
	OAuthConsumerKeySign     string `json:"oauth_consumer_key_sign,omitempty"`
	UserID                   string `json:"user_id,omitempty"`
	ContextID                string `json:"context_id,omitempty"`
	ToolConsumerInstanceGUID string `json:"tool_consumer_instance_guid,omitempty"`
	ResourceLinkID           string `json:"resource_link_id,omitempty"`
}

// BasicOutcome is the LTI 1.1 Basic Outcomes claim
// https://purl.imsglobal.org/spec/lti-bo/claim/basicoutcome (LTI-CORE-15),
// which Moodle sends with every graded launch. Old Moodle versions used the
// key https://purl.imsglobal.org/spec/lti-bos/claim/basicoutcomesservice;
// both are read.
type BasicOutcome struct {
	LISResultSourcedID   string `json:"lis_result_sourcedid,omitempty"`
	LISOutcomeServiceURL string `json:"lis_outcome_service_url,omitempty"`
}
