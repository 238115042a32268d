package ltitest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// gradebook is the platform's in-memory gradebook: line items by course,
// with the scores posted to them, applying Moodle's rules. It is safe for
// concurrent use.
type gradebook struct {
	mu      sync.Mutex
	seq     int
	items   map[string]*lineItem // by id
	order   []string             // ids, oldest first
	coupled map[string]bool      // context NUL resource link: the link's own line item was made

	// exactTimestamps compares score timestamps exactly instead of at
	// Moodle's one-second precision: the development LMS with its Moodle
	// switch off (devui_quirks.go).
	exactTimestamps atomic.Bool
}

// lineItem is the platform's record of one line item.
type lineItem struct {
	id, contextID  string
	label          string
	scoreMaximum   float64
	resourceID     string
	tag            string
	resourceLinkID string
	startDateTime  string
	endDateTime    string
	gradesReleased *bool
	extensions     map[string]json.RawMessage // other members, echoed (not with Moodle)

	latest map[string]Score // latest accepted score by user
	users  []string         // users in the order of their first accepted score
	posts  []ScorePost
}

// linkLineItemMaximum is the scoreMaximum of the line item the platform
// makes for a resource link, Moodle's default maximum grade.
const linkLineItemMaximum = 100

func newGradebook() *gradebook {
	return &gradebook{items: make(map[string]*lineItem), coupled: make(map[string]bool)}
}

// addLocked stores li under a new id and returns it.
func (g *gradebook) addLocked(li *lineItem) string {
	g.seq++
	li.id = strconv.Itoa(g.seq)
	li.latest = make(map[string]Score)
	g.items[li.id] = li
	g.order = append(g.order, li.id)
	return li.id
}

// linkLineItem makes the line item of the resource link rl in contextID
// when the link is first seen, as Moodle makes an activity's gradebook
// column, and returns the id of the link's single line item, or "" when
// the link has none or several (AGS-CLAIM-01).
func (g *gradebook) linkLineItem(contextID, rl, label string) string {
	g.mu.Lock()
	defer g.mu.Unlock()
	key := contextID + "\x00" + rl
	if !g.coupled[key] {
		g.coupled[key] = true
		if label == "" {
			label = "Activity"
		}
		g.addLocked(&lineItem{contextID: contextID, label: label, scoreMaximum: linkLineItemMaximum, resourceLinkID: rl})
	}
	var ids []string
	for _, id := range g.order {
		if li := g.items[id]; li.contextID == contextID && li.resourceLinkID == rl {
			ids = append(ids, id)
		}
	}
	if len(ids) != 1 {
		return ""
	}
	return ids[0]
}

// lineItemFilter selects line items of the container (AGS-LI-02).
type lineItemFilter struct {
	resourceLinkID, resourceID, tag *string
}

func (f lineItemFilter) match(li *lineItem) bool {
	return (f.resourceLinkID == nil || *f.resourceLinkID == li.resourceLinkID) &&
		(f.resourceID == nil || *f.resourceID == li.resourceID) &&
		(f.tag == nil || *f.tag == li.tag)
}

// list returns copies of contextID's line items that f selects.
func (g *gradebook) list(contextID string, f lineItemFilter) []lineItem {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []lineItem
	for _, id := range g.order {
		if li := g.items[id]; li.contextID == contextID && f.match(li) {
			out = append(out, li.definition())
		}
	}
	return out
}

// get returns a copy of the definition of line item id of contextID.
func (g *gradebook) get(contextID, id string) (lineItem, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	li, ok := g.items[id]
	if !ok || li.contextID != contextID {
		return lineItem{}, false
	}
	return li.definition(), true
}

// create stores def as a new line item of contextID and returns its id.
func (g *gradebook) create(contextID string, def lineItem) string {
	g.mu.Lock()
	defer g.mu.Unlock()
	def.contextID = contextID
	return g.addLocked(&def)
}

// replace replaces the definition of line item id, keeping its scores.
func (g *gradebook) replace(contextID, id string, def lineItem) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	li, ok := g.items[id]
	if !ok || li.contextID != contextID {
		return false
	}
	li.label, li.scoreMaximum, li.resourceID, li.tag = def.label, def.scoreMaximum, def.resourceID, def.tag
	li.resourceLinkID, li.startDateTime, li.endDateTime = def.resourceLinkID, def.startDateTime, def.endDateTime
	li.gradesReleased, li.extensions = def.gradesReleased, def.extensions
	return true
}

// remove deletes line item id with its scores.
func (g *gradebook) remove(contextID, id string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	li, ok := g.items[id]
	if !ok || li.contextID != contextID {
		return false
	}
	delete(g.items, id)
	g.order = slices.DeleteFunc(g.order, func(x string) bool { return x == id })
	return true
}

// definition returns a copy of li without its scores.
func (li *lineItem) definition() lineItem {
	d := *li
	d.latest, d.users, d.posts = nil, nil, nil
	d.gradesReleased = clonePtr(li.gradesReleased)
	if li.extensions != nil {
		d.extensions = make(map[string]json.RawMessage, len(li.extensions))
		for k, v := range li.extensions {
			d.extensions[k] = slices.Clone(v)
		}
	}
	return d
}

// scoreVerdict is the gradebook's answer to a score post.
type scoreVerdict struct {
	status       int
	rule, reason string
}

// postScore applies a score posted to line item id of contextID, as
// Moodle's scores resource does: the score must parse (see parseScore), its
// user must be allowed by gradable, and its timestamp must be later than
// that of the user's last accepted score at one-second precision, Moodle's
// precision (AGS-SC-02: 409 otherwise, also for an equal second). Every
// post is recorded. found is false when the line item does not exist.
func (g *gradebook) postScore(contextID, id string, raw []byte, now time.Time, gradable func(userID string) string) (v scoreVerdict, found bool) {
	s, problem := parseScore(raw)
	var why string
	if problem == "" {
		why = gradable(s.UserID) // outside the lock: it takes the courses' lock
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	li, ok := g.items[id]
	if !ok || li.contextID != contextID {
		return scoreVerdict{}, false
	}
	switch {
	case problem != "":
		v = scoreVerdict{http.StatusBadRequest, "AGS-SC-01", problem}
	case why != "":
		v = scoreVerdict{http.StatusBadRequest, "AGS-SC-01", why}
	default:
		if last, ok := li.latest[s.UserID]; ok && !g.later(s.Time, last.Time) {
			precision := " at one-second precision"
			if g.exactTimestamps.Load() {
				precision = ""
			}
			v = scoreVerdict{http.StatusConflict, "AGS-SC-02", fmt.Sprintf(
				"Refusing score with an earlier timestamp for item %s and user %s: %s is not later than %s%s",
				id, s.UserID, s.Timestamp, last.Timestamp, precision)}
		} else {
			v = scoreVerdict{status: http.StatusOK}
			if !ok {
				li.users = append(li.users, s.UserID)
			}
			li.latest[s.UserID] = s
		}
	}
	li.posts = append(li.posts, ScorePost{Time: now, Score: s, Status: v.status, Rule: v.rule, Reason: v.reason})
	return v, true
}

// later reports whether a score at t may follow one at last: t is later,
// at one-second precision unless exactTimestamps is set.
func (g *gradebook) later(t, last time.Time) bool {
	if g.exactTimestamps.Load() {
		return t.After(last)
	}
	return t.Unix() > last.Unix()
}

// result is a user's result on a line item: the latest accepted score and
// the line item's maximum.
type result struct {
	score   Score
	maximum float64
}

// scaled is the result's score on the line item's scale, as Moodle stores
// it, and whether there is one.
func (r result) scaled() (float64, bool) {
	given, ok := r.score.Grade()
	if !ok {
		return 0, false
	}
	if max := r.score.ScoreMaximum; max != nil && *max != r.maximum && *max != 0 {
		given = given * r.maximum / *max
	}
	return given, true
}

// results returns the results of line item id: one per user whose latest
// accepted score carries a grade, in the order of their first score; only
// userID's when it is not empty. found is false when the line item does
// not exist.
func (g *gradebook) results(contextID, id, userID string) (out []result, found bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	li, ok := g.items[id]
	if !ok || li.contextID != contextID {
		return nil, false
	}
	for _, u := range li.users {
		s := li.latest[u]
		if _, graded := s.Grade(); !graded || (userID != "" && u != userID) {
			continue
		}
		out = append(out, result{score: s.clone(), maximum: li.scoreMaximum})
	}
	return out, true
}

// lineItemURL is the URL of line item id of contextID: under the line
// items container, with Moodle's ?type_id= query (AGS-URL-01).
func (e *engine) lineItemURL(contextID, id string) string {
	return e.lineItemsURL(contextID) + "/" + url.PathEscape(id) + "/lineitem" + e.typeQuery()
}

// lineItemsURL is the line items container of contextID, without query.
func (e *engine) lineItemsURL(contextID string) string {
	return e.issuer + "/ags/" + url.PathEscape(contextID) + "/lineitems"
}

// typeQuery is the query Moodle adds to every AGS URL: the tool type, which
// is also its deployment id.
func (e *engine) typeQuery() string { return "?type_id=" + url.QueryEscape(e.quirks.deploymentID) }

// linkLineItem registers m's course and resource link and returns the id
// of the link's single line item, made on the link's first launch, or ""
// (see gradebook.linkLineItem).
func (e *engine) linkLineItem(m Message) string {
	if m.Context == nil || m.ResourceLink == nil {
		return ""
	}
	e.courses.addLink(*m.Context, m.ResourceLink.ID)
	return e.gradebook.linkLineItem(m.Context.ID, m.ResourceLink.ID, m.ResourceLink.Title)
}
