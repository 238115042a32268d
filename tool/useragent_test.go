package tool

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/ltikit/ltikit/jwks"
)

func TestUserAgent_PlatformKeyFetchesNameLtikit(t *testing.T) {
	ring, _ := jwks.NewKeyRing(testToolKey())
	var mu sync.Mutex
	var agents []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		agents = append(agents, r.Header.Get("User-Agent"))
		mu.Unlock()
		ring.Handler().ServeHTTP(w, r)
	}))
	defer srv.Close()
	regs, _ := NewMemoryPlatforms(Platform{Issuer: svcIssuer, ClientID: svcClientID, Deployments: []string{"1"},
		AuthURL: svcIssuer + "/auth", JWKSURL: srv.URL})
	tl, err := New(Config{Platforms: regs, Keys: ring, BaseURL: "https://tool.example", Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer tl.Close()
	jws, _ := ring.Sign([]byte(`{"iss":"x"}`))
	if _, err := tl.cfg.PlatformKeys.KeySet(srv.URL).Verify(context.Background(), jws, nil); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(agents) == 0 || agents[0] != userAgent {
		t.Errorf("JWKS fetch User-Agent %q, want %q", agents, userAgent)
	}
}

func TestUserAgent_CallersOwnIsKeptAndRequestUntouched(t *testing.T) {
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.Header.Get("User-Agent"))
	}))
	defer srv.Close()
	c := withUserAgent(&http.Client{})
	for _, ua := range []string{"", "MyTool/2.0 " + userAgent} {
		req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
		if ua != "" {
			req.Header.Set("User-Agent", ua)
		}
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if req.Header.Get("User-Agent") != ua {
			t.Errorf("the caller's request was changed: %q", req.Header.Get("User-Agent"))
		}
	}
	if len(got) != 2 || got[0] != userAgent || got[1] != "MyTool/2.0 "+userAgent {
		t.Errorf("sent %q", got)
	}
}
