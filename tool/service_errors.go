package tool

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Codes of the errors the service clients (Grades, Roster, Client) return.
// A failed HTTP exchange is an [*Error] with one of these codes whose cause
// is a [*ServiceError] holding the status, body and Retry-After.
const (
	CodeNoGradeService        Code = "no_grade_service"        // the launch grants no Assignment and Grade Services, or lacks the URL needed
	CodeNoRosterService       Code = "no_roster_service"       // the launch grants no Names and Role Provisioning Services
	CodeScopeNotGranted       Code = "scope_not_granted"       // the launch or the token endpoint did not grant a scope the call needs
	CodeTokenRequestFailed    Code = "token_request_failed"    // the token endpoint refused, failed or could not be reached
	CodeInvalidServiceRequest Code = "invalid_service_request" // refused before sending: a bad score, line item, URL or query
	CodeServiceBadRequest     Code = "service_bad_request"     // the service answered 400
	CodeServiceUnauthorized   Code = "service_unauthorized"    // the service answered 401, also with a freshly fetched token
	CodeServiceForbidden      Code = "service_forbidden"       // the service answered 403 (e.g. the activity is closed)
	CodeServiceNotFound       Code = "service_not_found"       // the service answered 404
	CodeServiceConflict       Code = "service_conflict"        // the service answered 409 (AGS: a score not newer than the last)
	CodeServiceRateLimited    Code = "service_rate_limited"    // the service answered 429
	CodeServiceUnavailable    Code = "service_unavailable"     // 5xx, a network error or a timeout
	CodeServiceFailed         Code = "service_failed"          // any other unexpected status
	CodeBadServiceResponse    Code = "bad_service_response"    // a success the tool cannot read: bad JSON, broken paging
)

// Sentinels of the service clients, for errors.Is. Each matches any [*Error]
// with its code.
var (
	ErrNoGradeService        = &Error{Code: CodeNoGradeService}
	ErrNoRosterService       = &Error{Code: CodeNoRosterService}
	ErrScopeNotGranted       = &Error{Code: CodeScopeNotGranted}
	ErrTokenRequestFailed    = &Error{Code: CodeTokenRequestFailed}
	ErrInvalidServiceRequest = &Error{Code: CodeInvalidServiceRequest}
	ErrServiceBadRequest     = &Error{Code: CodeServiceBadRequest}
	ErrServiceUnauthorized   = &Error{Code: CodeServiceUnauthorized}
	ErrServiceForbidden      = &Error{Code: CodeServiceForbidden}
	ErrServiceNotFound       = &Error{Code: CodeServiceNotFound}
	ErrServiceConflict       = &Error{Code: CodeServiceConflict}
	ErrServiceRateLimited    = &Error{Code: CodeServiceRateLimited}
	ErrServiceUnavailable    = &Error{Code: CodeServiceUnavailable}
	ErrServiceFailed         = &Error{Code: CodeServiceFailed}
	ErrBadServiceResponse    = &Error{Code: CodeBadServiceResponse}
)

// maxErrorBody bounds the part of an error response kept in ServiceError.Body.
const maxErrorBody = 64 << 10

// ServiceError is the evidence of a failed exchange with a platform's token
// endpoint or service: the cause of an [*Error] with a service code. Get it
// with errors.As:
//
//	var se *tool.ServiceError
//	if errors.As(err, &se) && se.Temporary() {
//		retry after max(se.RetryAfter, backoff)
//	}
//
// For a token request that the endpoint refused, Err is the
// [*oauth2.RetrieveError], so errors.As finds that too.
type ServiceError struct {
	Method string // the request's method
	URL    string // the request's URL
	// StatusCode is the response status; 0 when no response arrived
	// (network error, timeout, cancelled context).
	StatusCode int
	// Header is the response header; nil when no response arrived.
	Header http.Header
	// Body is the response body, at most 64 KiB of it.
	Body []byte
	// RetryAfter is the delay the Retry-After header asked for (seconds or
	// an HTTP date); 0 when absent.
	RetryAfter time.Duration
	// Err is the transport error when no response arrived, or the
	// *oauth2.RetrieveError of a refused token request; nil otherwise.
	Err error
}

// Error implements error: the request, the status and the platform's reason
// when its body names one.
func (e *ServiceError) Error() string {
	var b strings.Builder
	b.WriteString(e.Method + " " + e.URL + ": ")
	if e.StatusCode == 0 {
		if e.Err != nil {
			b.WriteString(e.Err.Error())
		} else {
			b.WriteString("no response")
		}
		return b.String()
	}
	b.WriteString(strconv.Itoa(e.StatusCode))
	if t := http.StatusText(e.StatusCode); t != "" {
		b.WriteString(" " + t)
	}
	if r := bodyReason(e.Body); r != "" {
		b.WriteString(": " + r)
	}
	return b.String()
}

// Unwrap returns Err.
func (e *ServiceError) Unwrap() error { return e.Err }

// Temporary reports whether sending the same request again later may
// succeed: a network error or timeout (but not a cancelled context), 408,
// 425, 429 and 5xx other than 501. 400, 401, 403, 404 and 409 are not
// temporary; a 409 from AGS needs a newer score timestamp, not a retry.
func (e *ServiceError) Temporary() bool {
	switch {
	case e.StatusCode == 0:
		return !errors.Is(e.Err, context.Canceled)
	case e.StatusCode == http.StatusRequestTimeout, e.StatusCode == http.StatusTooEarly,
		e.StatusCode == http.StatusTooManyRequests:
		return true
	case e.StatusCode >= 500:
		return e.StatusCode != http.StatusNotImplemented
	}
	return false
}

// serviceCode maps a response status (0: no response) to its code.
func serviceCode(status int) Code {
	switch {
	case status == 0 || status >= 500:
		return CodeServiceUnavailable
	case status == http.StatusBadRequest:
		return CodeServiceBadRequest
	case status == http.StatusUnauthorized:
		return CodeServiceUnauthorized
	case status == http.StatusForbidden:
		return CodeServiceForbidden
	case status == http.StatusNotFound:
		return CodeServiceNotFound
	case status == http.StatusConflict:
		return CodeServiceConflict
	case status == http.StatusTooManyRequests:
		return CodeServiceRateLimited
	}
	return CodeServiceFailed
}

// newServiceError records a non-2xx response; the caller closes the body.
func newServiceError(req *http.Request, res *http.Response, now time.Time) *ServiceError {
	body, _ := readLimited(res.Body, maxErrorBody)
	return &ServiceError{
		Method: req.Method, URL: req.URL.String(), StatusCode: res.StatusCode,
		Header: res.Header, Body: body,
		RetryAfter: parseRetryAfter(res.Header.Get("Retry-After"), now),
	}
}

// failure wraps a ServiceError in the *Error of its status.
func (e *ServiceError) failure() *Error {
	return &Error{Code: serviceCode(e.StatusCode), Err: e}
}

// parseRetryAfter reads a Retry-After value: delay seconds or an HTTP date
// (RFC 9110 §10.2.3). Anything else, or a date in the past, gives 0.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseInt(v, 10, 64); err == nil {
		if s <= 0 {
			return 0
		}
		return time.Duration(min(s, int64(maxRetryAfter/time.Second))) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return min(t.Sub(now), maxRetryAfter)
	}
	return 0
}

// maxRetryAfter caps a Retry-After, so an absurd value cannot overflow.
const maxRetryAfter = 24 * time.Hour

// bodyReason extracts a short reason from an error body: Moodle's "reason",
// OAuth's "error" and "error_description", or a "message"; else the body
// itself when it is short plain text. HTML pages give "".
func bodyReason(body []byte) string {
	var v struct {
		Reason      string `json:"reason"`
		Error       string `json:"error"`
		Description string `json:"error_description"`
		Message     string `json:"message"`
	}
	if json.Unmarshal(body, &v) == nil {
		parts := make([]string, 0, 2)
		for _, s := range []string{v.Reason, v.Error, v.Description, v.Message} {
			if s != "" {
				parts = append(parts, s)
			}
		}
		return clip(strings.Join(parts, ": "))
	}
	s := strings.TrimSpace(string(body))
	if s == "" || s[0] == '<' || !utf8.ValidString(s) {
		return ""
	}
	return clip(s)
}

// clip shortens s to 200 bytes for an error message, at a rune boundary.
func clip(s string) string {
	const n = 200
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "…"
}

// invalidRequest is the error of a request refused before sending.
func invalidRequest(field, format string, args ...any) *Error {
	return &Error{Code: CodeInvalidServiceRequest, Claim: field, Detail: fmt.Sprintf(format, args...)}
}
