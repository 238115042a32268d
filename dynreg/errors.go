package dynreg

import (
	"errors"
	"fmt"
	"net/http"
)

// Kinds of failure; every error the Handler passes to Config.ErrorFunc is
// an [*Error] matching one of them with errors.Is.
var (
	// ErrBadRequest: the registration URL was opened without a valid
	// openid_configuration, or the confirmation form is malformed.
	ErrBadRequest = errors.New("dynreg: bad registration request")
	// ErrExpired: the confirmation is unknown, expired or already used.
	ErrExpired = errors.New("dynreg: registration expired or already completed")
	// ErrPlatformConfig: the platform's OpenID configuration cannot be
	// fetched as JSON, or fails validation (issuer, endpoints, algorithms).
	ErrPlatformConfig = errors.New("dynreg: unusable platform configuration")
	// ErrRefused: the platform refused the client registration, or
	// answered it with something other than a registration.
	ErrRefused = errors.New("dynreg: platform refused the registration")
	// ErrUnreachable: the platform could not be reached or did not answer
	// in time.
	ErrUnreachable = errors.New("dynreg: platform unreachable")
	// ErrStore: the tool could not save the state of a registration in
	// progress, or the new registration.
	ErrStore = errors.New("dynreg: store failure")
)

// Error is a failed registration. Message is written for the LMS
// administrator who sees the error page; Err is the cause, such as a
// [*PlatformError].
type Error struct {
	Kind    error  // one of ErrBadRequest, ErrExpired, ErrPlatformConfig, ErrRefused, ErrUnreachable, ErrStore
	Message string // what happened and what to do, in a sentence or two
	Err     error  // the cause; may be nil
}

// Error implements error.
func (e *Error) Error() string {
	msg := e.Kind.Error() + ": " + e.Message
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns the kind and the cause, for errors.Is and errors.As.
func (e *Error) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Err}
}

// Status is the HTTP status of the error page: 400 for a bad or expired
// request, 502 when the platform's answer is unusable, 504 when it does
// not come, 500 when the tool's store fails.
func (e *Error) Status() int {
	switch e.Kind {
	case ErrBadRequest, ErrExpired:
		return http.StatusBadRequest
	case ErrUnreachable:
		return http.StatusGatewayTimeout
	case ErrStore:
		return http.StatusInternalServerError
	default:
		return http.StatusBadGateway
	}
}

// PlatformError is an answer of the platform that is not the one expected,
// kept as evidence in the style of oauth2.RetrieveError. Moodle answers
// errors as text/html: a bare code such as token_already_used, or a whole
// HTML page.
type PlatformError struct {
	// Step is "openid configuration" or "registration".
	Step string
	// URL is where the request went.
	URL string
	// StatusCode and ContentType are the answer's.
	StatusCode  int
	ContentType string
	// Body is the start of the answer's body (at most 1 KiB).
	Body string
}

// Error implements error.
func (e *PlatformError) Error() string {
	return fmt.Sprintf("dynreg: %s at %s answered %d (%s): %.200q", e.Step, e.URL, e.StatusCode, e.ContentType, e.Body)
}

// fail builds an *Error.
func fail(kind error, err error, format string, args ...any) *Error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...), Err: err}
}
