package dynreg

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// A tool in production connects to no address of its own machine,
// whatever name led there (a DNS name may resolve to 127.0.0.1), and
// follows no redirect; in development (the tool on loopback) loopback
// platforms are allowed, redirects still not.
func TestPlatformClient_RefusesLocalAddressesAndRedirects(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/moved" {
			http.Redirect(w, r, "/config", http.StatusFound)
			return
		}
		w.Write([]byte("{}"))
	}))
	defer srv.Close()
	base := &http.Client{Timeout: 5 * time.Second, Transport: http.DefaultTransport.(*http.Transport).Clone()}
	tests := []struct {
		name string
		dev  bool
		path string
		want error // nil: answered
	}{
		{"production: loopback address", false, "/config", errLocalAddress},
		{"production: loopback after a redirect", false, "/moved", errLocalAddress},
		{"development: redirect", true, "/moved", errRedirect},
		{"development: loopback", true, "/config", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := platformClient(base, tt.dev).Get(srv.URL + tt.path)
			if err == nil {
				res.Body.Close()
			}
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Errorf("err %v, want %v", err, tt.want)
			}
		})
	}
	if base.CheckRedirect != nil {
		t.Error("platformClient changed the tool's own client")
	}
}

func TestRefuseLocal(t *testing.T) {
	for addr, refused := range map[string]bool{
		"127.0.0.1:80": true, "127.9.9.9:443": true, "[::1]:443": true, "0.0.0.0:80": true, "[::]:80": true,
		"169.254.169.254:80": true, "[fe80::1]:443": true, "[::ffff:127.0.0.1]:443": true, "224.0.0.1:80": true,
		"not an address":  true,
		"203.0.113.7:443": false, "10.1.2.3:443": false, "[2001:db8::1]:443": false,
	} {
		if err := refuseLocal("tcp", addr, nil); (err != nil) != refused {
			t.Errorf("refuseLocal(%s) = %v, want refused %v", addr, err, refused)
		}
	}
}
