package ltitest

import (
	"bytes"
	"io"
	"mime"
	"net/http"
	"net/url"
)

// ObserveTool wraps the handler of the tool under test so that the
// platform's log also holds the tool's answers to a launch made by a real
// browser (from the launch page, the development LMS, or a browser test),
// which the platform does not otherwise see:
//
//   - the StepLogin entry of the launch gets the tool's answer to the login
//     initiation: its Status, Location and, when the tool refused it, the
//     error code of its error page (see LogEntry.Error);
//   - the id_token form post adds a StepLaunch entry with the tool's answer,
//     as [Platform.Launch] records it.
//
// Every request reaches h unchanged; the body of a form post is read ahead
// and given back to h.
//
//	srv := &http.Server{Handler: p.ObserveTool(toolMux)}
func (p *Platform) ObserveTool(h http.Handler) http.Handler {
	e := p.e
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		params := peekParams(r)
		rec := &recorder{ResponseWriter: w}
		h.ServeHTTP(rec, r)
		status := rec.status
		if status == 0 && !rec.hijacked {
			status = http.StatusOK
		}
		code := w.Header().Get("LTI-Error-Code")
		switch {
		case params.Has("login_hint") && params.Has("lti_message_hint"):
			if pl := e.findLaunch(params.Get("lti_message_hint")); pl != nil {
				e.noteLoginAnswer(pl.id, status, w.Header().Get("Location"), code)
			}
		case r.Method == http.MethodPost && (params.Has("id_token") || params.Has("error")) && params.Has("state"):
			token := params.Get("id_token")
			hdr, claims := decodeJWS(token)
			u := *r.URL
			u.Scheme, u.Host = "http", r.Host
			e.record(LogEntry{Step: StepLaunch, LaunchID: e.launchOfState(params.Get("state")),
				Method: r.Method, URL: u.String(), Params: params, Status: status,
				Location: w.Header().Get("Location"), IDToken: token, Header: hdr, Claims: claims, Error: code})
		}
	})
}

// peekParams returns the query and form parameters of r, reading the body
// of a form post ahead and putting it back for the next handler.
func peekParams(r *http.Request) url.Values {
	params := r.URL.Query()
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); r.Body == nil || mt != "application/x-www-form-urlencoded" {
		return params
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	r.Body = readCloser{io.MultiReader(bytes.NewReader(b), r.Body), r.Body}
	form, perr := url.ParseQuery(string(b))
	if err != nil || perr != nil {
		return params
	}
	for k, vs := range form {
		params[k] = append(params[k], vs...)
	}
	return params
}

// noteLoginAnswer records the tool's answer to the login initiation of the
// launch launchID in its StepLogin entry.
func (e *engine) noteLoginAnswer(launchID string, status int, location, errorCode string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for i := len(e.log) - 1; i >= 0; i-- {
		if l := &e.log[i]; l.Step == StepLogin && l.LaunchID == launchID {
			l.Status, l.Location, l.Error = status, location, errorCode
			return
		}
	}
}

// launchOfState returns the launch whose authentication request carried
// state, or "".
func (e *engine) launchOfState(state string) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	for i := len(e.log) - 1; i >= 0; i-- {
		if l := e.log[i]; l.Step == StepAuth && l.Params.Get("state") == state {
			return l.LaunchID
		}
	}
	return ""
}
