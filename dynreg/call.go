package dynreg

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
)

// Size limits of the platform's answers.
const (
	maxAnswer   = 1 << 20 // a configuration or a registration
	maxEvidence = 1 << 10 // kept in a PlatformError
)

// call sends req and returns the body of a 2xx answer. Another status is a
// *PlatformError; a failure to connect or a timeout is an *Error of kind
// ErrUnreachable, an oversized answer one of kind ErrPlatformConfig or
// ErrRefused, by step.
func call(client *http.Client, req *http.Request, step string) ([]byte, error) {
	res, err := client.Do(req)
	if err != nil {
		return nil, unreachable(req, step, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, maxAnswer+1))
	if err != nil {
		return nil, unreachable(req, step, err)
	}
	if res.StatusCode/100 != 2 {
		return nil, &PlatformError{Step: step, URL: req.URL.Redacted(), StatusCode: res.StatusCode,
			ContentType: res.Header.Get("Content-Type"), Body: string(body[:min(len(body), maxEvidence)])}
	}
	if len(body) > maxAnswer {
		kind := ErrRefused
		if step == stepConfig {
			kind = ErrPlatformConfig
		}
		return nil, fail(kind, nil, "The platform's answer to the %s is larger than %d bytes.", step, maxAnswer)
	}
	return body, nil
}

// unreachable describes a request that got no answer.
func unreachable(req *http.Request, step string, err error) *Error {
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout() {
		maybe := ""
		if step == stepRegistration { // the platform may have registered the tool all the same
			maybe = " " + deleteNewTool
		}
		return fail(ErrUnreachable, err, "The platform at %s did not answer the %s in time.%s Start the registration again from the LMS in a moment.", req.URL.Host, step, maybe)
	}
	if errors.Is(err, errRedirect) {
		return fail(ErrPlatformConfig, err, "The platform at %s answered the %s with a redirect, which the tool does not follow: give the LMS's own address.", req.URL.Host, step)
	}
	if errors.Is(err, errLocalAddress) {
		return fail(ErrPlatformConfig, err, "The platform at %s resolves to an address on the tool's own machine or a link-local one, which a tool in production does not connect to.", req.URL.Host)
	}
	return fail(ErrUnreachable, err, "The tool could not reach the platform at %s for the %s. Check that the tool's server can connect to it.", req.URL.Host, step)
}

// bearer sets the registration token as the request's bearer token, when
// the platform gave one.
func bearer(req *http.Request, token string) {
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
}
