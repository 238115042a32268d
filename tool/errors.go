package tool

import (
	"errors"
	"fmt"
	"net/http"
)

// Code is a stable, machine-readable name for why a login, launch or session
// was refused. Codes never change once released; log and alert on them.
type Code string

// The codes an [*Error] carries.
const (
	CodeInvalidRequest         Code = "invalid_request"          // malformed or oversized login/launch request
	CodeUnknownPlatform        Code = "unknown_platform"         // no registration for (iss, client_id)
	CodeAmbiguousPlatform      Code = "ambiguous_platform"       // iss alone matches several registrations
	CodeInactivePlatform       Code = "inactive_platform"        // registration exists but is disabled
	CodeUnknownDeployment      Code = "unknown_deployment"       // deployment_id not allowed by the policy
	CodeBadTargetLinkURI       Code = "bad_target_link_uri"      // target_link_uri is not one of the tool's URLs
	CodeMissingState           Code = "missing_state"            // launch POST without state
	CodeStateMismatch          Code = "state_mismatch"           // state not bound to this browser
	CodeStateNotFound          Code = "state_not_found"          // state expired or already used
	CodePlatformError          Code = "platform_error"           // platform posted an OIDC error instead of a token
	CodeMalformedToken         Code = "malformed_token"          // not a compact JWS, or undecodable claims
	CodeUnknownKID             Code = "unknown_kid"              // no platform key with the token's kid
	CodeDisallowedAlgorithm    Code = "disallowed_algorithm"     // alg not allowed by the registration
	CodeBadSignature           Code = "bad_signature"            // signature does not verify
	CodeKeyFetchFailed         Code = "key_fetch_failed"         // the platform's JWKS could not be fetched
	CodeWrongIssuer            Code = "wrong_issuer"             // iss differs from the registration
	CodeWrongAudience          Code = "wrong_audience"           // aud lacks client_id, or untrusted extra audiences
	CodeWrongAuthorizedParty   Code = "wrong_azp"                // azp missing or not client_id
	CodeTokenExpired           Code = "token_expired"            // exp passed, or iat too old
	CodeTokenNotYetValid       Code = "token_not_yet_valid"      // iat or nbf in the future
	CodeMissingNonce           Code = "missing_nonce"            // token has no nonce
	CodeNonceMismatch          Code = "nonce_mismatch"           // nonce differs from the login's
	CodeNonceReplayed          Code = "nonce_replayed"           // nonce already used
	CodeWrongVersion           Code = "wrong_version"            // version is not "1.3.0"
	CodeUnsupportedMessageType Code = "unsupported_message_type" // message_type not handled
	CodeMissingClaim           Code = "missing_claim"            // a required claim is absent
	CodeInvalidClaim           Code = "invalid_claim"            // a claim has the wrong shape
	CodeTargetLinkMismatch     Code = "target_link_mismatch"     // signed target_link_uri differs from the login's
	CodeAnonymousLaunch        Code = "anonymous_launch"         // no sub and the registration refuses anonymous launches
	CodeNoSession              Code = "no_session"               // follow-up request without a (valid) launch session
	CodeMissingLaunchID        Code = "missing_launch_id"        // follow-up names no launch: several in the browser, or an unsafe method
	CodeForbiddenRole          Code = "forbidden_role"           // RequireRole refused the launch
	CodeWrongMessageType       Code = "wrong_message_type"       // RequireMessageType refused the launch
	CodeStoreFailure           Code = "store_failure"            // a state store failed
)

// Error is the error returned for every refused login, launch or session.
// It never contains the token itself.
type Error struct {
	Code   Code   // stable reason
	Detail string // human-readable explanation for an administrator
	Claim  string // the claim or parameter concerned, if any
	Err    error  // the underlying cause, if any

	// What was seen, for the administrator's error page. Empty when unknown.
	Issuer   string
	ClientID string
}

// Error implements error.
func (e *Error) Error() string {
	msg := "tool: " + string(e.Code)
	if e.Claim != "" {
		msg += " (" + e.Claim + ")"
	}
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is an *Error with the same code, so that
// errors.Is(err, tool.ErrStateMismatch) works for any detail.
func (e *Error) Is(target error) bool {
	var t *Error
	return errors.As(target, &t) && t.Code == e.Code && t.Detail == "" && t.Err == nil
}

// Status is the HTTP status a refusal with this code should get.
func (e *Error) Status() int { return e.Code.Status() }

// Status is the HTTP status for the code: 400 for malformed requests, 401 for
// tokens that fail verification, 403 for policy refusals, 409 for a
// deep-linking request already answered, 502 when the platform's keys
// cannot be fetched and 500 for store and signing failures.
func (c Code) Status() int {
	switch c {
	case CodeUnknownKID, CodeDisallowedAlgorithm, CodeBadSignature, CodeWrongIssuer,
		CodeWrongAudience, CodeWrongAuthorizedParty, CodeTokenExpired, CodeTokenNotYetValid,
		CodeMissingNonce, CodeNonceMismatch, CodeNonceReplayed, CodeNoSession,
		CodeStateMismatch, CodeStateNotFound:
		return http.StatusUnauthorized
	case CodeUnknownDeployment, CodeInactivePlatform, CodeAnonymousLaunch, CodeForbiddenRole,
		CodeWrongMessageType:
		return http.StatusForbidden
	case CodeKeyFetchFailed:
		return http.StatusBadGateway
	case CodeDeepLinkUsed:
		return http.StatusConflict
	case CodeStoreFailure, CodeSigningFailed:
		return http.StatusInternalServerError
	default:
		return http.StatusBadRequest
	}
}

// Sentinels for errors.Is. Each matches any [*Error] with its code.
var (
	ErrInvalidRequest         = &Error{Code: CodeInvalidRequest}
	ErrUnknownPlatform        = &Error{Code: CodeUnknownPlatform}
	ErrAmbiguousPlatform      = &Error{Code: CodeAmbiguousPlatform}
	ErrInactivePlatform       = &Error{Code: CodeInactivePlatform}
	ErrUnknownDeployment      = &Error{Code: CodeUnknownDeployment}
	ErrBadTargetLinkURI       = &Error{Code: CodeBadTargetLinkURI}
	ErrMissingState           = &Error{Code: CodeMissingState}
	ErrStateMismatch          = &Error{Code: CodeStateMismatch}
	ErrStateNotFound          = &Error{Code: CodeStateNotFound}
	ErrPlatformError          = &Error{Code: CodePlatformError}
	ErrMalformedToken         = &Error{Code: CodeMalformedToken}
	ErrUnknownKID             = &Error{Code: CodeUnknownKID}
	ErrDisallowedAlgorithm    = &Error{Code: CodeDisallowedAlgorithm}
	ErrBadSignature           = &Error{Code: CodeBadSignature}
	ErrKeyFetchFailed         = &Error{Code: CodeKeyFetchFailed}
	ErrWrongIssuer            = &Error{Code: CodeWrongIssuer}
	ErrWrongAudience          = &Error{Code: CodeWrongAudience}
	ErrWrongAuthorizedParty   = &Error{Code: CodeWrongAuthorizedParty}
	ErrTokenExpired           = &Error{Code: CodeTokenExpired}
	ErrTokenNotYetValid       = &Error{Code: CodeTokenNotYetValid}
	ErrMissingNonce           = &Error{Code: CodeMissingNonce}
	ErrNonceMismatch          = &Error{Code: CodeNonceMismatch}
	ErrNonceReplayed          = &Error{Code: CodeNonceReplayed}
	ErrWrongVersion           = &Error{Code: CodeWrongVersion}
	ErrUnsupportedMessageType = &Error{Code: CodeUnsupportedMessageType}
	ErrMissingClaim           = &Error{Code: CodeMissingClaim}
	ErrInvalidClaim           = &Error{Code: CodeInvalidClaim}
	ErrTargetLinkMismatch     = &Error{Code: CodeTargetLinkMismatch}
	ErrAnonymousLaunch        = &Error{Code: CodeAnonymousLaunch}
	ErrNoSession              = &Error{Code: CodeNoSession}
	ErrMissingLaunchID        = &Error{Code: CodeMissingLaunchID}
	ErrForbiddenRole          = &Error{Code: CodeForbiddenRole}
	ErrWrongMessageType       = &Error{Code: CodeWrongMessageType}
	ErrStoreFailure           = &Error{Code: CodeStoreFailure}
)

// fail builds an *Error with a formatted detail.
func fail(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Detail: fmt.Sprintf(format, args...)}
}

// CodeOf returns the code of the first *Error in err's chain, or "" if none.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}
