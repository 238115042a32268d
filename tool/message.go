package tool

// MessageType is the value of the LTI message_type claim.
type MessageType string

// The message types a platform sends to a tool.
const (
	ResourceLinkRequest     MessageType = "LtiResourceLinkRequest"
	DeepLinkingRequest      MessageType = "LtiDeepLinkingRequest"
	SubmissionReviewRequest MessageType = "LtiSubmissionReviewRequest"
	StartProctoring         MessageType = "LtiStartProctoring"
	EndAssessment           MessageType = "LtiEndAssessment"
)

// Tool-originated message types.
const (
	DeepLinkingResponse MessageType = "LtiDeepLinkingResponse"
	StartAssessment     MessageType = "LtiStartAssessment"
)

// Version is the only LTI version this package accepts ("1.3.0").
const Version = "1.3.0"
