package tool

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
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
		"no issuer":              func(p *Platform) { p.Issuer = "" },
		"no client id":           func(p *Platform) { p.ClientID = "" },
		"no auth url":            func(p *Platform) { p.AuthURL = "" },
		"no keys":                func(p *Platform) { p.JWKSURL = "" },
		"bad policy":             func(p *Platform) { p.DeploymentPolicy = "anything" },
		"no deployments":         func(p *Platform) { p.Deployments = nil },
		"alg none":               func(p *Platform) { p.Algorithms = []string{"none"} },
		"alg HS256":              func(p *Platform) { p.Algorithms = []string{"RS256", "HS256"} },
		"empty trusted audience": func(p *Platform) { p.TrustedAudiences = []string{"https://other.example", " "} },
		"http auth url":          func(p *Platform) { p.AuthURL = "http://lms.example/auth" },
		"relative jwks url":      func(p *Platform) { p.JWKSURL = "/jwks" },
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

// writeFile replaces path atomically, as an editor or a deploy script would.
func writeFile(t *testing.T, path, data string) {
	t.Helper()
	tmp := path + ".new"
	if err := os.WriteFile(tmp, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

const fileDoc = `{"platforms":[{"issuer":"https://lms.example","client_id":"%s","deployment_policy":"trust-on-first-use",
	  "auth_url":"https://lms.example/auth","jwks_url":"https://lms.example/jwks"}]}`

func TestFilePlatforms_ReReadsTheFileWhenItChanges(t *testing.T) {
	path := filepath.Join(t.TempDir(), "registrations.json")
	writeFile(t, path, fmt.Sprintf(fileDoc, "c1"))
	f, err := OpenPlatforms(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	lookup := func(client string) error { _, err := f.Platform(ctx, "https://lms.example", client); return err }

	writeFile(t, path, fmt.Sprintf(fileDoc, "c2")) // same size, another file
	if err := lookup("c2"); err != nil {
		t.Fatalf("after the file was replaced: %v", err)
	}
	if err := os.WriteFile(path, []byte(fmt.Sprintf(fileDoc, "client-3")), 0o600); err != nil { // edited in place
		t.Fatal(err)
	}
	if err := lookup("client-3"); err != nil {
		t.Fatalf("after the file was edited in place: %v", err)
	}

	// A broken edit: lookups keep the last good registrations, changes
	// refuse to overwrite the file.
	writeFile(t, path, `{"platforms": [`)
	if err := lookup("client-3"); err != nil {
		t.Errorf("lookup while the file is invalid = %v; want the last good registrations", err)
	}
	if ps, err := f.List(ctx); err != nil || len(ps) != 1 {
		t.Errorf("List while the file is invalid = %v, %v; want the last good registrations", ps, err)
	}
	if err := f.AddDeployment(ctx, "https://lms.example", "client-3", "d1"); err == nil {
		t.Error("AddDeployment overwrote an invalid registrations file")
	}
	if data, _ := os.ReadFile(path); string(data) != `{"platforms": [` {
		t.Errorf("the invalid file was changed to %q", data)
	}
	writeFile(t, path, fmt.Sprintf(fileDoc, "c4"))
	if err := f.AddDeployment(ctx, "https://lms.example", "c4", "d1"); err != nil {
		t.Errorf("AddDeployment after the file was fixed: %v", err)
	}
	if err := lookup("client-3"); !errors.Is(err, ErrPlatformNotFound) {
		t.Errorf("lookup of a registration no longer in the file = %v; want ErrPlatformNotFound", err)
	}
}

func TestFilePlatforms_SeveralWritersOfOneFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "registrations.json")
	writeFile(t, path, fmt.Sprintf(fileDoc, "c1"))
	var stores [3]*FilePlatforms
	for i := range stores {
		var err error
		if stores[i], err = OpenPlatforms(path); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	const n = 24
	var wg sync.WaitGroup
	for i := range n {
		s := stores[i%len(stores)]
		wg.Go(func() {
			if err := s.AddDeployment(ctx, "https://lms.example", "c1", fmt.Sprint("d", i)); err != nil {
				t.Error(err)
			}
		})
		wg.Go(func() {
			p := testPlatform()
			p.ClientID = fmt.Sprint("client-", i)
			if err := s.Add(ctx, p); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	again, err := OpenPlatforms(path)
	if err != nil {
		t.Fatal(err)
	}
	ps, err := again.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	p, err := again.Platform(ctx, "https://lms.example", "c1")
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != n+1 || len(p.Deployments) != n {
		t.Errorf("after %d concurrent writes through %d FilePlatforms: %d registrations (want %d), deployments %v (want %d)",
			2*n, len(stores), len(ps), n+1, p.Deployments, n)
	}
}

func TestFilePlatforms_Persists(t *testing.T) {
	path := filepath.Join(t.TempDir(), "registrations.json")
	writeFile(t, path, `{"platforms": []}`)
	f, err := OpenPlatforms(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	p := testPlatform()
	p.Pending, p.DeploymentPolicy, p.Algorithms, p.TokenAudience = true, TrustOnFirstUse, []string{"ES256"}, "https://lms.example/aud"
	if err := f.Add(ctx, p); err != nil {
		t.Fatal(err)
	}
	if err := f.AddDeployment(ctx, p.Issuer, p.ClientID, "dep-2"); err != nil {
		t.Fatal(err)
	}
	if err := Approve(ctx, f, p.Issuer, p.ClientID); err != nil {
		t.Fatal(err)
	}
	again, err := OpenPlatforms(path)
	if err != nil {
		t.Fatal(err)
	}
	got, err := again.Platform(ctx, p.Issuer, p.ClientID)
	if err != nil {
		t.Fatal(err)
	}
	p.Pending, p.Deployments = false, []string{"dep-1", "dep-2"}
	if !reflect.DeepEqual(*got, p) {
		t.Errorf("after reopening:\n got %+v\nwant %+v", *got, p)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("file mode %v, %v; want 0600 (registrations may hold keys)", fi.Mode(), err)
	}
}

func TestOpenPlatforms_Refusals(t *testing.T) {
	dir := t.TempDir()
	tests := map[string]string{
		"invalid JSON":      `{"platforms": [`,
		"trailing data":     `{"platforms": []} {}`,
		"unknown field":     `{"platforms": [], "extra": 1}`,
		"invalid platform":  `{"platforms": [{"issuer": "https://lms.example"}]}`,
		"not an object":     `[]`,
		"empty file":        ``,
		"duplicate entries": `{"platforms": [` + strings.Repeat(`{"issuer":"https://a.example","client_id":"c","deployment_ids":["1"],"auth_url":"https://a.example/a","jwks_url":"https://a.example/j"},`, 2) + `{}]}`,
	}
	for name, doc := range tests {
		path := filepath.Join(dir, strings.ReplaceAll(name, " ", "_")+".json")
		writeFile(t, path, doc)
		if _, err := OpenPlatforms(path); err == nil {
			t.Errorf("%s: OpenPlatforms accepted %q", name, doc)
		}
	}
	if _, err := OpenPlatforms(filepath.Join(dir, "missing.json")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("OpenPlatforms of a missing file = %v; want os.ErrNotExist", err)
	}
}
