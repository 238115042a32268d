package outbox

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/ltikit/ltikit/tool"
)

// Timestamps are whole seconds, strictly increasing per line item and
// learner, and later scores always win (AGS-SC-02, Moodle quirk 9).
func TestNextStamp(t *testing.T) {
	t.Parallel()
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tc := range []struct {
		name       string
		last, now  string // last "" for none
		want       string
		wantReason string
	}{
		{"AGS-SC-02/first score: the clock's second", "", "2026-03-02T09:30:00.750Z", "2026-03-02T09:30:00Z", ""},
		{"AGS-SC-02/same second as the last: one second later", "2026-03-02T09:30:00Z", "2026-03-02T09:30:00.999Z", "2026-03-02T09:30:01Z", ""},
		{"AGS-SC-02/last ran ahead (a burst): one second after it", "2026-03-02T09:30:05Z", "2026-03-02T09:30:01.5Z", "2026-03-02T09:30:06Z", ""},
		{"AGS-SC-02/clock stepped back: still later", "2026-03-02T09:30:00Z", "2026-03-02T09:00:00Z", "2026-03-02T09:30:01Z", ""},
		{"AGS-SC-02/last with milliseconds (another writer)", "2026-03-02T09:30:00.600Z", "2026-03-02T09:30:00.700Z", "2026-03-02T09:30:01Z", ""},
		{"AGS-SC-01/other zone: UTC", "", "2026-03-02T10:30:00.5+01:00", "2026-03-02T09:30:00Z", ""},
		{"AGS-SC-02/next second: the clock's", "2026-03-02T09:30:00Z", "2026-03-02T09:30:01.2Z", "2026-03-02T09:30:01Z", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var last time.Time
			if tc.last != "" {
				last = at(tc.last)
			}
			got := nextStamp(last, at(tc.now))
			if !got.Equal(at(tc.want)) || got.Location() != time.UTC {
				t.Errorf("nextStamp(%s, %s) = %s, want %s UTC", tc.last, tc.now, got, tc.want)
			}
			if !last.IsZero() && got.Unix() <= last.Unix() {
				t.Errorf("not later than the last at one-second precision")
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		attempt  int
		min, max time.Duration
	}{
		{1, 500 * time.Millisecond, time.Second},
		{2, time.Second, 2 * time.Second},
		{5, 8 * time.Second, 16 * time.Second},
		{10, 256 * time.Second, 512 * time.Second},
		{11, 5 * time.Minute, 10 * time.Minute},
		{64, 5 * time.Minute, 10 * time.Minute}, // no overflow
		{0, 500 * time.Millisecond, time.Second},
		{-3, 500 * time.Millisecond, time.Second},
	} {
		for range 100 {
			if d := backoff(tc.attempt); d < tc.min || d > tc.max {
				t.Fatalf("backoff(%d) = %v, want within [%v, %v]", tc.attempt, d, tc.min, tc.max)
			}
		}
	}
}

// Which failures are retried, and after how long the platform asked.
func TestRetryable(t *testing.T) {
	t.Parallel()
	svc := func(status int, retryAfter time.Duration, cause error) error {
		se := &tool.ServiceError{Method: http.MethodPost, URL: "https://lms.example/scores", StatusCode: status, RetryAfter: retryAfter, Err: cause}
		code := tool.CodeServiceFailed
		switch {
		case status == 0 || status >= 500:
			code = tool.CodeServiceUnavailable
		case status == 400:
			code = tool.CodeServiceBadRequest
		case status == 401:
			code = tool.CodeServiceUnauthorized
		case status == 403:
			code = tool.CodeServiceForbidden
		case status == 404:
			code = tool.CodeServiceNotFound
		case status == 409:
			code = tool.CodeServiceConflict
		case status == 429:
			code = tool.CodeServiceRateLimited
		}
		return &tool.Error{Code: code, Err: se}
	}
	for _, tc := range []struct {
		name  string
		err   error
		retry bool
		after time.Duration
	}{
		{"AGS-SC-03/network error", svc(0, 0, errors.New("connection reset")), true, 0},
		{"AGS-SC-03/timeout", svc(0, 0, context.DeadlineExceeded), true, 0},
		{"AGS-SC-03/429 with Retry-After", svc(429, 7*time.Second, nil), true, 7 * time.Second},
		{"AGS-SC-03/503 with Retry-After", svc(503, time.Minute, nil), true, time.Minute},
		{"AGS-SC-03/500", svc(500, 0, nil), true, 0},
		{"SEC-CC-06/token endpoint refused", &tool.Error{Code: tool.CodeTokenRequestFailed, Err: svc(400, 0, nil)}, true, 0},
		{"SEC-CC-06/registration store down", &tool.Error{Code: tool.CodeStoreFailure}, true, 0},
		{"SEC-CC-01/registration disabled", &tool.Error{Code: tool.CodeInactivePlatform}, true, 0},
		{"AGS-SC-02/409 not re-stamped yet", svc(409, 0, nil), true, 0},
		{"AGS-SC-01/400", svc(400, 0, nil), false, 0},
		{"AGS-TOK-01/401 after a fresh token", svc(401, 0, nil), false, 0},
		{"AGS-SC-03/403", svc(403, 0, nil), false, 0},
		{"AGS-LI-02/404", svc(404, 0, nil), false, 0},
		{"AGS-SC-03/501", svc(501, 0, nil), false, 0},
		{"AGS-SC-03/413", svc(413, 0, nil), false, 0},
		{"AGS-SC-02/409 after re-stamping", classified{svc(409, 0, nil), false}, false, 0},
		{"AGS-SC-03/no answer within AttemptTimeout", classified{svc(0, 0, context.Canceled), true}, true, 0},
		{"AGS-SC-03/waiting for a line item gave up", &tool.Error{Code: tool.CodeServiceUnavailable, Err: context.DeadlineExceeded}, true, 0},
		{"AGS-SCOPE-01/scope not granted", &tool.Error{Code: tool.CodeScopeNotGranted}, false, 0},
		{"SEC-CC-01/unknown registration", &tool.Error{Code: tool.CodeUnknownPlatform}, false, 0},
		{"AGS-SC-01/invalid score", &tool.Error{Code: tool.CodeInvalidServiceRequest}, false, 0},
		{"AGS-SC-03/cancelled", svc(0, 0, context.Canceled), false, 0}, // only Close cancels, and then nothing is recorded
		{"AGS-SC-03/unknown error", fmt.Errorf("boom"), false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			retry, after := retryable(tc.err)
			if retry != tc.retry || after != tc.after {
				t.Errorf("retryable(%v) = %v, %v; want %v, %v", tc.err, retry, after, tc.retry, tc.after)
			}
		})
	}
}
