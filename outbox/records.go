package outbox

import (
	"container/heap"
	"fmt"
	"time"
)

// records is the in-memory state MemoryStore and FileStore share: the
// records by key, and a heap of when pending records become claimable, so
// that a Claim does not scan every record. It is not safe for concurrent
// use; the stores lock around it.
//
// Invariant: every pending record has a heap entry at its availableAt.
// Entries go stale when a record changes; claim skips those, and the
// record's current entry is also in the heap.
type records struct {
	byKey map[string]*Record
	due   dueHeap
}

func newRecords() *records { return &records{byKey: make(map[string]*Record)} }

// get returns a copy of the record under key, or nil.
func (rs *records) get(key string) *Record {
	if r, ok := rs.byKey[key]; ok {
		return r.clone()
	}
	return nil
}

// check refuses what an Update function must not return.
func check(key string, r *Record) error {
	if r == nil {
		return nil
	}
	if r.Key != key {
		return fmt.Errorf("outbox: store: record key %q under key %q", r.Key, key)
	}
	switch r.State {
	case StatePending, StateDelivered, StateFailed:
		return nil
	}
	return fmt.Errorf("outbox: store: record %q has state %q", key, r.State)
}

// set stores a copy of r under key, or deletes key when r is nil.
func (rs *records) set(key string, r *Record) {
	if r == nil {
		delete(rs.byKey, key)
		return
	}
	r = r.clone()
	rs.byKey[key] = r
	if r.State == StatePending {
		heap.Push(&rs.due, dueEntry{at: r.availableAt(), key: key})
	}
}

// update runs fn on the record under key and stores its result, returning
// the stored record (nil when deleted) and whether anything changed.
func (rs *records) update(key string, fn func(*Record) (*Record, error)) (*Record, bool, error) {
	cur := rs.get(key)
	next, err := fn(cur)
	if err != nil {
		return nil, false, err
	}
	if err := check(key, next); err != nil {
		return nil, false, err
	}
	if next == nil && cur == nil {
		return nil, false, nil
	}
	rs.set(key, next)
	return next, true, nil
}

// claim leases up to n claimable records, earliest due first.
func (rs *records) claim(now time.Time, lease string, until time.Time, n int) []Record {
	var out []Record
	for len(out) < n && len(rs.due) > 0 && !rs.due[0].at.After(now) {
		e := heap.Pop(&rs.due).(dueEntry)
		r, ok := rs.byKey[e.key]
		if !ok || !r.claimable(now) {
			continue // stale: deleted, done, leased or rescheduled
		}
		r.Lease, r.LeaseUntil = lease, until
		heap.Push(&rs.due, dueEntry{at: until, key: e.key}) // claimable again if the lease lapses
		out = append(out, *r.clone())
	}
	return out
}

// purge deletes the records that are not pending and whose stamp is
// before t, and reports how many it deleted.
func (rs *records) purge(before time.Time) int {
	n := 0
	for k, r := range rs.byKey {
		if r.State != StatePending && r.Delivery.Score.Timestamp.Before(before) {
			delete(rs.byKey, k)
			n++
		}
	}
	return n
}

// dueEntry says that the record under key may be claimable from at.
type dueEntry struct {
	at  time.Time
	key string
}

// dueHeap is a min-heap of dueEntry by time (container/heap).
type dueHeap []dueEntry

func (h dueHeap) Len() int           { return len(h) }
func (h dueHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h dueHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *dueHeap) Push(x any)        { *h = append(*h, x.(dueEntry)) }
func (h *dueHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}
