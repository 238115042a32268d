package ltitest

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"time"
)

// ServiceCall is one request a tool made to the platform's Assignment and
// Grade Services or Names and Role Provisioning Services, and the
// platform's answer, as the wire carried them: for following what a tool
// does, in a test or in the development LMS's message log. The token
// endpoint has its own, decoded log: [Platform.TokenRequests].
type ServiceCall struct {
	// Time is the platform clock's time of the request.
	Time time.Time
	// Endpoint is the kind of URL called, such as EndpointScores.
	Endpoint Endpoint
	// Method and URL are the request's; URL is absolute, query included.
	Method string
	URL    string
	// RequestType and Request are the request's Content-Type and body,
	// cut after 64 KiB.
	RequestType string
	Request     []byte
	// Status is the answer's HTTP status (0 when the connection was
	// dropped, see [Fault].Drop); ResponseType and Response its
	// Content-Type and body, cut after 64 KiB.
	Status       int
	ResponseType string
	Response     []byte
}

// OK reports whether the platform answered with a 2xx status.
func (c ServiceCall) OK() bool { return c.Status >= 200 && c.Status < 300 }

// ServiceCalls returns every request made to the AGS and NRPS endpoints so
// far, oldest first, refused ones and those a [Fault] answered included.
func (p *Platform) ServiceCalls() []ServiceCall { return p.e.calls.all() }

// maxLoggedBody bounds the bodies a ServiceCall keeps.
const maxLoggedBody = 64 << 10

// withCallLog records every request to the endpoint ep served by h, with
// what h (or a fault in front of it) answered.
func (e *engine) withCallLog(ep Endpoint, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		start := e.clock()
		var req []byte
		if r.Body != nil { // read ahead, then given back to h
			req, _ = io.ReadAll(io.LimitReader(r.Body, maxLoggedBody))
			r.Body = readCloser{io.MultiReader(bytes.NewReader(req), r.Body), r.Body}
		}
		rec := &recorder{ResponseWriter: w}
		defer func() {
			// A Fault that drops the connection hijacks it, or panics
			// with http.ErrAbortHandler: the call is logged with status 0.
			aborted := recover()
			status := rec.status
			if status == 0 && !rec.hijacked && aborted == nil {
				status = http.StatusOK // nothing written: net/http sends 200
			}
			u := *r.URL
			u.Scheme, u.Host = "", ""
			e.calls.add(ServiceCall{Time: start, Endpoint: ep, Method: r.Method, URL: e.issuer + u.String(),
				RequestType: r.Header.Get("Content-Type"), Request: req,
				Status: status, ResponseType: rec.Header().Get("Content-Type"), Response: bytes.Clone(rec.body.b)})
			if aborted != nil {
				panic(aborted)
			}
		}()
		h(rec, r)
	}
}

// capped is an io.Writer keeping the first maxLoggedBody bytes written.
type capped struct{ b []byte }

func (c *capped) Write(p []byte) (int, error) {
	if room := maxLoggedBody - len(c.b); room > 0 {
		c.b = append(c.b, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

// readCloser is a request body whose start was read ahead.
type readCloser struct {
	io.Reader
	io.Closer
}

// recorder is a ResponseWriter that remembers the status and the start of
// the body it passes on.
type recorder struct {
	http.ResponseWriter
	status   int
	body     capped
	hijacked bool
}

func (w *recorder) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *recorder) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	w.body.Write(p)
	return w.ResponseWriter.Write(p)
}

// Hijack hands the connection over (Fault.Drop closes it unanswered).
func (w *recorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, rw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	w.hijacked = err == nil
	return conn, rw, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *recorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }
