package middleware_test

import (
	"io"
	"net/http"
	"testing"

	"github.com/ltikit/ltikit/testing/ltitest"
)

// BenchmarkLoginLaunchRoundTrip measures a complete launch as a browser
// makes it, over loopback HTTP through httptest servers: login initiation →
// the tool's redirect → the fake platform's auth endpoint (which signs an
// id_token) → the form post to the tool's launch URL → the vendor's handler.
// It includes the platform's RSA signing and both servers' HTTP handling.
func BenchmarkLoginLaunchRoundTrip(b *testing.B) {
	a := newApp(b)
	p := a.platform
	login := a.url + "/lti/login"
	b.ReportAllocs()
	for b.Loop() {
		res := p.Launch(b, login, ltitest.Message{})
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			b.Fatalf("status %d", res.StatusCode)
		}
	}
}
