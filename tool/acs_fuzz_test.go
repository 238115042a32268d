package tool

import (
	"testing"
	"time"
)

// FuzzDecodeControlResponse: whatever a platform answers to an Assessment
// Control request, decoding never panics, and an accepted answer has an
// extra time within the bound.
func FuzzDecodeControlResponse(f *testing.F) {
	for _, s := range []string{
		``, `{}`, `{"status":"running"}`, `{"status":"paused","extra_time":10}`,
		`{"extra_time":"15"}`, `{"extra_time":1e400}`, `{"status":null,"extra_time":null}`,
		`[]`, `"running"`, `{"status":{"a":1}}`, `{"extra_time":-5.5}`, " \n{\"status\":\"none\"}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		res, err := decodeControlResponse(body)
		if err != nil {
			return
		}
		if d := res.ExtraTime; d > maxExtraMinutes*time.Minute || d < -maxExtraMinutes*time.Minute {
			t.Errorf("extra time %v beyond the bound", d)
		}
	})
}
