package outbox

import (
	"context"
	"slices"
	"time"
)

// Store keeps the outbox's records, one per line item and learner, so that
// a score survives a restart until it is delivered. [MemoryStore] (tests)
// and [FileStore] (one process) implement it. A store shared by several
// processes, such as PostgreSQL or Redis, implements the same three methods
// with the same atomicity; then any number of processes can deliver from
// it, and a leased record is delivered by one of them at a time.
//
// Every policy (timestamps, coalescing, retries) lives in the functions the
// outbox passes to Update: a store only keeps records and leases them.
// Implementations must be safe for concurrent use.
type Store interface {
	// Update changes the record under key atomically and durably. It calls
	// fn with a copy of the record, or nil when there is none, and stores
	// what fn returns before returning: a record whose Key is key, or nil
	// to delete the record. When fn returns an error, Update changes
	// nothing and returns that error unchanged. fn must not call the store;
	// it may run more than once when an implementation retries a
	// conflicting update (PostgreSQL: SELECT … FOR UPDATE in a transaction;
	// Redis: WATCH/MULTI).
	Update(ctx context.Context, key string, fn func(*Record) (*Record, error)) error
	// Claim leases up to n records that are pending, due (NextAttempt not
	// after now) and free (Lease empty, or LeaseUntil not after now), those
	// due first first: it sets their Lease to lease and LeaseUntil to until
	// and returns copies of them. A record is leased to one caller at a
	// time, also across processes (PostgreSQL: UPDATE … WHERE key IN
	// (SELECT … FOR UPDATE SKIP LOCKED)). A store that only one process
	// uses may drop leases when it is reopened, as FileStore does.
	Claim(ctx context.Context, now time.Time, lease string, until time.Time, n int) ([]Record, error)
	// Purge deletes the records that are not pending and whose stamp
	// (Delivery.Score.Timestamp) is before t.
	Purge(ctx context.Context, before time.Time) error
}

// State is where a [Record] stands.
type State string

// The states of a record.
const (
	// StatePending: the score waits for delivery, or is being delivered.
	StatePending State = "pending"
	// StateDelivered: the platform accepted the score. The record stays a
	// while to keep the next score's timestamp later than this one's.
	StateDelivered State = "delivered"
	// StateFailed: the platform refused the score for good, or it was
	// retried for longer than Config.RetryFor; Config.OnFailure was told.
	StateFailed State = "failed"
)

// Record is what a [Store] keeps for one line item and learner: the latest
// score handed to the outbox, stamped, and how its delivery stands. Its JSON
// form (encoding/json) is what FileStore writes; other stores may keep it
// the same way, with the fields Claim and Purge select on alongside.
type Record struct {
	// Key names the line item and learner; the outbox derives it from the
	// delivery.
	Key string `json:"key"`
	// Version counts the scores accepted for Key: each new one supersedes
	// the last, also while that one is being delivered.
	Version int64 `json:"version"`
	State   State `json:"state"`
	// Delivery is the score and where it goes. Its Score.Timestamp is the
	// stamp: strictly increasing per Key, to the second.
	Delivery Delivery `json:"delivery"`
	// Accepted is when the outbox accepted this version; Config.RetryFor
	// counts from it.
	Accepted time.Time `json:"accepted"`
	// Attempts counts the delivery attempts of this version.
	Attempts int `json:"attempts,omitempty"`
	// NextAttempt is when a pending record is due.
	NextAttempt time.Time `json:"next_attempt"`
	// LastError says why the last attempt failed; "" after success.
	LastError string `json:"last_error,omitempty"`
	// Lease is the token of the Claim that holds the record, "" when
	// free; LeaseUntil is when that lease lapses.
	Lease      string    `json:"lease,omitempty"`
	LeaseUntil time.Time `json:"lease_until,omitzero"`
}

// clone returns a copy of r that shares no memory with it.
func (r *Record) clone() *Record {
	c := *r
	c.Delivery.Endpoint.Scope = slices.Clone(r.Delivery.Endpoint.Scope)
	if s := r.Delivery.Score.Submission; s != nil {
		sub := *s
		c.Delivery.Score.Submission = &sub
	}
	return &c
}

// claimable reports whether Claim may lease r at now.
func (r *Record) claimable(now time.Time) bool {
	return r.State == StatePending && !r.NextAttempt.After(now) && (r.Lease == "" || !r.LeaseUntil.After(now))
}

// availableAt is the earliest time Claim may lease r, if it is pending.
func (r *Record) availableAt() time.Time {
	if r.Lease != "" && r.LeaseUntil.After(r.NextAttempt) {
		return r.LeaseUntil
	}
	return r.NextAttempt
}
