package tool

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// Where follow-up requests name their launch: the query parameter
// LaunchParam or the request header LaunchHeader. Links built with
// [Launch.Link] carry it.
const (
	LaunchParam  = "launch"
	LaunchHeader = "LTI-Launch"
)

// sessionName is the gorilla/sessions cookie that lists the browser's launches.
const sessionName = "ltikit_session"

// maxSessionLaunches bounds the launch ids one browser session keeps.
const maxSessionLaunches = 16

// storedLaunch is a launch as kept in the Store.
type storedLaunch struct {
	ClientID string          `json:"client_id"`
	Claims   json.RawMessage `json:"claims"`
}

// HandleLaunch verifies the launch like [Tool.VerifyLaunch], then stores it
// server-side under a new id (Launch.ID) and adds that id to the browser's
// session cookie, so follow-up requests inside the LMS iframe can restore it
// with [Tool.SessionLaunch]. A refused launch stores nothing.
// middleware.Launch is a thin wrapper around it.
func (t *Tool) HandleLaunch(w http.ResponseWriter, r *http.Request) (*Launch, error) {
	l, state, err := t.verifyRequest(w, r)
	if state != "" && len(state) >= 16 {
		t.setCookie(w, stateCookiePrefix+state[:16], "", -1)
	}
	if err != nil {
		return nil, err
	}
	id := randomToken()
	data, _ := json.Marshal(storedLaunch{ClientID: l.ClientID, Claims: l.raw})
	if err := t.cfg.Store.Add(r.Context(), "launch:"+id, data, t.cfg.LaunchTTL); err != nil {
		return nil, &Error{Code: CodeStoreFailure, Detail: "could not store the launch", Err: err}
	}
	l.ID = id
	sess, _ := t.cfg.Sessions.Get(r, sessionName) // a bad cookie yields a fresh session
	ids := sessionLaunches(sess.Values["launches"])
	ids = append(ids, id)
	if len(ids) > maxSessionLaunches {
		ids = ids[len(ids)-maxSessionLaunches:]
	}
	sess.Values["launches"] = strings.Join(ids, " ")
	if err := sess.Save(r, w); err != nil {
		return nil, &Error{Code: CodeStoreFailure, Detail: "could not save the session cookie", Err: err}
	}
	return l, nil
}

// SessionLaunch restores the launch a follow-up request belongs to: the one
// named by the "launch" query parameter or the LTI-Launch header, which must
// belong to this browser's session, or else the session's most recent
// launch. Two launches in two tabs stay apart as long as each tab's links
// carry their launch id ([Launch.Link]).
func (t *Tool) SessionLaunch(r *http.Request) (*Launch, error) {
	sess, err := t.cfg.Sessions.Get(r, sessionName)
	if err != nil || sess.IsNew {
		return nil, &Error{Code: CodeNoSession, Detail: "no launch session in this browser (cookies blocked, or the session expired): launch the tool again from the LMS"}
	}
	ids := sessionLaunches(sess.Values["launches"])
	id := r.URL.Query().Get(LaunchParam)
	if id == "" {
		id = r.Header.Get(LaunchHeader)
	}
	switch {
	case id == "" && len(ids) > 0:
		id = ids[len(ids)-1]
	case id == "" || !slices.Contains(ids, id):
		return nil, &Error{Code: CodeNoSession, Claim: LaunchParam, Detail: "the launch does not belong to this browser's session"}
	}
	data, err := t.cfg.Store.Get(r.Context(), "launch:"+id)
	if errors.Is(err, ErrKeyNotFound) {
		return nil, &Error{Code: CodeNoSession, Detail: "the launch expired: launch the tool again from the LMS"}
	} else if err != nil {
		return nil, &Error{Code: CodeStoreFailure, Detail: "could not load the launch", Err: err}
	}
	var s storedLaunch
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, &Error{Code: CodeStoreFailure, Detail: "corrupt stored launch", Err: err}
	}
	l, err := decodeLaunch(s.Claims)
	if err != nil {
		return nil, &Error{Code: CodeStoreFailure, Detail: "corrupt stored launch", Err: err}
	}
	l.ID, l.ClientID = id, s.ClientID
	return l, nil
}

// Link returns path (a tool-relative or absolute URL) with the launch id
// added as the "launch" query parameter, for links and forms inside the
// tool's pages, so that each tab keeps its own launch.
func (l *Launch) Link(path string) string {
	u, err := url.Parse(path)
	if err != nil || l.ID == "" {
		return path
	}
	q := u.Query()
	q.Set(LaunchParam, l.ID)
	u.RawQuery = q.Encode()
	return u.String()
}

func sessionLaunches(v any) []string {
	s, _ := v.(string)
	return strings.Fields(s)
}
