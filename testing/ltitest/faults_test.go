package ltitest_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ltikit/ltikit/testing/ltitest"
)

// Injected faults: each kind, on the endpoint and method it names, for the
// number of requests it says, then the platform serves normally again.
func TestFaults_status(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		fault      ltitest.Fault
		wantStatus int
		wantRetry  string
		html       bool
	}{
		{"429 with Retry-After", ltitest.Fault{Endpoint: ltitest.EndpointScores, Status: 429, RetryAfter: 2 * time.Second, Times: 2}, 429, "2", false},
		{"Retry-After rounded up", ltitest.Fault{Endpoint: ltitest.EndpointScores, Status: 503, RetryAfter: 1500 * time.Millisecond, Times: 2}, 503, "2", true},
		{"500 HTML page", ltitest.Fault{Endpoint: ltitest.EndpointScores, Status: 500, Times: 2}, 500, "", true},
		{"401 as for an expired token", ltitest.Fault{Endpoint: ltitest.EndpointScores, Status: 401, Times: 2}, 401, "", false},
		{"every service endpoint", ltitest.Fault{Status: 502, Times: 2}, 502, "", true},
		{"POST only", ltitest.Fault{Method: http.MethodPost, Status: 500, Times: 2}, 500, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newServices(t)
			s.p.InjectFault(tc.fault)
			ts := s.clk.Now()
			for i := range 2 {
				r := s.postScore(t, s.lineItem, score("user-1", 1, ts.Add(time.Duration(i)*time.Second)))
				if r.status != tc.wantStatus || r.header.Get("Retry-After") != tc.wantRetry ||
					strings.HasPrefix(r.header.Get("Content-Type"), "text/html") != tc.html {
					t.Errorf("post %d: got %d Retry-After %q %q, want %d %q html=%v", i, r.status,
						r.header.Get("Retry-After"), r.header.Get("Content-Type"), tc.wantStatus, tc.wantRetry, tc.html)
				}
			}
			if r := s.postScore(t, s.lineItem, score("user-1", 9, ts)); r.status != 200 {
				t.Errorf("after the fault: got %d %s, want 200", r.status, r.body)
			}
			if li := lineItemByID(t, s.p, s.lineItem); len(li.Posts) != 1 {
				t.Errorf("posts: got %d, want only the one served (faults are not recorded)", len(li.Posts))
			}
			// The fault did not touch the token endpoint.
			accessToken(t, s.p, s.tk, s.clk.Now(), ltitest.ScopeScore)
		})
	}
}

// A fault limited to an endpoint or a method leaves the others alone; one
// without Times lasts until cleared.
func TestFaults_scope(t *testing.T) {
	t.Parallel()
	s := newServices(t)
	clear := s.p.InjectFault(ltitest.Fault{Endpoint: ltitest.EndpointMemberships, Status: 500})
	s.p.InjectFault(ltitest.Fault{Endpoint: ltitest.EndpointLineItem, Method: http.MethodDelete, Status: 500})
	get := func(u, accept string) int {
		return s.call(t, http.MethodGet, u, s.token, map[string]string{"Accept": accept}, "").status
	}
	for range 3 {
		if got := get(s.members, mtMemberships); got != 500 {
			t.Errorf("memberships: got %d, want 500 until cleared", got)
		}
	}
	if got := get(s.lineItems, mtContainer); got != 200 {
		t.Errorf("line items: got %d, want 200", got)
	}
	if got := get(s.lineItem, mtLineItem); got != 200 {
		t.Errorf("GET line item: got %d, want 200 (the fault is for DELETE)", got)
	}
	clear()
	clear()
	if got := get(s.members, mtMemberships); got != 200 {
		t.Errorf("memberships after clear: got %d, want 200", got)
	}
	if r := s.call(t, http.MethodDelete, s.lineItem, s.token, nil, ""); r.status != 500 {
		t.Errorf("DELETE: got %d, want 500", r.status)
	}
	s.p.ClearFaults()
	if r := s.call(t, http.MethodDelete, s.lineItem, s.token, nil, ""); r.status != 204 {
		t.Errorf("DELETE after ClearFaults: got %d, want 204", r.status)
	}
}

// RevokeTokens and the clock expire tokens: the next service call gets
// 401, and a new token works (SEC-CC-06, AGS-TOK-01).
func TestFaults_expiredToken(t *testing.T) {
	t.Parallel()
	s := newServices(t)
	get := func(tok string) int {
		return s.call(t, http.MethodGet, s.members, tok, map[string]string{"Accept": mtMemberships}, "").status
	}
	s.p.RevokeTokens()
	if got := get(s.token); got != 401 {
		t.Errorf("revoked token: got %d, want 401", got)
	}
	fresh := accessToken(t, s.p, s.tk, s.clk.Now(), allScopes...)
	if got := get(fresh); got != 200 {
		t.Errorf("new token: got %d, want 200", got)
	}
	s.clk.Add(3599 * time.Second)
	if got := get(fresh); got != 200 {
		t.Errorf("token at 3599 s: got %d, want 200", got)
	}
	s.clk.Add(time.Second)
	if got := get(fresh); got != 401 {
		t.Errorf("token at 3600 s: got %d, want 401 (expired)", got)
	}
}

// The token endpoint down for n requests, or until cleared: 503 HTML, and
// every request logged with Fault set.
func TestFaults_tokenEndpointDown(t *testing.T) {
	t.Parallel()
	clk := newClock()
	p, tk := servicePlatform(t, clk)
	req := func() response {
		return postToken(t, p, "application/x-www-form-urlencoded", tokenForm(tk.sign(t, assertionClaims(p, clk.Now()), nil), allScopes...))
	}
	p.TokenEndpointDown(2)
	for i := range 2 {
		if r := req(); r.status != 503 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
			t.Errorf("request %d: got %d %q, want 503 HTML", i, r.status, r.header.Get("Content-Type"))
		}
	}
	if r := req(); r.status != 200 {
		t.Errorf("third request: got %d %s, want 200", r.status, r.body)
	}
	clear := p.TokenEndpointDown(0)
	for range 3 {
		if r := req(); r.status != 503 {
			t.Errorf("down until cleared: got %d, want 503", r.status)
		}
	}
	clear()
	if r := req(); r.status != 200 {
		t.Errorf("after clear: got %d, want 200", r.status)
	}
	log := p.TokenRequests()
	if len(log) != 7 {
		t.Fatalf("TokenRequests: got %d, want 7", len(log))
	}
	for i, e := range log {
		fault := i < 2 || (i > 2 && i < 6)
		if e.Fault != fault || (fault && (e.Status != 503 || e.Claims["sub"] != p.ClientID)) {
			t.Errorf("entry %d: got Fault %v status %d claims %v, want Fault %v", i, e.Fault, e.Status, e.Claims, fault)
		}
	}
	// A 429 on the token endpoint has an OAuth-style error body.
	p.InjectFault(ltitest.Fault{Endpoint: ltitest.EndpointToken, Status: 429, RetryAfter: time.Second, Times: 1})
	if r := req(); r.status != 429 || r.json(t)["error"] != "too_many_requests" || r.header.Get("Retry-After") != "1" {
		t.Errorf("429: got %d %s %v", r.status, r.body, r.header)
	}
}

// Hold makes a response as slow as the test wants, without sleeping.
func TestFaults_hold(t *testing.T) {
	t.Parallel()
	s := newServices(t)
	arrived, release := make(chan struct{}), make(chan struct{})
	s.p.InjectFault(ltitest.Fault{Endpoint: ltitest.EndpointScores, Times: 1, Hold: func(ctx context.Context) {
		close(arrived)
		select {
		case <-release:
		case <-ctx.Done():
		}
	}})
	done := make(chan response)
	go func() { done <- s.postScore(t, s.lineItem, score("user-1", 6, s.clk.Now())) }()
	<-arrived
	select {
	case r := <-done:
		t.Fatalf("answered while held: %d", r.status)
	default:
	}
	if n := len(lineItemByID(t, s.p, s.lineItem).Posts); n != 0 {
		t.Errorf("posts while held: got %d, want 0", n)
	}
	close(release)
	if r := <-done; r.status != 200 {
		t.Errorf("after release: got %d %s, want 200 (served normally)", r.status, r.body)
	}
}

// A held request ends when the client gives up, and when the platform
// closes.
func TestFaults_holdCancelled(t *testing.T) {
	t.Parallel()
	s := newServices(t)
	arrived, ended := make(chan struct{}, 2), make(chan struct{}, 2)
	s.p.InjectFault(ltitest.Fault{Endpoint: ltitest.EndpointMemberships, Hold: func(ctx context.Context) {
		arrived <- struct{}{}
		<-ctx.Done()
		ended <- struct{}{}
	}})
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.members, nil)
	req.Header.Set("Authorization", "Bearer "+s.token)
	errc := make(chan error)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		errc <- err
	}()
	<-arrived
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("client: got %v, want context.Canceled", err)
	}
	<-ended

	go func() {
		resp, err := http.Get(s.members)
		if err == nil {
			resp.Body.Close()
		}
	}()
	<-arrived
	s.p.Close()
	<-ended // Close released the held request
}

// Drop closes the connection without an answer.
func TestFaults_drop(t *testing.T) {
	t.Parallel()
	for _, ep := range []ltitest.Endpoint{ltitest.EndpointScores, ltitest.EndpointToken} {
		s := newServices(t)
		s.p.InjectFault(ltitest.Fault{Endpoint: ep, Drop: true, Times: 1})
		var err error
		if ep == ltitest.EndpointToken {
			_, err = http.Post(s.p.URL+"/token", "application/x-www-form-urlencoded", strings.NewReader("a=b"))
		} else {
			_, err = http.Post(scoresURL(s.lineItem), mtScore, strings.NewReader("{}"))
		}
		if err == nil {
			t.Errorf("%s: got an answer, want a dropped connection", ep)
		}
		if ep == ltitest.EndpointToken {
			if log := s.p.TokenRequests(); !log[len(log)-1].Fault || log[len(log)-1].Status != 0 {
				t.Errorf("token log: got %+v, want the dropped request with Fault and status 0", log[len(log)-1])
			}
		}
	}
}

// MalformedLinks writes well-formed Link headers the way Moodle breaks
// them.
func TestFaults_malformedLinks(t *testing.T) {
	t.Parallel()
	s := newServices(t)
	s.p.InjectFault(ltitest.Fault{Endpoint: ltitest.EndpointMemberships, MalformedLinks: true, Times: 1})
	r := s.call(t, http.MethodGet, s.members+"?limit=1&role=Learner", s.token, nil, "")
	want := "<" + s.members + "?limit=1&amp;from=1&amp;role=Learner>; rel=“next”"
	if got := r.header.Get("Link"); r.status != 200 || got != want {
		t.Errorf("Link: got %d %q, want %q", r.status, got, want)
	}
	r = s.call(t, http.MethodGet, s.members+"?limit=1", s.token, nil, "")
	if got := r.header.Get("Link"); !strings.HasSuffix(got, `>; rel="next"`) {
		t.Errorf("Link after the fault: got %q, want well formed", got)
	}
}
