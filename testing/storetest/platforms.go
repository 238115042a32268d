package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"

	"github.com/ltikit/ltikit/tool"
)

// concurrency is how many goroutines the concurrent subtests run.
const concurrency = 16

// TestPlatforms runs the conformance suite against the store newStore
// makes. newStore is called once per subtest, sequentially, and must return
// a new, empty store; it may register cleanups with t.Cleanup. Failures are
// reported through t; the suite never panics on a misbehaving store.
func TestPlatforms(t *testing.T, newStore func(t *testing.T) tool.Registrations) {
	runSuite(t, platformTests, newStore)
}

// platformTests are the subtests of TestPlatforms, in order.
var platformTests = []subtest[tool.Registrations]{
	{"Empty", testEmpty},
	{"AddAndLookUp", testAddAndLookUp},
	{"AddRefusesDuplicate", testAddRefusesDuplicate},
	{"AddRefusesInvalid", testAddRefusesInvalid},
	{"LookupIsExact", testLookupIsExact},
	{"IssuerWithSeveralClients", testSeveralClients},
	{"ResultsAreCopies", testResultsAreCopies},
	{"AddDeployment", testAddDeployment},
	{"AddDeploymentConcurrent", testAddDeploymentConcurrent},
	{"Update", testUpdate},
	{"UpdateRefusals", testUpdateRefusals},
	{"UpdateConcurrent", testUpdateConcurrent},
	{"Remove", testRemove},
	{"ApproveAndDisable", testApproveAndDisable},
	{"ListOrder", testListOrder},
}

// full returns a registration with every field of [tool.Platform] set to a
// valid, non-zero value, so that a store that drops a field fails the
// round trip (the package's tests check that no field is left zero).
func full(issuer, clientID string) tool.Platform {
	return tool.Platform{
		Issuer:           issuer,
		ClientID:         clientID,
		Deployments:      []string{"1", "deployment-b"},
		DeploymentPolicy: tool.TrustOnFirstUse,
		AuthURL:          issuer + "/mod/lti/auth.php",
		TokenURL:         issuer + "/mod/lti/token.php",
		TokenAudience:    issuer + "/oauth2/token",
		JWKSURL:          issuer + "/mod/lti/certs.php",
		PublicKey:        `{"kty":"EC","crv":"P-256","x":"O-Uf1IDhQ1nIe-C_F17L-EOvE14sYLJDSw1IuS2cE-M","y":"uqtlP6C7AiezF_nqxzb5DH-58eqVVS-dZXxNKAfwO34"}`, // a key stores can verify with
		Algorithms:       []string{"RS256", "ES256"},
		TrustedAudiences: []string{issuer + "/lti"},
		AllowAnonymous:   true,
		Disabled:         true,
		Pending:          true,
	}
}

// minimal returns the smallest valid registration.
func minimal(issuer, clientID string) tool.Platform {
	return tool.Platform{
		Issuer: issuer, ClientID: clientID, Deployments: []string{"1"},
		AuthURL: issuer + "/auth", JWKSURL: issuer + "/jwks",
	}
}

const (
	issuerA = "https://lms-a.example.edu"
	issuerB = "https://lms-b.example.edu"
)

func testEmpty(t testing.TB, s tool.Registrations) {
	ctx := t.Context()
	if p, err := s.Platform(ctx, issuerA, "c1"); !errors.Is(err, tool.ErrPlatformNotFound) {
		t.Errorf("Platform on an empty store = %v, %v; want ErrPlatformNotFound", p, err)
	}
	if p, err := s.Platform(ctx, issuerA, ""); !errors.Is(err, tool.ErrPlatformNotFound) {
		t.Errorf("Platform(issuer, \"\") on an empty store = %v, %v; want ErrPlatformNotFound", p, err)
	}
	if ps, err := s.List(ctx); err != nil || len(ps) != 0 {
		t.Errorf("List on an empty store = %v, %v; want none", ps, err)
	}
	if err := s.AddDeployment(ctx, issuerA, "c1", "1"); !errors.Is(err, tool.ErrPlatformNotFound) {
		t.Errorf("AddDeployment on an empty store = %v; want ErrPlatformNotFound", err)
	}
	if err := s.Update(ctx, issuerA, "c1", func(*tool.Platform) error { return nil }); !errors.Is(err, tool.ErrPlatformNotFound) {
		t.Errorf("Update on an empty store = %v; want ErrPlatformNotFound", err)
	}
	if err := s.Remove(ctx, issuerA, "c1"); !errors.Is(err, tool.ErrPlatformNotFound) {
		t.Errorf("Remove on an empty store = %v; want ErrPlatformNotFound", err)
	}
}

func testAddAndLookUp(t testing.TB, s tool.Registrations) {
	ctx := t.Context()
	full, small := full(issuerA, "full"), minimal(issuerB, "small")
	mustAdd(t, s, full, small)
	for _, want := range []tool.Platform{full, small} {
		got, err := s.Platform(ctx, want.Issuer, want.ClientID)
		if err != nil {
			t.Fatalf("Platform(%q, %q): %v", want.Issuer, want.ClientID, err)
		}
		if !equal(*got, want) {
			t.Errorf("Platform(%q, %q)\n got %+v\nwant %+v", want.Issuer, want.ClientID, *got, want)
		}
		got, err = s.Platform(ctx, want.Issuer, "")
		if err != nil || !equal(*got, want) {
			t.Errorf("Platform(%q, \"\") = %+v, %v; want the issuer's only registration", want.Issuer, got, err)
		}
	}
	expectList(t, s, full, small)
}

func testAddRefusesDuplicate(t testing.TB, s tool.Registrations) {
	p := minimal(issuerA, "c1")
	mustAdd(t, s, p)
	other := full(issuerA, "c1")
	if err := s.Add(t.Context(), other); !errors.Is(err, tool.ErrPlatformExists) {
		t.Errorf("Add of an existing (issuer, client_id) = %v; want ErrPlatformExists", err)
	}
	expectList(t, s, p)
}

func testAddRefusesInvalid(t testing.TB, s tool.Registrations) {
	tests := map[string]func(*tool.Platform){
		"no issuer":              func(p *tool.Platform) { p.Issuer = "" },
		"no client_id":           func(p *tool.Platform) { p.ClientID = "" },
		"no auth_url":            func(p *tool.Platform) { p.AuthURL = "" },
		"no keys":                func(p *tool.Platform) { p.JWKSURL = "" },
		"http auth_url":          func(p *tool.Platform) { p.AuthURL = "http://lms.example.edu/auth" },
		"unknown policy":         func(p *tool.Platform) { p.DeploymentPolicy = "anyone" },
		"allow-list, no entries": func(p *tool.Platform) { p.Deployments = nil },
		"alg none":               func(p *tool.Platform) { p.Algorithms = []string{"none"} },
	}
	for name, mutate := range tests {
		p := minimal(issuerA, "c1")
		mutate(&p)
		if err := s.Add(t.Context(), p); err == nil {
			t.Errorf("Add accepted an invalid registration (%s): %+v", name, p)
		}
	}
	expectList(t, s)
}

func testLookupIsExact(t testing.TB, s tool.Registrations) {
	mustAdd(t, s, minimal(issuerA, "Client-1"))
	for _, k := range [][2]string{
		{issuerA + "/", "Client-1"},
		{"https://LMS-A.example.edu", "Client-1"},
		{"http://lms-a.example.edu", "Client-1"},
		{issuerA, "client-1"},
		{issuerA, "Client-1 "},
		{issuerA, "Client"},
		{"https://lms-a.example", "Client-1"},
	} {
		if p, err := s.Platform(t.Context(), k[0], k[1]); !errors.Is(err, tool.ErrPlatformNotFound) {
			t.Errorf("Platform(%q, %q) = %v, %v; want ErrPlatformNotFound (lookups are exact)", k[0], k[1], p, err)
		}
	}
}

func testSeveralClients(t testing.TB, s tool.Registrations) {
	ctx := t.Context()
	mustAdd(t, s, minimal(issuerA, "c1"), minimal(issuerA, "c2"), minimal(issuerB, "c1"))
	if p, err := s.Platform(ctx, issuerA, ""); !errors.Is(err, tool.ErrPlatformAmbiguous) {
		t.Errorf("Platform(issuer with two registrations, \"\") = %v, %v; want ErrPlatformAmbiguous", p, err)
	}
	for _, k := range [][2]string{{issuerA, "c1"}, {issuerA, "c2"}, {issuerB, "c1"}, {issuerB, ""}} {
		p, err := s.Platform(ctx, k[0], k[1])
		if err != nil || p.Issuer != k[0] || (k[1] != "" && p.ClientID != k[1]) {
			t.Errorf("Platform(%q, %q) = %+v, %v", k[0], k[1], p, err)
		}
	}
}

func testResultsAreCopies(t testing.TB, s tool.Registrations) {
	ctx := t.Context()
	p := full(issuerA, "c1")
	mustAdd(t, s, p)
	want := full(issuerA, "c1")
	p.Deployments[0], p.Algorithms[0], p.AuthURL = "changed", "changed", "changed" // the caller's value after Add

	got, err := s.Platform(ctx, issuerA, "c1")
	if err != nil {
		t.Fatal(err)
	}
	got.Deployments[0], got.Algorithms[0], got.Disabled = "changed", "changed", false
	list, err := s.List(ctx)
	if err != nil || len(list) != 1 {
		t.Fatalf("List = %v, %v", list, err)
	}
	list[0].Deployments[1], list[0].Algorithms[1] = "changed", "changed"
	err = s.Update(ctx, issuerA, "c1", func(p *tool.Platform) error {
		p.Deployments[0], p.Algorithms[0] = "changed", "changed"
		return errors.New("storetest: abandoned update")
	})
	if err == nil {
		t.Fatal("Update returned nil although fn failed")
	}
	if got, err := s.Platform(ctx, issuerA, "c1"); err != nil || !equal(*got, want) {
		t.Errorf("the store changed through a value it handed out or received:\n got %+v, %v\nwant %+v", got, err, want)
	}
}

func testAddDeployment(t testing.TB, s tool.Registrations) {
	ctx := t.Context()
	p := minimal(issuerA, "c1")
	p.Deployments, p.DeploymentPolicy = nil, tool.TrustOnFirstUse
	mustAdd(t, s, p, minimal(issuerA, "c2"))
	for _, d := range []string{"7", "3", "7", "course-9"} {
		if err := s.AddDeployment(ctx, issuerA, "c1", d); err != nil {
			t.Fatalf("AddDeployment(%q): %v", d, err)
		}
	}
	expectDeployments(t, s, issuerA, "c1", "7", "3", "course-9")
	expectDeployments(t, s, issuerA, "c2", "1") // the other registration is untouched
	if err := s.AddDeployment(ctx, issuerA, "c1", ""); err == nil {
		t.Error("AddDeployment accepted an empty deployment id")
	}
	if err := s.AddDeployment(ctx, issuerA, "c3", "1"); !errors.Is(err, tool.ErrPlatformNotFound) {
		t.Errorf("AddDeployment on an unknown registration = %v; want ErrPlatformNotFound", err)
	}
	if err := s.AddDeployment(ctx, issuerA, "", "1"); !errors.Is(err, tool.ErrPlatformNotFound) {
		t.Errorf("AddDeployment with an empty client_id = %v; want ErrPlatformNotFound", err)
	}
	expectDeployments(t, s, issuerA, "c1", "7", "3", "course-9")
}

func testAddDeploymentConcurrent(t testing.TB, s tool.Registrations) {
	p := minimal(issuerA, "c1")
	p.Deployments, p.DeploymentPolicy = nil, tool.TrustOnFirstUse
	mustAdd(t, s, p)
	ids := make([]string, concurrency)
	for i := range ids {
		ids[i] = fmt.Sprint("d", i)
	}
	// Each id is added by two goroutines at once: every id must be
	// recorded, and recorded once.
	parallel(t, concurrency*2, func(i int) error {
		return s.AddDeployment(context.Background(), issuerA, "c1", ids[i/2])
	})
	got, err := s.Platform(t.Context(), issuerA, "c1")
	if err != nil {
		t.Fatal(err)
	}
	if !sameSet(got.Deployments, ids) {
		t.Errorf("after concurrent AddDeployment: deployments %v, want each of %v once", got.Deployments, ids)
	}
}

func testUpdate(t testing.TB, s tool.Registrations) {
	ctx := t.Context()
	mustAdd(t, s, minimal(issuerA, "c1"), minimal(issuerA, "c2"))
	want := full(issuerA, "c1")
	if err := s.Update(ctx, issuerA, "c1", func(p *tool.Platform) error { *p = full(issuerA, "c1"); return nil }); err != nil {
		t.Fatalf("Update: %v", err)
	}
	expectList(t, s, want, minimal(issuerA, "c2"))

	var seen tool.Platform
	if err := s.Update(ctx, issuerA, "c1", func(p *tool.Platform) error {
		seen = *p
		p.Deployments = []string{"only"}
		p.Algorithms, p.TrustedAudiences = nil, nil
		p.PublicKey, p.TokenAudience = "", ""
		p.Disabled, p.Pending, p.AllowAnonymous = false, false, false
		return nil
	}); err != nil {
		t.Fatalf("Update: %v", err)
	}
	if !equal(seen, want) {
		t.Errorf("Update's fn received %+v, want the stored registration %+v", seen, want)
	}
	want.Deployments, want.Algorithms, want.TrustedAudiences, want.PublicKey, want.TokenAudience = []string{"only"}, nil, nil, "", ""
	want.Disabled, want.Pending, want.AllowAnonymous = false, false, false
	expectList(t, s, want, minimal(issuerA, "c2"))
}

func testUpdateRefusals(t testing.TB, s tool.Registrations) {
	ctx := t.Context()
	p := minimal(issuerA, "c1")
	mustAdd(t, s, p)
	errMine := errors.New("storetest: refused by fn")
	tests := []struct {
		name   string
		fn     func(*tool.Platform) error
		wantIs error
	}{
		{"fn fails", func(p *tool.Platform) error { p.AuthURL = issuerA + "/other"; return errMine }, errMine},
		{"issuer changed", func(p *tool.Platform) error { p.Issuer = issuerB; return nil }, nil},
		{"client_id changed", func(p *tool.Platform) error { p.ClientID = "c9"; return nil }, nil},
		{"result invalid", func(p *tool.Platform) error { p.JWKSURL = ""; return nil }, nil},
		{"algorithm refused", func(p *tool.Platform) error { p.Algorithms = []string{"HS256"}; return nil }, nil},
	}
	for _, tt := range tests {
		err := s.Update(ctx, issuerA, "c1", tt.fn)
		if err == nil || (tt.wantIs != nil && !errors.Is(err, tt.wantIs)) {
			t.Errorf("Update (%s) = %v; want an error (matching %v)", tt.name, err, tt.wantIs)
		}
	}
	expectList(t, s, p)
}

func testUpdateConcurrent(t testing.TB, s tool.Registrations) {
	mustAdd(t, s, minimal(issuerA, "c1"))
	want := []string{"1"}
	for i := range concurrency {
		want = append(want, fmt.Sprint("u", i))
	}
	// Read-modify-write from many goroutines: an Update that is not atomic
	// loses some of the others' deployments.
	parallel(t, concurrency, func(i int) error {
		return s.Update(context.Background(), issuerA, "c1", func(p *tool.Platform) error {
			p.Deployments = append(p.Deployments, fmt.Sprint("u", i))
			return nil
		})
	})
	got, err := s.Platform(t.Context(), issuerA, "c1")
	if err != nil {
		t.Fatal(err)
	}
	if !sameSet(got.Deployments, want) {
		t.Errorf("after concurrent Updates: deployments %v, want each of %v once", got.Deployments, want)
	}
}

func testRemove(t testing.TB, s tool.Registrations) {
	ctx := t.Context()
	p := minimal(issuerA, "c1")
	p.DeploymentPolicy = tool.TrustOnFirstUse
	mustAdd(t, s, p, minimal(issuerA, "c2"), minimal(issuerB, "c1"))
	if err := s.AddDeployment(ctx, issuerA, "c1", "learned"); err != nil {
		t.Fatal(err)
	}
	if err := s.Remove(ctx, issuerA, "c1"); err != nil {
		t.Fatalf("Remove: %v", err)
	}
	if got, err := s.Platform(ctx, issuerA, "c1"); !errors.Is(err, tool.ErrPlatformNotFound) {
		t.Errorf("Platform after Remove = %v, %v; want ErrPlatformNotFound", got, err)
	}
	if err := s.Remove(ctx, issuerA, "c1"); !errors.Is(err, tool.ErrPlatformNotFound) {
		t.Errorf("second Remove = %v; want ErrPlatformNotFound", err)
	}
	expectList(t, s, minimal(issuerA, "c2"), minimal(issuerB, "c1"))

	// Registered again, it starts afresh: the deployments of the removed
	// registration are gone with it.
	mustAdd(t, s, p)
	expectDeployments(t, s, issuerA, "c1", "1")
}

func testApproveAndDisable(t testing.TB, s tool.Registrations) {
	ctx := t.Context()
	p := minimal(issuerA, "c1")
	p.Pending = true
	mustAdd(t, s, p)
	steps := []struct {
		name   string
		do     func() error
		active bool
		want   tool.Platform
	}{
		{"Approve", func() error { return tool.Approve(ctx, s, issuerA, "c1") }, true, minimal(issuerA, "c1")},
		{"Disable", func() error { return tool.Disable(ctx, s, issuerA, "c1") }, false, with(minimal(issuerA, "c1"), func(p *tool.Platform) { p.Disabled = true })},
		{"Approve again", func() error { return tool.Approve(ctx, s, issuerA, "c1") }, true, minimal(issuerA, "c1")},
	}
	for _, st := range steps {
		if err := st.do(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		got, err := s.Platform(ctx, issuerA, "c1")
		if err != nil || got.Active() != st.active || !equal(*got, st.want) {
			t.Errorf("after %s: %+v, %v; want %+v (active %v)", st.name, got, err, st.want, st.active)
		}
	}
	if err := tool.Approve(ctx, s, issuerA, "c9"); !errors.Is(err, tool.ErrPlatformNotFound) {
		t.Errorf("Approve of an unknown registration = %v; want ErrPlatformNotFound", err)
	}
	if err := tool.Disable(ctx, s, issuerB, "c1"); !errors.Is(err, tool.ErrPlatformNotFound) {
		t.Errorf("Disable of an unknown registration = %v; want ErrPlatformNotFound", err)
	}
}

func testListOrder(t testing.TB, s tool.Registrations) {
	ps := []tool.Platform{minimal(issuerB, "a"), minimal(issuerA, "z"), minimal(issuerA, "b"), minimal(issuerB, "0")}
	mustAdd(t, s, ps...)
	expectList(t, s, ps[2], ps[1], ps[3], ps[0])
}

func mustAdd(t testing.TB, s tool.Registrations, ps ...tool.Platform) {
	t.Helper()
	for _, p := range ps {
		if err := s.Add(t.Context(), p); err != nil {
			t.Fatalf("Add(%s, %s): %v", p.Issuer, p.ClientID, err)
		}
	}
}

// expectList checks that List returns exactly want, in this order.
func expectList(t testing.TB, s tool.Registrations, want ...tool.Platform) {
	t.Helper()
	got, err := s.List(t.Context())
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if len(got) != len(want) {
		t.Fatalf("List returned %d registrations, want %d:\n got %+v\nwant %+v", len(got), len(want), got, want)
	}
	for i := range got {
		if !equal(got[i], want[i]) {
			t.Errorf("List()[%d]\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
}

// expectDeployments checks a registration's deployments, in order.
func expectDeployments(t testing.TB, s tool.Registrations, issuer, clientID string, want ...string) {
	t.Helper()
	p, err := s.Platform(t.Context(), issuer, clientID)
	if err != nil {
		t.Fatalf("Platform(%q, %q): %v", issuer, clientID, err)
	}
	if !slices.Equal(p.Deployments, want) {
		t.Errorf("deployments of %s %s = %q, want %q in this order", issuer, clientID, p.Deployments, want)
	}
}

// parallel runs fn(0..n-1) at once and reports the errors.
func parallel(t testing.TB, n int, fn func(i int) error) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make([]error, n)
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = fn(i)
		})
	}
	close(start)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Errorf("concurrent calls failed: %v", err)
	}
}

// equal compares registrations, treating nil and empty slices alike.
func equal(a, b tool.Platform) bool {
	norm := func(p tool.Platform) tool.Platform {
		if len(p.Deployments) == 0 {
			p.Deployments = nil
		}
		if len(p.Algorithms) == 0 {
			p.Algorithms = nil
		}
		if len(p.TrustedAudiences) == 0 {
			p.TrustedAudiences = nil
		}
		return p
	}
	return reflect.DeepEqual(norm(a), norm(b))
}

// sameSet reports whether got holds each of want exactly once.
func sameSet(got, want []string) bool {
	g, w := slices.Clone(got), slices.Clone(want)
	slices.Sort(g)
	slices.Sort(w)
	return slices.Equal(g, w)
}

func with(p tool.Platform, f func(*tool.Platform)) tool.Platform {
	f(&p)
	return p
}
