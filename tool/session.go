package tool

import (
	"cmp"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/gorilla/sessions"
)

// Where follow-up requests name their launch: the query parameter
// LaunchParam or the request header LaunchHeader. Links built with
// [Launch.Link] carry it.
const (
	LaunchParam  = "launch"
	LaunchHeader = "LTI-Launch"
)

// launchCookiePrefix names the cookies that tie launches to the browser:
// one gorilla/sessions cookie per launch, named after its id, so that two
// launches at once (two tabs, two courses) each set their own cookie
// instead of overwriting one shared list.
const launchCookiePrefix = "ltikit_launch_"

// maxSessionLaunches bounds the launch cookies a browser keeps (and so the
// size of its Cookie header): a new launch expires the oldest beyond it.
// The others expire by themselves after LaunchTTL (Max-Age).
const maxSessionLaunches = 16

// Values of a launch cookie's session.
const (
	sessionLaunchID = "launch" // the launch id
	sessionLaunchAt = "at"     // when the launch was stored, Unix nanoseconds of Config.Now
)

// storedLaunch is a launch as kept in the Store.
type storedLaunch struct {
	ClientID string          `json:"client_id"`
	Claims   json.RawMessage `json:"claims"`
}

// HandleLaunch verifies the launch like [Tool.VerifyLaunch], then stores it
// server-side under a new id (Launch.ID) and sets a session cookie for it,
// so follow-up requests inside the LMS iframe can restore it with
// [Tool.SessionLaunch]. Each launch has its own cookie: concurrent launches
// in one browser do not overwrite each other. A refused launch stores
// nothing.
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
	t.expireOldLaunches(w, r)
	sess, _ := t.cfg.Sessions.New(r, launchCookieName(id)) // a fresh name: a new session
	sess.Values[sessionLaunchID] = id
	sess.Values[sessionLaunchAt] = t.cfg.Now().UnixNano()
	if err := sess.Save(r, w); err != nil {
		return nil, &Error{Code: CodeStoreFailure, Detail: "could not save the session cookie", Err: err}
	}
	return l, nil
}

// expireOldLaunches expires the browser's launch cookies that are not
// valid, and the oldest valid ones, so that with the new launch the
// browser keeps at most maxSessionLaunches.
func (t *Tool) expireOldLaunches(w http.ResponseWriter, r *http.Request) {
	type held struct {
		sess *sessions.Session
		at   int64
	}
	var keep []held
	var expire []*sessions.Session
	for _, name := range launchCookieNames(r) {
		sess, err := t.cfg.Sessions.Get(r, name)
		id, _ := sess.Values[sessionLaunchID].(string)
		if err != nil || sess.IsNew || launchCookieName(id) != name {
			expire = append(expire, sess) // undecodable (old keys), expired, or not ours
			continue
		}
		keep = append(keep, held{sess, launchedAt(sess.Values[sessionLaunchAt])})
	}
	slices.SortFunc(keep, func(a, b held) int { return cmp.Compare(b.at, a.at) }) // newest first
	for i := maxSessionLaunches - 1; i < len(keep); i++ {
		expire = append(expire, keep[i].sess)
	}
	for _, sess := range expire {
		sess.Options.MaxAge = -1
		if err := sess.Save(r, w); err != nil {
			t.cfg.Logger.Warn("ltikit: could not expire an old launch cookie", "cookie", sess.Name(), "err", err)
		}
	}
}

// launchedAt reads a launch cookie's time: an int64 as gob keeps it, or a
// float64 from a sessions.Store that serializes values as JSON.
func launchedAt(v any) int64 {
	switch v := v.(type) {
	case int64:
		return v
	case float64:
		return int64(v)
	}
	return 0
}

// SessionLaunch restores the launch a follow-up request belongs to: the one
// named by the "launch" query parameter or the LTI-Launch header, which
// must have its cookie in this browser. Two launches in two tabs stay apart
// as long as each tab's links carry their launch id ([Launch.Link]).
//
// A request that names no launch gets the browser's launch only when it is
// the browser's only one and the method is safe (GET or HEAD), such as a
// page opened by hand in the iframe. Otherwise it is refused with
// CodeMissingLaunchID: with several launches the choice would be a guess,
// and a state-changing request (POST, PUT, DELETE…) must carry the launch
// id, which a cross-site page cannot know.
func (t *Tool) SessionLaunch(r *http.Request) (*Launch, error) {
	id := r.URL.Query().Get(LaunchParam)
	if id == "" {
		id = r.Header.Get(LaunchHeader)
	}
	if id == "" {
		var err error
		if id, err = t.onlyLaunch(r); err != nil {
			return nil, err
		}
	}
	if len(id) < 16 || len(id) > 128 {
		return nil, &Error{Code: CodeNoSession, Claim: LaunchParam, Detail: "the launch id is not one this tool issued"}
	}
	sess, err := t.cfg.Sessions.Get(r, launchCookieName(id))
	if err != nil || sess.IsNew {
		return nil, &Error{Code: CodeNoSession, Claim: LaunchParam, Detail: "this browser holds no session for the launch (cookies blocked, the session expired, the tool restarted without fixed SessionKeys, or the launch belongs to another browser): launch the tool again from the LMS"}
	}
	if got, _ := sess.Values[sessionLaunchID].(string); subtle.ConstantTimeCompare([]byte(got), []byte(id)) != 1 {
		return nil, &Error{Code: CodeNoSession, Claim: LaunchParam, Detail: "the launch does not belong to this browser's session"}
	}
	data, err := t.cfg.Store.Get(r.Context(), "launch:"+id)
	if errors.Is(err, ErrKeyNotFound) {
		return nil, &Error{Code: CodeNoSession, Detail: "the tool has no record of the launch (it expired, or the tool restarted and keeps launches in memory, the default Config.Store): launch the tool again from the LMS"}
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

// onlyLaunch returns the id of the browser's only launch, for a safe
// request that names none.
func (t *Tool) onlyLaunch(r *http.Request) (string, error) {
	names := launchCookieNames(r)
	switch {
	case len(names) == 0:
		return "", &Error{Code: CodeNoSession, Detail: "no launch session in this browser (cookies blocked, or the session expired): launch the tool again from the LMS"}
	case len(names) > 1:
		return "", &Error{Code: CodeMissingLaunchID, Claim: LaunchParam, Detail: fmt.Sprintf(
			"the request names no launch and this browser holds %d: build the tool's links and forms with Launch.Link, or send the %s header", len(names), LaunchHeader)}
	case r.Method != http.MethodGet && r.Method != http.MethodHead:
		return "", &Error{Code: CodeMissingLaunchID, Claim: LaunchParam, Detail: fmt.Sprintf(
			"a %s must name its launch (Launch.Link, or the %s header), which protects it from cross-site requests", r.Method, LaunchHeader)}
	}
	sess, err := t.cfg.Sessions.Get(r, names[0])
	if err != nil || sess.IsNew {
		return "", &Error{Code: CodeNoSession, Detail: "the browser's launch session is not valid (the tool's session keys changed, or it expired): launch the tool again from the LMS"}
	}
	id, _ := sess.Values[sessionLaunchID].(string)
	return id, nil
}

// launchCookieName names the cookie of launch id.
func launchCookieName(id string) string {
	if len(id) > 16 {
		id = id[:16]
	}
	return launchCookiePrefix + id
}

// launchCookieNames returns the names of the request's launch cookies,
// each once; at most 2×maxSessionLaunches, which bounds the work a request
// can cause (more expire by their Max-Age).
func launchCookieNames(r *http.Request) []string {
	var names []string
	for _, c := range r.Cookies() {
		if len(names) == 2*maxSessionLaunches {
			break
		}
		if strings.HasPrefix(c.Name, launchCookiePrefix) && !slices.Contains(names, c.Name) {
			names = append(names, c.Name)
		}
	}
	return names
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
