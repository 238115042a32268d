package ltitest_test

import (
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/ltikit/ltikit/jwks"
	"github.com/ltikit/ltikit/testing/ltitest"
	"github.com/ltikit/ltikit/tool"
)

// testTool is a real ltikit tool on loopback, registered with a fake
// platform: its URL and keys are known before its routes are served.
type testTool struct {
	URL  string
	Tool *tool.Tool
	Keys *jwks.KeyRing
	lis  net.Listener
}

// newTestTool listens on a free loopback port and makes a tool for p's
// registration that accepts types (the default when none are given).
func newTestTool(t *testing.T, p *ltitest.Platform, types ...tool.MessageType) *testTool {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + lis.Addr().String()
	key, err := jwks.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	ring, err := jwks.NewKeyRing(key)
	if err != nil {
		t.Fatal(err)
	}
	regs, err := tool.NewMemoryPlatforms(p.Registration())
	if err != nil {
		t.Fatal(err)
	}
	tl, err := tool.New(tool.Config{BaseURL: base, Platforms: regs, Keys: ring, Logger: slog.New(slog.DiscardHandler),
		MessageTypes: types})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tl.Close() })
	return &testTool{URL: base, Tool: tl, Keys: ring, lis: lis}
}

// serve serves h until the test ends and tells p the tool's launch URL
// (/lti/launch) and key set URL (/jwks).
func (tt *testTool) serve(t *testing.T, p *ltitest.Platform, h http.Handler) {
	t.Helper()
	srv := &httptest.Server{Listener: tt.lis, Config: &http.Server{Handler: h}}
	srv.Start()
	t.Cleanup(srv.Close)
	p.SetRedirectURIs(tt.URL + "/lti/launch")
	p.SetToolJWKSURL(tt.URL + "/jwks")
}
