package ltitest

// Claim names of the id_token, for Message.Mutate and for reading
// LogEntry.Claims. The values are the exact URIs of the LTI specifications.
const (
	ClaimMessageType        = "https://purl.imsglobal.org/spec/lti/claim/message_type"
	ClaimVersion            = "https://purl.imsglobal.org/spec/lti/claim/version"
	ClaimDeploymentID       = "https://purl.imsglobal.org/spec/lti/claim/deployment_id"
	ClaimTargetLinkURI      = "https://purl.imsglobal.org/spec/lti/claim/target_link_uri"
	ClaimRoles              = "https://purl.imsglobal.org/spec/lti/claim/roles"
	ClaimResourceLink       = "https://purl.imsglobal.org/spec/lti/claim/resource_link"
	ClaimContext            = "https://purl.imsglobal.org/spec/lti/claim/context"
	ClaimToolPlatform       = "https://purl.imsglobal.org/spec/lti/claim/tool_platform"
	ClaimLaunchPresentation = "https://purl.imsglobal.org/spec/lti/claim/launch_presentation"
	ClaimCustom             = "https://purl.imsglobal.org/spec/lti/claim/custom"
	ClaimLIS                = "https://purl.imsglobal.org/spec/lti/claim/lis"
	ClaimExt                = "https://purl.imsglobal.org/spec/lti/claim/ext"
	ClaimForUser            = "https://purl.imsglobal.org/spec/lti/claim/for_user"

	ClaimAGSEndpoint         = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
	ClaimNRPS                = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
	ClaimDeepLinkingSettings = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
	ClaimBasicOutcome        = "https://purl.imsglobal.org/spec/lti-bo/claim/basicoutcome"
)

// The service scopes the platform grants with Message.AGS.
const (
	scopeLineItem         = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
	scopeLineItemReadonly = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly"
	scopeResultReadonly   = "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly"
	scopeScore            = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
)
