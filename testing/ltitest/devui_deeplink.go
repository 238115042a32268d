package ltitest

import (
	"maps"
	"net/http"
	"net/http/httptest"

	"github.com/ltikit/ltikit/tool"
)

// withDevItems wraps the deep_link_return_url. A response to a
// deep-linking launch of the development LMS, once the platform accepted
// it, adds its ltiResourceLink items to the course as activities (each
// with its line item when it asks for one), and the page in the iframe
// lists them. Other responses are served by next alone.
func (e *engine) withDevItems(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		d := e.dev
		if d == nil || !d.isDeepLinkLaunch(r.URL.Query().Get(deepLinkLaunchParam)) {
			next(w, r)
			return
		}
		rec := httptest.NewRecorder()
		next(rec, r)
		added := d.addItems()
		if rec.Code != http.StatusOK {
			maps.Copy(w.Header(), rec.Header())
			w.WriteHeader(rec.Code)
			_, _ = w.Write(rec.Body.Bytes())
			return
		}
		writePage(w, http.StatusOK, devAddedPage, added)
	}
}

// isDeepLinkLaunch reports whether launchID is a deep-linking launch the
// development LMS started.
func (d *devLMS) isDeepLinkLaunch(launchID string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	_, ok := d.dlLaunches[launchID]
	return ok
}

// addItems turns the items of the accepted responses to the development
// LMS's deep-linking launches, received since the last call, into
// activities, and returns the activities added.
func (d *devLMS) addItems() []devActivity {
	all := d.e.dl.all()
	d.mu.Lock()
	defer d.mu.Unlock()
	var added []devActivity
	for _, res := range all[min(d.dlSeen, len(all)):] {
		by, ok := d.dlLaunches[res.LaunchID]
		if !ok || !res.Accepted() {
			continue
		}
		u, _ := d.user(by)
		for _, it := range res.Items {
			if it.Type != tool.TypeResourceLink {
				continue // the only type the course takes, as Moodle
			}
			a := devActivity{Link: ResourceLink{ID: d.nextActivityIDLocked(), Title: it.Title, Description: it.Text},
				Custom: maps.Clone(it.Custom), TargetLinkURI: it.URL, AddedBy: u.Name()}
			if a.Link.Title == "" {
				a.Link.Title = "Untitled activity"
			}
			d.activities = append(d.activities, a)
			d.e.courses.addLink(d.course, a.Link.ID)
			d.e.gradebook.addLinkItem(d.course.ID, a.Link.ID, a.Link.Title, it.LineItem)
			added = append(added, a)
		}
	}
	d.dlSeen = len(all)
	return added
}

// addLinkItem creates the gradebook column of a resource link created by
// deep linking: li's fields, the label defaulting to title. A nil li gives
// the link no line item, as Moodle does for an item without lineItem; the
// link's launches then carry no lineitem.
func (g *gradebook) addLinkItem(contextID, rl, title string, li *tool.LineItem) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.coupled[contextID+"\x00"+rl] = true
	if li == nil {
		return
	}
	label := li.Label
	if label == "" {
		label = title
	}
	g.addLocked(&lineItem{contextID: contextID, resourceLinkID: rl, label: label, scoreMaximum: li.ScoreMaximum,
		resourceID: li.ResourceID, tag: li.Tag, gradesReleased: clonePtr(li.GradesReleased)})
}
