package tool

import "fmt"

// The codes of a refused deep-linking response. Like every [Code] they never
// change once released.
const (
	CodeItemTypeNotAccepted  Code = "item_type_not_accepted"    // item type not in accept_types (DL-REQ-02)
	CodeTargetNotAccepted    Code = "presentation_not_accepted" // iframe/window/embed not in accept_presentation_document_targets (DL-REQ-03)
	CodeMediaTypeNotAccepted Code = "media_type_not_accepted"   // file media type not in accept_media_types (DL-REQ-04)
	CodeTooManyItems         Code = "too_many_items"            // several items but accept_multiple is false (DL-REQ-05)
	CodeLineItemNotAccepted  Code = "line_item_not_accepted"    // a lineItem but accept_lineitem is false (DL-REQ-06)
	CodeInvalidItem          Code = "invalid_item"              // a content item misses a required property or has a bad one (DL-CI-*)
	CodeDeepLinkUsed         Code = "deep_link_used"            // a response was already signed for this deep-linking request
	CodeSigningFailed        Code = "signing_failed"            // the tool's key could not sign
)

// Sentinels for errors.Is on a refused deep-linking response, one per code.
// They match a [*DeepLinkError] (through the [*Error] it wraps) as well as
// any *Error with the same code.
var (
	ErrItemTypeNotAccepted  = &Error{Code: CodeItemTypeNotAccepted}
	ErrTargetNotAccepted    = &Error{Code: CodeTargetNotAccepted}
	ErrMediaTypeNotAccepted = &Error{Code: CodeMediaTypeNotAccepted}
	ErrTooManyItems         = &Error{Code: CodeTooManyItems}
	ErrLineItemNotAccepted  = &Error{Code: CodeLineItemNotAccepted}
	ErrInvalidItem          = &Error{Code: CodeInvalidItem}
	ErrDeepLinkUsed         = &Error{Code: CodeDeepLinkUsed}
	ErrSigningFailed        = &Error{Code: CodeSigningFailed}
)

// DeepLinkError is why [DeepLinkResponse.Sign] refused to sign: the rule of
// the spec digest the response would break, and the item concerned. The
// response is refused as a whole; no item is ever dropped silently.
//
// It unwraps to an [*Error] with the same Code, so errors.Is against the
// sentinels above, [CodeOf] and Config.ErrorFunc all work on it.
type DeepLinkError struct {
	Code Code
	// Rule is the requirement's ID in the project's spec digest, such as
	// "DL-REQ-02" or "DL-CI-RL".
	Rule string
	// Item is the index of the offending item in the order it was added,
	// or -1 when the fault is the response's as a whole.
	Item int
	// Field is the item property concerned, such as "iframe" or
	// "lineItem.scoreMaximum"; empty when the whole item is at fault.
	Field string
	// Detail explains the fault for the developer.
	Detail string
}

// Error implements error.
func (e *DeepLinkError) Error() string {
	return "tool: " + string(e.Code) + " (" + e.where() + "): " + e.Detail
}

// Unwrap returns the *Error a Config.ErrorFunc understands.
func (e *DeepLinkError) Unwrap() error {
	return &Error{Code: e.Code, Claim: "content_items", Detail: e.where() + ": " + e.Detail}
}

// where names the rule and the place of the fault.
func (e *DeepLinkError) where() string {
	s := e.Rule
	if e.Item >= 0 {
		s += fmt.Sprintf(", item %d", e.Item)
	}
	if e.Field != "" {
		s += " " + e.Field
	}
	return s
}
