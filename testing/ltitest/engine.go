package ltitest

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/ltikit/ltikit/jwks"
	"github.com/ltikit/ltikit/tool"
)

// engine is the fake platform itself: an http.Handler holding the
// platform's state (keys, the tools registered, the launches issued, the
// log). It returns errors and knows nothing of testing.TB, so that a
// development LMS can run it; Platform and Browser add the test-facing
// helpers on top. It is safe for concurrent use.
type engine struct {
	issuer string
	quirks quirks
	mux    *http.ServeMux

	mu         sync.Mutex
	now        func() time.Time
	keys       []jwks.Key // keys[0] signs; all are published
	jwks       http.Handler
	tools      map[string]*registration // by client_id
	launches   map[string]*pendingLaunch
	seq        int
	log        []LogEntry
	violations []Violation

	// The services (token endpoint, AGS, NRPS), each safe for concurrent
	// use with its own lock.
	toolKeys  *toolKeys
	jtis      jtiStore
	tokens    tokenStore
	tokenLog  syncLog[TokenRequest] // token endpoint requests (token_endpoint_log.go)
	gradebook *gradebook
	courses   *courses
	faults    *faults
	calls     syncLog[ServiceCall] // AGS and NRPS requests (calllog.go)
	dl        deepLinks            // deep-linking responses received
	ap        proctorState         // proctored attempts (proctoring.go)
	dynreg    dynregs              // dynamic registration: tokens and requests (dynreg.go)

	// dev is the development LMS's state (devui.go); nil unless the
	// platform was started WithDevLMS.
	dev *devLMS
}

// registration is the platform's record of one tool: what an LMS
// administrator enters when adding it.
type registration struct {
	clientID     string
	deploymentID string   // the deployment launches come from by default
	redirectURIs []string // compared exactly, after trimming spaces
	loginURL     string   // initiate_login_uri, where the launch page sends the login initiation
	jwksURL      string   // the tool's public keyset URL, for what it signs
	scopes       []string // the service scopes permitted; nil: the profile's defaults
}

// pendingLaunch is a launch the platform started with a login initiation
// and that waits for the tool's authentication request.
type pendingLaunch struct {
	id          string // the launchid inside lti_message_hint
	messageHint string // lti_message_hint exactly as sent
	loginHint   string // login_hint as sent: the user the platform expects
	clientID    string
	msg         Message // with defaults filled in
	used        bool
}

func newEngine(issuer string, q quirks, now func() time.Time, key jwks.Key) (*engine, error) {
	if now == nil {
		now = time.Now
	}
	e := &engine{
		issuer:   issuer,
		quirks:   q,
		now:      now,
		tools:    make(map[string]*registration),
		launches: make(map[string]*pendingLaunch),

		toolKeys:  newToolKeys(),
		gradebook: newGradebook(),
		courses:   newCourses(),
		faults:    newFaults(),
	}
	e.seedCourses()
	if err := e.setKeys([]jwks.Key{key}); err != nil {
		return nil, err
	}
	e.mux = http.NewServeMux()
	e.mux.HandleFunc("/auth", e.withBrowserSession(e.serveAuth))
	e.mux.HandleFunc("/jwks", e.serveJWKS)
	e.mux.HandleFunc("GET /{$}", e.serveCoursePage)
	e.mux.HandleFunc("GET /launch", e.serveLaunchPage)
	e.mux.HandleFunc("/token", e.withFaults(EndpointToken, e.serveToken))
	e.mux.HandleFunc("/ags/{context}/lineitems", e.withService(EndpointLineItems, e.serveLineItems))
	e.mux.HandleFunc("/ags/{context}/lineitems/{item}/lineitem", e.withService(EndpointLineItem, e.serveLineItem))
	e.mux.HandleFunc("/ags/{context}/lineitems/{item}/lineitem/scores", e.withService(EndpointScores, e.serveScores))
	e.mux.HandleFunc("/ags/{context}/lineitems/{item}/lineitem/results", e.withService(EndpointResults, e.serveResults))
	e.mux.HandleFunc("/nrps/{context}/memberships", e.withService(EndpointMemberships, e.serveMemberships))
	e.mux.HandleFunc(deepLinkReturnPath, e.withDevItems(e.serveDeepLinkReturn))
	e.mux.HandleFunc("POST "+apStartPath, e.serveStartAssessment)
	e.mux.HandleFunc("POST "+apFinishPath, e.serveFinishAttempt)
	e.mux.HandleFunc("GET "+apAttemptPath, e.serveAttemptState)
	e.mux.HandleFunc("POST "+apACSPath, e.serveACS)
	e.mux.HandleFunc("GET "+apLaunchPath, e.serveProctoringLaunch)
	e.mux.HandleFunc("GET "+openIDConfigurationPath, e.serveOpenIDConfiguration)
	e.mux.HandleFunc(registrationPath, e.serveRegistration)
	return e, nil
}

// close releases what the engine holds on to: the requests a Fault holds.
func (e *engine) close() { e.faults.close() }

// withService serves the AGS or NRPS endpoint ep with h, behind the
// injected faults, logging every call (Platform.ServiceCalls).
func (e *engine) withService(ep Endpoint, h http.HandlerFunc) http.HandlerFunc {
	return e.withCallLog(ep, e.withFaults(ep, h))
}

// ServeHTTP serves the platform's endpoints: /auth and /jwks, the
// browser-facing launch page (/ and /launch), and the services: /token,
// AGS under /ags/ and NRPS under /nrps/.
func (e *engine) ServeHTTP(w http.ResponseWriter, r *http.Request) { e.mux.ServeHTTP(w, r) }

func (e *engine) serveJWKS(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	h := e.jwks
	e.mu.Unlock()
	h.ServeHTTP(w, r)
}

// setKeys publishes keys, keys[0] signing.
func (e *engine) setKeys(keys []jwks.Key) error {
	ring, err := jwks.NewKeyRing(keys[0], keys[1:]...)
	if err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.keys = keys
	e.jwks = ring.Handler()
	return nil
}

// rotate makes key the signing key; the previous keys stay published
// unless retire is set.
func (e *engine) rotate(key jwks.Key, retire bool) error {
	e.mu.Lock()
	keys := []jwks.Key{key}
	if !retire {
		keys = append(keys, e.keys...)
	}
	e.mu.Unlock()
	return e.setKeys(keys)
}

// signingKey returns the key that signs.
func (e *engine) signingKey() jwks.Key {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.keys[0]
}

// keyIDs returns the published kids, the signing key's first.
func (e *engine) keyIDs() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	ids := make([]string, len(e.keys))
	for i, k := range e.keys {
		ids[i] = k.ID
	}
	return ids
}

func (e *engine) clock() time.Time {
	e.mu.Lock()
	now := e.now
	e.mu.Unlock()
	return now()
}

func (e *engine) setClock(now func() time.Time) {
	if now == nil {
		now = time.Now
	}
	e.mu.Lock()
	e.now = now
	e.mu.Unlock()
}

// register adds or replaces the tool registration for reg.clientID.
func (e *engine) register(reg registration) {
	reg.redirectURIs = slices.Clone(reg.redirectURIs)
	reg.scopes = slices.Clone(reg.scopes)
	e.mu.Lock()
	e.tools[reg.clientID] = &reg
	e.mu.Unlock()
}

// setRedirectURIs replaces the redirect URIs registered for clientID.
func (e *engine) setRedirectURIs(clientID string, uris []string) error {
	return e.updateRegistration(clientID, func(r *registration) { r.redirectURIs = slices.Clone(uris) })
}

// setLoginURL sets the login initiation URL of the tool clientID.
func (e *engine) setLoginURL(clientID, u string) error {
	return e.updateRegistration(clientID, func(r *registration) { r.loginURL = u })
}

// updateRegistration changes the registration of clientID with update,
// copy on write.
func (e *engine) updateRegistration(clientID string, update func(r *registration)) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	reg, ok := e.tools[clientID]
	if !ok {
		return fmt.Errorf("ltitest: no tool registered with client_id %q", clientID)
	}
	r := *reg
	update(&r)
	e.tools[clientID] = &r
	return nil
}

// registration returns a copy of the registration of clientID.
func (e *engine) registration(clientID string) (registration, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	reg, ok := e.tools[clientID]
	if !ok {
		return registration{}, false
	}
	return *reg, true
}

// errNoRedirectURI is returned when a launch needs a redirect URI and the
// tool registered none.
var errNoRedirectURI = errors.New("no redirect URI registered")

// beginLogin starts a launch of m for the tool clientID: it records the
// pending launch and returns it with the login initiation parameters to
// send to the tool.
func (e *engine) beginLogin(clientID string, m Message) (*pendingLaunch, url.Values, error) {
	reg, ok := e.registration(clientID)
	if !ok {
		return nil, nil, fmt.Errorf("ltitest: no tool registered with client_id %q", clientID)
	}
	if len(reg.redirectURIs) == 0 {
		return nil, nil, fmt.Errorf("ltitest: client_id %q: %w", clientID, errNoRedirectURI)
	}
	m = m.withDefaults(e, &reg)

	e.mu.Lock()
	e.seq++
	seq := e.seq
	e.mu.Unlock()
	// Moodle's hints: JSON that must come back byte for byte.
	var id, hint string
	if m.Type == tool.DeepLinkingRequest {
		id = fmt.Sprintf("ltilaunch_ContentItemSelectionRequest%d%d", seq, rand.Uint32())
		hint = `{"launchid":"` + id + `"}`
	} else {
		id = fmt.Sprintf("ltilaunch%d_%d", seq, rand.Uint32())
		hint = fmt.Sprintf(`{"cmid":%d,"launchid":"%s"}`, seq, id)
	}
	m = e.withDeepLinkReturn(m, id)
	pl := &pendingLaunch{id: id, messageHint: hint, loginHint: m.UserID, clientID: clientID, msg: m}
	e.beginProctoring(pl)
	e.mu.Lock()
	e.launches[id] = pl
	e.mu.Unlock()

	params := url.Values{
		"iss":               {e.issuer},
		"target_link_uri":   {m.TargetLinkURI},
		"login_hint":        {pl.loginHint},
		"lti_message_hint":  {hint},
		"client_id":         {clientID},
		"lti_deployment_id": {m.DeploymentID},
	}
	return pl, params, nil
}

// findLaunch returns the pending launch an lti_message_hint names, or nil.
func (e *engine) findLaunch(hint string) *pendingLaunch {
	var h struct {
		LaunchID string `json:"launchid"`
	}
	if json.Unmarshal([]byte(hint), &h) != nil || h.LaunchID == "" {
		return nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.launches[h.LaunchID]
}

// consume marks pl used; it reports false if it already was.
func (e *engine) consume(pl *pendingLaunch) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if pl.used {
		return false
	}
	pl.used = true
	return true
}

// record appends entry to the log, stamping its time.
func (e *engine) record(entry LogEntry) {
	if entry.Time.IsZero() {
		entry.Time = e.clock()
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.log = append(e.log, entry)
	e.violations = append(e.violations, entry.Violations...)
}

// entries returns a copy of the log.
func (e *engine) entries() []LogEntry {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.log)
}

// allViolations returns a copy of every violation recorded.
func (e *engine) allViolations() []Violation {
	e.mu.Lock()
	defer e.mu.Unlock()
	return slices.Clone(e.violations)
}

// launchViolations returns the violations recorded for one launch.
func (e *engine) launchViolations(launchID string) []Violation {
	e.mu.Lock()
	defer e.mu.Unlock()
	var vs []Violation
	for _, v := range e.violations {
		if v.LaunchID == launchID {
			vs = append(vs, v)
		}
	}
	return vs
}
