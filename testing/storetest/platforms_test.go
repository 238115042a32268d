package storetest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/ltikit/ltikit/tool"
)

func TestPlatforms_MemoryPlatforms(t *testing.T) {
	TestPlatforms(t, func(t *testing.T) tool.Registrations {
		m, err := tool.NewMemoryPlatforms()
		if err != nil {
			t.Fatal(err)
		}
		return m
	})
}

// TestFull_SetsEveryField keeps the round-trip check honest when
// tool.Platform gains a field.
func TestFull_SetsEveryField(t *testing.T) {
	p := full(issuerA, "c1")
	if err := p.Validate(); err != nil {
		t.Fatalf("full() is invalid: %v", err)
	}
	v := reflect.ValueOf(p)
	for i := range v.NumField() {
		if v.Field(i).IsZero() {
			t.Errorf("full() leaves tool.Platform.%s zero: set it, so that stores that drop it fail", v.Type().Field(i).Name)
		}
	}
}

// TestPlatforms_CatchesDefects runs each subtest against a store with one
// defect and expects the subtest to fail: a suite that passes a broken
// store is worthless.
func TestPlatforms_CatchesDefects(t *testing.T) {
	tests := []struct {
		defect  defect
		subtest string
	}{
		{dropsField, "AddAndLookUp"},
		{overwrites, "AddRefusesDuplicate"},
		{skipsValidation, "AddRefusesInvalid"},
		{foldsCase, "LookupIsExact"},
		{trimsIssuerSlash, "LookupIsExact"},
		{firstMatchWins, "IssuerWithSeveralClients"},
		{sharesValues, "ResultsAreCopies"},
		{keepsAbandonedUpdate, "ResultsAreCopies"},
		{duplicatesDeployments, "AddDeployment"},
		{duplicatesDeployments, "AddDeploymentConcurrent"},
		{losesUpdates, "UpdateConcurrent"},
		{updateUnchecked, "UpdateRefusals"},
		{keepsDeploymentsOnRemove, "Remove"},
		{unsorted, "ListOrder"},
		{approveKeepsDisabled, "ApproveAndDisable"},
		{notFoundUnwrapped, "Empty"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%s", tt.defect, tt.subtest), func(t *testing.T) {
			if failed, _ := runSubtest[tool.Registrations](t, platformTests, tt.subtest, newFake(tt.defect)); !failed {
				t.Errorf("subtest %s passed a store that %s", tt.subtest, tt.defect)
			}
		})
	}
	// The fake without a defect passes everything, so the failures above
	// come from the defects.
	for _, tc := range platformTests {
		if failed, msgs := runSubtest[tool.Registrations](t, platformTests, tc.name, newFake(none)); failed {
			t.Errorf("subtest %s failed the fake store without defects: %s", tc.name, msgs)
		}
	}
}

// runSubtest runs the subtest of tests called name against s with a
// recorder and reports whether it failed, with the failure messages.
func runSubtest[S any](t *testing.T, tests []subtest[S], name string, s S) (bool, string) {
	i := slices.IndexFunc(tests, func(tc subtest[S]) bool { return tc.name == name })
	if i < 0 {
		t.Fatalf("no subtest %q", name)
	}
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() { // Fatal ends this goroutine with runtime.Goexit
		defer close(done)
		tests[i].run(r, s)
	}()
	<-done
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.failed, strings.Join(r.msgs, "; ")
}

// recorder is a testing.TB that records failures instead of failing the
// test that runs it.
type recorder struct {
	testing.TB
	mu     sync.Mutex
	failed bool
	msgs   []string
}

func (r *recorder) Helper() {}
func (r *recorder) Fail() {
	r.mu.Lock()
	r.failed = true
	r.mu.Unlock()
}
func (r *recorder) Failed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.failed
}
func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	r.failed = true
	r.msgs = append(r.msgs, fmt.Sprintf(format, args...))
	r.mu.Unlock()
}
func (r *recorder) Error(args ...any)                 { r.Errorf("%s", fmt.Sprint(args...)) }
func (r *recorder) Fatalf(format string, args ...any) { r.Errorf(format, args...); runtime.Goexit() }
func (r *recorder) Fatal(args ...any)                 { r.Error(args...); runtime.Goexit() }
func (r *recorder) FailNow()                          { r.Fail(); runtime.Goexit() }

// defect is one way a store can be wrong.
type defect string

const (
	none                     defect = "has no defect"
	dropsField               defect = "drops AllowAnonymous"
	overwrites               defect = "overwrites on a duplicate Add"
	skipsValidation          defect = "does not validate"
	foldsCase                defect = "compares case-insensitively"
	trimsIssuerSlash         defect = "ignores a trailing slash"
	firstMatchWins           defect = "answers the first of several registrations"
	sharesValues             defect = "shares its slices with callers"
	keepsAbandonedUpdate     defect = "keeps the changes of a failed Update"
	duplicatesDeployments    defect = "records a deployment twice"
	losesUpdates             defect = "updates without atomicity"
	updateUnchecked          defect = "stores any Update"
	keepsDeploymentsOnRemove defect = "keeps deployments after Remove"
	unsorted                 defect = "lists in insertion order"
	approveKeepsDisabled     defect = "cannot re-enable"
	notFoundUnwrapped        defect = "returns its own not-found error"
)

// fake is a Registrations store with an optional defect.
type fake struct {
	defect defect

	mu      sync.Mutex
	ps      []*tool.Platform
	removed map[[2]string][]string // deployments of removed registrations

	readers sync.WaitGroup // losesUpdates: every Update reads before any writes
}

func newFake(d defect) *fake {
	f := &fake{defect: d, removed: map[[2]string][]string{}}
	f.readers.Add(concurrency)
	return f
}

var errFakeNotFound = errors.New("fake: not found")

func (f *fake) notFound() error {
	if f.defect == notFoundUnwrapped {
		return errFakeNotFound
	}
	return tool.ErrPlatformNotFound
}

func (f *fake) copyOf(p *tool.Platform) *tool.Platform {
	if f.defect == sharesValues {
		return p
	}
	c := *p
	c.Deployments, c.Algorithms = slices.Clone(p.Deployments), slices.Clone(p.Algorithms)
	c.TrustedAudiences = slices.Clone(p.TrustedAudiences)
	return &c
}

func (f *fake) match(p *tool.Platform, issuer, clientID string) bool {
	iss, cid := p.Issuer, p.ClientID
	switch f.defect {
	case foldsCase:
		return strings.EqualFold(iss, issuer) && (clientID == "" || strings.EqualFold(cid, clientID))
	case trimsIssuerSlash:
		issuer = strings.TrimSuffix(issuer, "/")
	}
	return iss == issuer && (clientID == "" || cid == clientID)
}

func (f *fake) find(issuer, clientID string) (*tool.Platform, error) {
	var found *tool.Platform
	for _, p := range f.ps {
		if !f.match(p, issuer, clientID) {
			continue
		}
		if found != nil && f.defect != firstMatchWins {
			return nil, tool.ErrPlatformAmbiguous
		}
		if found == nil {
			found = p
		}
	}
	if found == nil {
		return nil, f.notFound()
	}
	return found, nil
}

func (f *fake) Platform(_ context.Context, issuer, clientID string) (*tool.Platform, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, err := f.find(issuer, clientID)
	if err != nil {
		return nil, err
	}
	return f.copyOf(p), nil
}

func (f *fake) AddDeployment(_ context.Context, issuer, clientID, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if id == "" {
		return errors.New("fake: empty deployment id")
	}
	if clientID == "" {
		return f.notFound()
	}
	p, err := f.find(issuer, clientID)
	if err != nil {
		return err
	}
	if f.defect == duplicatesDeployments || !p.AllowsDeployment(id) {
		p.Deployments = append(p.Deployments, id)
	}
	return nil
}

func (f *fake) List(context.Context) ([]tool.Platform, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]tool.Platform, len(f.ps))
	for i, p := range f.ps {
		out[i] = *f.copyOf(p)
	}
	if f.defect != unsorted {
		slices.SortFunc(out, func(a, b tool.Platform) int {
			return cmp.Or(cmp.Compare(a.Issuer, b.Issuer), cmp.Compare(a.ClientID, b.ClientID))
		})
	}
	return out, nil
}

func (f *fake) Add(_ context.Context, p tool.Platform) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.defect != skipsValidation {
		if err := p.Validate(); err != nil {
			return err
		}
	}
	if f.defect == dropsField {
		p.AllowAnonymous = false
	}
	c := f.copyOf(&p)
	if f.defect == keepsDeploymentsOnRemove {
		c.Deployments = append(c.Deployments, f.removed[[2]string{p.Issuer, p.ClientID}]...)
	}
	for i, q := range f.ps {
		if q.Issuer == p.Issuer && q.ClientID == p.ClientID {
			if f.defect != overwrites {
				return tool.ErrPlatformExists
			}
			f.ps[i] = c
			return nil
		}
	}
	f.ps = append(f.ps, c)
	return nil
}

func (f *fake) Update(_ context.Context, issuer, clientID string, fn func(*tool.Platform) error) error {
	if f.defect == losesUpdates {
		f.mu.Lock()
		p, err := f.find(issuer, clientID)
		c := f.copyOf(p)
		f.mu.Unlock()
		if err != nil {
			return err
		}
		f.readers.Done()
		f.readers.Wait()
		if err := fn(c); err != nil {
			return err
		}
		f.mu.Lock()
		*p = *c
		f.mu.Unlock()
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	p, err := f.find(issuer, clientID)
	if err != nil || clientID == "" {
		return cmp.Or(err, f.notFound())
	}
	c := f.copyOf(p)
	if f.defect == keepsAbandonedUpdate {
		c = p
	}
	disabled := p.Disabled
	if err := fn(c); err != nil {
		return err
	}
	if f.defect != updateUnchecked {
		if c.Issuer != issuer || c.ClientID != clientID {
			return errors.New("fake: key changed")
		}
		if err := c.Validate(); err != nil {
			return err
		}
	}
	if f.defect == approveKeepsDisabled && disabled {
		c.Disabled = true
	}
	*p = *c
	return nil
}

func (f *fake) Remove(_ context.Context, issuer, clientID string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	i := slices.IndexFunc(f.ps, func(p *tool.Platform) bool { return p.Issuer == issuer && p.ClientID == clientID })
	if i < 0 {
		return f.notFound()
	}
	f.removed[[2]string{issuer, clientID}] = f.ps[i].Deployments
	f.ps = slices.Delete(f.ps, i, i+1)
	return nil
}
