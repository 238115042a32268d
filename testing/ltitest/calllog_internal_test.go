package ltitest

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// The call log records what went over the wire, whatever the endpoint
// did: answered, answered nothing, read part of the body or none, or had
// its connection dropped by a fault.
func TestCallLog(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("x", maxLoggedBody+10)
	for _, tc := range []struct {
		name         string
		method, body string
		fault        *Fault
		handler      http.HandlerFunc
		wantStatus   int
		wantRequest  string
		wantResponse string // exactly; or, for a fault, contained
	}{
		{name: "answered", method: http.MethodPost, body: `{"a":1}`,
			handler: func(w http.ResponseWriter, r *http.Request) {
				io.ReadAll(r.Body)
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusCreated)
				io.WriteString(w, `{"ok":true}`)
			},
			wantStatus: http.StatusCreated, wantRequest: `{"a":1}`, wantResponse: `{"ok":true}`},
		{name: "body not read by the endpoint", method: http.MethodPost, body: "unread",
			handler:    func(w http.ResponseWriter, r *http.Request) { http.Error(w, "no", http.StatusUnauthorized) },
			wantStatus: http.StatusUnauthorized, wantRequest: "unread", wantResponse: "no\n"},
		{name: "nothing written", method: http.MethodGet,
			handler:    func(w http.ResponseWriter, r *http.Request) {},
			wantStatus: http.StatusOK},
		{name: "bodies cut", method: http.MethodPost, body: big,
			handler: func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				if len(b) != len(big) {
					t.Errorf("the endpoint read %d bytes, want the whole body of %d", len(b), len(big))
				}
				w.Write(b)
			},
			wantStatus: http.StatusOK, wantRequest: big[:maxLoggedBody], wantResponse: big[:maxLoggedBody]},
		{name: "fault status", method: http.MethodGet, fault: &Fault{Status: http.StatusTooManyRequests},
			handler:    func(w http.ResponseWriter, r *http.Request) { t.Error("the endpoint ran behind a fault") },
			wantStatus: http.StatusTooManyRequests, wantResponse: `"reason": "Too Many Requests"`},
		{name: "fault drops the connection", method: http.MethodGet, fault: &Fault{Drop: true},
			handler:    func(w http.ResponseWriter, r *http.Request) { t.Error("the endpoint ran behind a fault") },
			wantStatus: 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			key, err := newKey()
			if err != nil {
				t.Fatal(err)
			}
			e, err := newEngine("http://lms.test", genericQuirks(), func() time.Time { return time.Unix(1_800_000_000, 0) }, key)
			if err != nil {
				t.Fatal(err)
			}
			if tc.fault != nil {
				e.faults.add(*tc.fault)
			}
			srv := httptest.NewServer(e.withService(EndpointScores, tc.handler))
			defer srv.Close()
			req, err := http.NewRequest(tc.method, srv.URL+"/ags/c/lineitems/1/lineitem/scores?type_id=1", strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "text/plain")
			if resp, err := srv.Client().Do(req); err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			calls := e.calls.all()
			if len(calls) != 1 {
				t.Fatalf("got %d calls logged, want 1", len(calls))
			}
			c := calls[0]
			if c.Status != tc.wantStatus || c.OK() != (tc.wantStatus/100 == 2) {
				t.Errorf("status: got %d (OK %v), want %d", c.Status, c.OK(), tc.wantStatus)
			}
			if c.Endpoint != EndpointScores || c.Method != tc.method || c.URL != "http://lms.test/ags/c/lineitems/1/lineitem/scores?type_id=1" ||
				!c.Time.Equal(time.Unix(1_800_000_000, 0)) || c.RequestType != "text/plain" {
				t.Errorf("call: got %s %s %s at %v (%s)", c.Endpoint, c.Method, c.URL, c.Time, c.RequestType)
			}
			respOK := bytes.Equal(c.Response, []byte(tc.wantResponse))
			if tc.fault != nil {
				respOK = bytes.Contains(c.Response, []byte(tc.wantResponse))
			}
			if !bytes.Equal(c.Request, []byte(tc.wantRequest)) || !respOK {
				t.Errorf("bodies: got %d bytes sent, %d answered; want %d and %d", len(c.Request), len(c.Response),
					len(tc.wantRequest), len(tc.wantResponse))
			}
		})
	}
}
