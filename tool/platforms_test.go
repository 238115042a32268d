package tool

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestPlatforms_Lookup(t *testing.T) {
	a, b := testPlatform(), testPlatform()
	b.ClientID = "client-2"
	other := testPlatform()
	other.Issuer = "https://other.example"
	m, err := NewMemoryPlatforms(a, b, other)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	tests := []struct {
		iss, client string
		want        string
		err         error
	}{
		{testIssuer, "client-2", "client-2", nil},
		{testIssuer, testClientID, testClientID, nil},
		{testIssuer, "", "", ErrPlatformAmbiguous},
		{"https://other.example", "", testClientID, nil},
		{"https://other.example/", "", "", ErrPlatformNotFound},
		{"https://nope.example", testClientID, "", ErrPlatformNotFound},
		{testIssuer, "client-3", "", ErrPlatformNotFound},
	}
	for _, tt := range tests {
		p, err := m.Platform(ctx, tt.iss, tt.client)
		if !errors.Is(err, tt.err) || (err == nil && p.ClientID != tt.want) {
			t.Errorf("Platform(%q, %q) = %v, %v; want %s, %v", tt.iss, tt.client, p, err, tt.want, tt.err)
		}
	}
}

func TestPlatforms_Validate(t *testing.T) {
	tests := map[string]func(*Platform){
		"no issuer":         func(p *Platform) { p.Issuer = "" },
		"no client id":      func(p *Platform) { p.ClientID = "" },
		"no auth url":       func(p *Platform) { p.AuthURL = "" },
		"no keys":           func(p *Platform) { p.JWKSURL = "" },
		"bad policy":        func(p *Platform) { p.DeploymentPolicy = "anything" },
		"no deployments":    func(p *Platform) { p.Deployments = nil },
		"alg none":          func(p *Platform) { p.Algorithms = []string{"none"} },
		"alg HS256":         func(p *Platform) { p.Algorithms = []string{"RS256", "HS256"} },
		"http auth url":     func(p *Platform) { p.AuthURL = "http://lms.example/auth" },
		"relative jwks url": func(p *Platform) { p.JWKSURL = "/jwks" },
	}
	for name, mutate := range tests {
		p := testPlatform()
		mutate(&p)
		if err := p.Validate(); err == nil {
			t.Errorf("%s: Validate accepted %+v", name, p)
		}
	}
}

func TestFilePlatforms(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "registrations.json")
	doc := `{"platforms":[{"issuer":"https://lms.example","client_id":"c1","deployment_policy":"trust-on-first-use",
	  "auth_url":"https://lms.example/auth","jwks_url":"https://lms.example/jwks"}]}`
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := OpenPlatforms(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var wg sync.WaitGroup
	for _, d := range []string{"d1", "d2", "d3", "d1"} {
		wg.Go(func() {
			if err := f.AddDeployment(ctx, "https://lms.example", "c1", d); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	again, err := OpenPlatforms(path)
	if err != nil {
		t.Fatal(err)
	}
	p, err := again.Platform(ctx, "https://lms.example", "c1")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Deployments) != 3 || !p.AllowsDeployment("d1") || !p.AllowsDeployment("d2") || !p.AllowsDeployment("d3") {
		t.Fatalf("deployments after reload = %v, want d1 d2 d3", p.Deployments)
	}
	if err := f.AddDeployment(ctx, "https://lms.example", "nope", "d"); !errors.Is(err, ErrPlatformNotFound) {
		t.Fatalf("AddDeployment on unknown registration = %v", err)
	}
}

func TestParsePlatforms_Refusals(t *testing.T) {
	ok := `"issuer":"https://lms.example","client_id":"c1","deployment_ids":["1"],"auth_url":"https://lms.example/auth","jwks_url":"https://lms.example/jwks"`
	tests := map[string]string{
		"not json":        `{`,
		"unknown field":   `{"platforms":[{` + ok + `,"jwks_uri":"x"}]}`,
		"duplicate":       `{"platforms":[{` + ok + `},{` + ok + `}]}`,
		"invalid entry":   `{"platforms":[{"issuer":"https://lms.example"}]}`,
		"wrong top level": `[{` + ok + `}]`,
	}
	for name, doc := range tests {
		if _, err := ParsePlatforms([]byte(doc)); err == nil {
			t.Errorf("%s: accepted", name)
		} else if !strings.HasPrefix(err.Error(), "tool: ") {
			t.Errorf("%s: error %q lacks the package prefix", name, err)
		}
	}
	if ps, err := ParsePlatforms([]byte(`{"platforms":[{` + ok + `}]}`)); err != nil || len(ps) != 1 {
		t.Fatalf("valid document: %v, %v", ps, err)
	}
}
