package outbox

import (
	"errors"
	"math/rand/v2"
	"time"

	"github.com/ltikit/ltikit/tool"
)

// The default backoff: 1s, 2s, 4s, … up to maxBackoff, each drawn between
// half and all of its value, so that scores failing together do not come
// back together.
const (
	minBackoff = time.Second
	maxBackoff = 10 * time.Minute
)

// backoff is the default Config.Backoff.
func backoff(attempt int) time.Duration {
	d := maxBackoff
	if attempt < 20 {
		d = min(maxBackoff, minBackoff<<max(attempt-1, 0))
	}
	return d/2 + rand.N(d/2+1)
}

// retryable reports whether an attempt that failed with err is worth
// repeating later, and the delay the platform asked for (Retry-After).
//
// Retried: what tool.ServiceError.Temporary calls temporary (a network
// error, a timeout, 408, 425, 429, 5xx but 501), an attempt that ran out
// of AttemptTimeout, any failure of the token endpoint (it may be down, or
// refuse until an administrator fixes the registration), a registration
// store that failed, a disabled registration (it may be enabled again),
// and a 409 that could not be answered by re-stamping. Everything else is
// permanent: 400, 401 after a fresh token, 403, 404, other statuses, a
// scope not granted, an unknown registration, a score the tool refuses, a
// second 409 after re-stamping.
func retryable(err error) (bool, time.Duration) {
	if c := (classified{}); errors.As(err, &c) {
		return c.retry, 0
	}
	var se *tool.ServiceError
	evidence := errors.As(err, &se)
	if evidence && se.Temporary() {
		return true, se.RetryAfter
	}
	switch tool.CodeOf(err) {
	case tool.CodeTokenRequestFailed, tool.CodeStoreFailure, tool.CodeInactivePlatform, tool.CodeServiceConflict:
		return true, 0
	case tool.CodeServiceUnavailable, tool.CodeServiceRateLimited:
		return !evidence, 0 // such as giving up waiting for a line item another call looks up
	}
	return false, 0
}

// classified is an error whose fate the outbox decided itself, whatever
// its code: a second 409 after re-stamping (not retried), an attempt that
// ran out of AttemptTimeout (retried).
type classified struct {
	error
	retry bool
}

func (c classified) Unwrap() error { return c.error }
