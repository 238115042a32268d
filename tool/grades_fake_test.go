package tool

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// fakeGradebook is a small strict AGS platform for the grade tests, shaped
// like Moodle: every URL carries ?type_id=1, media types are compared
// exactly, line item paging uses Moodle's curly-quoted Link header with
// &amp;, and a score not newer than the last one (at one-second precision)
// gets 409. Faults can be injected per request.
type fakeGradebook struct {
	t    *testing.T
	base string // the server's URL + "/2"

	mu      sync.Mutex
	items   []LineItem
	nextID  int
	scores  map[string][]Score // by line item id
	creates int
	reqs    []recorded
	// fault, when set, may answer a request instead of the gradebook.
	fault func(w http.ResponseWriter, r *http.Request) bool
}

func newFakeGradebook(e *svcEnv, items ...LineItem) *fakeGradebook {
	g := &fakeGradebook{t: e.t, scores: map[string][]Score{}, nextID: 1}
	g.base = e.serve(g).URL + "/2"
	for _, li := range items {
		g.add(li)
	}
	return g
}

func (g *fakeGradebook) lineItemsURL() string { return g.base + "/lineitems?type_id=1" }

func (g *fakeGradebook) itemURL(n int) string {
	return fmt.Sprintf("%s/lineitems/%d/lineitem?type_id=1", g.base, n)
}

// add stores li with a new id; the caller holds no lock.
func (g *fakeGradebook) add(li LineItem) LineItem {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.addLocked(li)
}

func (g *fakeGradebook) addLocked(li LineItem) LineItem {
	li.ID = g.itemURL(g.nextID)
	g.nextID++
	g.items = append(g.items, li)
	return li
}

func (g *fakeGradebook) snapshot() (items []LineItem, scores map[string][]Score, creates int, reqs []recorded) {
	g.mu.Lock()
	defer g.mu.Unlock()
	scores = map[string][]Score{}
	for k, v := range g.scores {
		scores[k] = append([]Score(nil), v...)
	}
	return append([]LineItem(nil), g.items...), scores, g.creates, append([]recorded(nil), g.reqs...)
}

func (g *fakeGradebook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	g.mu.Lock()
	g.reqs = append(g.reqs, recorded{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Clone(), string(body)})
	fault := g.fault
	g.mu.Unlock()
	if fault != nil && fault(w, r) {
		return
	}
	if r.URL.Query().Get("type_id") != "1" {
		g.t.Errorf("%s %s lost the type_id query (AGS-URL-01)", r.Method, r.URL)
	}
	if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer tok-") {
		writeMoodleError(w, http.StatusUnauthorized, "Unauthorized")
		return
	}
	rest, _ := strings.CutPrefix(r.URL.Path, "/2/lineitems")
	parts := strings.Split(strings.Trim(rest, "/"), "/")
	switch {
	case rest == "" && r.Method == http.MethodGet:
		if g.expect(w, r, "Accept", mediaLineItemContainer) {
			g.list(w, r)
		}
	case rest == "" && r.Method == http.MethodPost:
		if g.expect(w, r, "Accept", mediaLineItem) && g.expect(w, r, "Content-Type", mediaLineItem) {
			g.create(w, body)
		}
	case len(parts) == 2 && parts[1] == "lineitem":
		g.item(w, r, r.URL.Path, body)
	case len(parts) == 3 && parts[2] == "scores" && r.Method == http.MethodPost:
		if g.expect(w, r, "Content-Type", mediaScore) {
			g.score(w, "/2/lineitems/"+parts[0]+"/lineitem", body)
		}
	case len(parts) == 3 && parts[2] == "results" && r.Method == http.MethodGet:
		if g.expect(w, r, "Accept", mediaResultContainer) {
			g.results(w, r, "/2/lineitems/"+parts[0]+"/lineitem")
		}
	default:
		writeMoodleError(w, http.StatusNotFound, "Not Found")
	}
}

func writeMoodleError(w http.ResponseWriter, status int, reason string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"status":%d,"reason":%q}`, status, reason)
}

// expect checks a header is exactly want (AGS-MT-02), answering 400 if not.
func (g *fakeGradebook) expect(w http.ResponseWriter, r *http.Request, header, want string) bool {
	if got := r.Header.Get(header); got != want {
		g.t.Errorf("%s %s: %s %q, want exactly %q", r.Method, r.URL, header, got, want)
		writeMoodleError(w, http.StatusBadRequest, "No handler found")
		return false
	}
	return true
}

func (g *fakeGradebook) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	g.mu.Lock()
	var match []LineItem
	for _, li := range g.items {
		if (q.Get("resource_link_id") == "" || li.ResourceLinkID == q.Get("resource_link_id")) &&
			(q.Get("resource_id") == "" || li.ResourceID == q.Get("resource_id")) &&
			(q.Get("tag") == "" || li.Tag == q.Get("tag")) {
			match = append(match, li)
		}
	}
	g.mu.Unlock()
	limit, _ := strconv.Atoi(q.Get("limit"))
	from, _ := strconv.Atoi(q.Get("from"))
	if limit > 0 {
		from = min(from, len(match))
		end := min(from+limit, len(match))
		if end < len(match) {
			next := q
			next.Set("from", strconv.Itoa(end))
			link := g.base + "/lineitems?" + strings.ReplaceAll(next.Encode(), "&", "&amp;")
			w.Header().Set("Link", "<"+g.base+"/lineitems?type_id=1>; rel=“first”, <"+link+">; rel=“next”")
		}
		match = match[from:end]
	}
	w.Header().Set("Content-Type", mediaLineItemContainer+"; charset=utf-8")
	if match == nil {
		match = []LineItem{}
	}
	json.NewEncoder(w).Encode(match)
}

func (g *fakeGradebook) create(w http.ResponseWriter, body []byte) {
	var li LineItem
	if err := json.Unmarshal(body, &li); err != nil || li.Label == "" {
		writeMoodleError(w, http.StatusBadRequest, "No label or Score Maximum")
		return
	}
	g.mu.Lock()
	g.creates++
	li = g.addLocked(li)
	g.mu.Unlock()
	w.Header().Set("Content-Type", mediaLineItem+"; charset=utf-8")
	w.WriteHeader(http.StatusCreated)
	json.NewEncoder(w).Encode(li)
}

func (g *fakeGradebook) find(path string) int {
	for i, li := range g.items {
		if strings.HasPrefix(li.ID, g.base[:len(g.base)-2]+path+"?") {
			return i
		}
	}
	return -1
}

func (g *fakeGradebook) item(w http.ResponseWriter, r *http.Request, path string, body []byte) {
	g.mu.Lock()
	defer g.mu.Unlock()
	i := g.find(path)
	if i < 0 {
		writeMoodleError(w, http.StatusNotFound, "Not Found: Grade item doesn't exist")
		return
	}
	switch r.Method {
	case http.MethodGet:
		if g.expect(w, r, "Accept", mediaLineItem) {
			w.Header().Set("Content-Type", mediaLineItem+"; charset=utf-8")
			json.NewEncoder(w).Encode(g.items[i])
		}
	case http.MethodPut:
		if !g.expect(w, r, "Accept", mediaLineItem) || !g.expect(w, r, "Content-Type", mediaLineItem) {
			return
		}
		var li LineItem
		if err := json.Unmarshal(body, &li); err != nil {
			writeMoodleError(w, http.StatusBadRequest, "Bad Request")
			return
		}
		li.ID = g.items[i].ID
		g.items[i] = li // a PUT without resourceLinkId unbinds, as in Moodle
		w.Header().Set("Content-Type", mediaLineItem+"; charset=utf-8")
		json.NewEncoder(w).Encode(li)
	case http.MethodDelete:
		g.items = append(g.items[:i], g.items[i+1:]...)
		w.WriteHeader(http.StatusNoContent)
	default:
		writeMoodleError(w, http.StatusMethodNotAllowed, "Method Not Allowed")
	}
}

func (g *fakeGradebook) score(w http.ResponseWriter, path string, body []byte) {
	var s Score
	if err := json.Unmarshal(body, &s); err != nil || s.UserID == "" || s.Timestamp.IsZero() {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	i := g.find(path)
	if i < 0 {
		writeMoodleError(w, http.StatusNotFound, "Not Found")
		return
	}
	id := g.items[i].ID
	for _, old := range g.scores[id] {
		if old.UserID == s.UserID && s.Timestamp.Unix() <= old.Timestamp.Unix() {
			w.Header().Set("Content-Type", mediaScore+"; charset=utf-8")
			w.WriteHeader(http.StatusConflict)
			w.Write([]byte("[]"))
			return
		}
	}
	g.scores[id] = append(g.scores[id], s)
	w.Header().Set("Content-Type", mediaScore+"; charset=utf-8")
}

func (g *fakeGradebook) results(w http.ResponseWriter, r *http.Request, path string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	i := g.find(path)
	if i < 0 {
		writeMoodleError(w, http.StatusNotFound, "Not Found")
		return
	}
	last := map[string]Score{}
	var order []string
	for _, s := range g.scores[g.items[i].ID] {
		if _, ok := last[s.UserID]; !ok {
			order = append(order, s.UserID)
		}
		last[s.UserID] = s
	}
	out := []map[string]any{}
	for _, u := range order {
		if q := r.URL.Query().Get("user_id"); q != "" && q != u {
			continue
		}
		s := last[u]
		res := map[string]any{"id": g.items[i].ID + "&user_id=" + u, "scoreOf": g.items[i].ID, "userId": u,
			"resultMaximum": g.items[i].ScoreMaximum, "comment": s.Comment}
		if s.ScoreMaximum > 0 && s.GradingProgress == GradingFullyGraded {
			res["resultScore"] = s.ScoreGiven / s.ScoreMaximum * g.items[i].ScoreMaximum
		}
		out = append(out, res)
	}
	w.Header().Set("Content-Type", mediaResultContainer+"; charset=utf-8")
	json.NewEncoder(w).Encode(out)
}
