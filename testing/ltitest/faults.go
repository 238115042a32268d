package ltitest

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Endpoint names one of the platform's service endpoints, for [Fault].
type Endpoint string

// The service endpoints. The AGS and NRPS URLs are per course and per line
// item; an Endpoint names every URL of its kind.
const (
	EndpointToken       Endpoint = "token"       // URL + "/token"
	EndpointLineItems   Endpoint = "lineitems"   // the line items container (GET list, POST create)
	EndpointLineItem    Endpoint = "lineitem"    // one line item (GET, PUT, DELETE)
	EndpointScores      Endpoint = "scores"      // a line item's scores (POST)
	EndpointResults     Endpoint = "results"     // a line item's results (GET)
	EndpointMemberships Endpoint = "memberships" // a course's NRPS memberships (GET)
)

// Fault makes the platform misbehave on purpose, to test how a tool copes
// with a slow, overloaded or failing LMS. Inject it with
// [Platform.InjectFault]:
//
//	// The next three score posts get 429 Too Many Requests, Retry-After: 2.
//	p.InjectFault(ltitest.Fault{Endpoint: ltitest.EndpointScores, Status: 429, RetryAfter: 2 * time.Second, Times: 3})
//
// A fault acts before the endpoint: the request is not authenticated, and
// the gradebook and the token endpoint's checks never see it (the token
// endpoint still logs it, see [TokenRequest].Fault). When several faults
// match a request, the one injected first acts.
type Fault struct {
	// Endpoint is the endpoint the fault affects. "" means every AGS and
	// NRPS endpoint, but not the token endpoint, which must be named.
	Endpoint Endpoint
	// Method, when set, limits the fault to requests with that method.
	Method string
	// Times is how many matching requests the fault affects; 0 (or less)
	// means every one until the fault is cleared.
	Times int

	// Status, when not 0, is the status the platform answers instead of
	// serving the request, such as 401, 429, 500 or 503. A 4xx answer has
	// the endpoint's error body (Moodle's JSON error for the services, an
	// OAuth error for the token endpoint); a 5xx answer is an HTML error
	// page, as a crashing PHP or a proxy serves.
	Status int
	// RetryAfter, with Status, sends a Retry-After header of that many
	// seconds (rounded up).
	RetryAfter time.Duration
	// Drop closes the connection without answering, as when the LMS
	// crashes mid-request or the network fails. It wins over Status.
	Drop bool
	// Hold, when set, is called before the platform answers a matching
	// request, and the answer waits until it returns: a slow platform
	// whose pace the test controls, with no sleeping. ctx ends when the
	// client gives up or the platform closes; Hold should return then.
	// After Hold, the request gets Status, Drop or its normal answer. Hold
	// runs on the server's goroutine: report problems with t.Error, not
	// t.Fatal.
	//
	//	release := make(chan struct{})
	//	p.InjectFault(ltitest.Fault{Endpoint: ltitest.EndpointScores, Times: 1,
	//		Hold: func(ctx context.Context) {
	//			select {
	//			case <-release:
	//			case <-ctx.Done():
	//			}
	//		}})
	Hold func(ctx context.Context)
	// MalformedLinks serves the request normally but writes its Link
	// headers the way Moodle writes the line items' paging links: &amp;
	// inside the URLs and rel values in curly quotes (rel=“next”).
	MalformedLinks bool
}

// InjectFault adds f, active until it has affected f.Times requests or is
// cleared by the returned function or [Platform.ClearFaults]. Clearing it
// twice is harmless.
func (p *Platform) InjectFault(f Fault) (clear func()) { return p.e.faults.add(f) }

// TokenEndpointDown makes the token endpoint answer 503 Service Unavailable
// (an HTML page) to the next n requests, or to every request until cleared
// when n is 0 or less. Clear it with the returned function or
// [Platform.ClearFaults].
func (p *Platform) TokenEndpointDown(n int) (clear func()) {
	return p.e.faults.add(Fault{Endpoint: EndpointToken, Status: http.StatusServiceUnavailable, Times: n})
}

// ClearFaults removes every fault injected so far.
func (p *Platform) ClearFaults() { p.e.faults.clear() }

// activeFault is an injected fault with its remaining uses.
type activeFault struct {
	f    Fault
	left int // -1: unlimited
}

// faults holds the injected faults. It is safe for concurrent use.
type faults struct {
	closing context.Context // ends when the platform closes, releasing Holds
	close   context.CancelFunc

	mu     sync.Mutex
	active []*activeFault
}

func newFaults() *faults {
	ctx, cancel := context.WithCancel(context.Background())
	return &faults{closing: ctx, close: cancel}
}

func (fs *faults) add(f Fault) func() {
	a := &activeFault{f: f, left: f.Times}
	if f.Times <= 0 {
		a.left = -1
	}
	fs.mu.Lock()
	fs.active = append(fs.active, a)
	fs.mu.Unlock()
	return func() {
		fs.mu.Lock()
		defer fs.mu.Unlock()
		fs.active = slices.DeleteFunc(fs.active, func(x *activeFault) bool { return x == a })
	}
}

func (fs *faults) clear() {
	fs.mu.Lock()
	fs.active = nil
	fs.mu.Unlock()
}

// take returns the first fault matching a request to ep with method, using
// up one of its times.
func (fs *faults) take(ep Endpoint, method string) (Fault, bool) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for i, a := range fs.active {
		f := a.f
		if (f.Endpoint != ep && (f.Endpoint != "" || ep == EndpointToken)) || (f.Method != "" && f.Method != method) {
			continue
		}
		if a.left > 0 {
			a.left--
			if a.left == 0 {
				fs.active = slices.Delete(fs.active, i, i+1)
			}
		}
		return f, true
	}
	return Fault{}, false
}

// malformedLinksKey marks a request whose Link headers must be malformed.
type malformedLinksKey struct{}

// withFaults applies the injected faults to the endpoint ep served by h.
func (e *engine) withFaults(ep Endpoint, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		f, ok := e.faults.take(ep, r.Method)
		if !ok {
			h(w, r)
			return
		}
		if f.Hold != nil {
			ctx, cancel := context.WithCancel(r.Context())
			stop := context.AfterFunc(e.faults.closing, cancel)
			f.Hold(ctx)
			stop()
			cancel()
			if r.Context().Err() != nil {
				return // the client gave up
			}
		}
		switch {
		case f.Drop:
			if ep == EndpointToken {
				e.logTokenFault(r, 0)
			}
			if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
				conn.Close()
				return
			}
			panic(http.ErrAbortHandler) // net/http's way to abort a response it cannot hijack
		case f.Status != 0:
			if ep == EndpointToken {
				e.logTokenFault(r, f.Status)
			}
			if f.RetryAfter > 0 {
				w.Header().Set("Retry-After", strconv.FormatInt(int64((f.RetryAfter+time.Second-1)/time.Second), 10))
			}
			e.writeFault(w, r, ep, f.Status)
		default:
			if f.MalformedLinks {
				r = r.WithContext(context.WithValue(r.Context(), malformedLinksKey{}, true))
			}
			h(w, r)
		}
	}
}

// writeFault writes the answer of a fault with status.
func (e *engine) writeFault(w http.ResponseWriter, r *http.Request, ep Endpoint, status int) {
	switch {
	case status >= 500 || status < 400:
		text := http.StatusText(status)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(status)
		fmt.Fprintf(w, "<!DOCTYPE html>\n<title>%d %s</title>\n<h1>%s</h1>\n<p>ltitest: an injected fault.</p>\n",
			status, html.EscapeString(text), html.EscapeString(text))
	case ep == EndpointToken:
		code := strings.ReplaceAll(strings.ToLower(http.StatusText(status)), " ", "_")
		if code == "" {
			code = errInvalidRequest
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		fmt.Fprintf(w, "{\"error\":%q,\"error_description\":\"ltitest: an injected fault\"}", code)
	default:
		e.writeServiceError(w, r, status, http.StatusText(status))
	}
}

// logTokenFault records a token request a fault answered (status 0: the
// connection was dropped).
func (e *engine) logTokenFault(r *http.Request, status int) {
	entry := TokenRequest{Time: e.clock(), Method: r.Method, ContentType: r.Header.Get("Content-Type"),
		Status: status, Fault: true, Reason: "an injected fault"}
	if mt, _, _ := strings.Cut(entry.ContentType, ";"); mt == formMediaType && r.Method == http.MethodPost {
		r.Body = http.MaxBytesReader(nil, r.Body, maxTokenRequestSize)
		if r.ParseForm() == nil {
			entry.Params = cloneValues(r.PostForm)
			entry.Header, entry.Claims = decodeJWS(r.PostForm.Get("client_assertion"))
		}
	}
	e.tokenLog.add(entry)
}
