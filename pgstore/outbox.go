package pgstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ltikit/ltikit/outbox"
)

// Outbox is an [outbox.Store] kept in PostgreSQL: give it to
// outbox.Config.Store, and any number of processes sharing the database
// deliver the scores, each score leased to one of them at a time. A lease
// outlives the process that took it: the scores a crashed process was
// sending are due again when their leases lapse (twice the outbox's
// AttemptTimeout). It is safe for concurrent use. Create it once with
// [NewOutbox].
//
// Each record is a row of ltikit_outbox: its JSON form (encoding/json, as
// outbox.FileStore writes it) in a jsonb column, which is what the store
// returns, so times come back to the nanosecond, in UTC; and beside it the
// columns Claim and Purge select on, which PostgreSQL keeps to the
// microsecond. A record is written whole by Update and its lease by Claim.
type Outbox struct {
	db *pgxpool.Pool
}

var _ outbox.Store = (*Outbox)(nil)

// NewOutbox returns the outbox store kept in db, after creating or
// migrating its table (see the package documentation). It returns
// ErrSchemaTooNew if a newer ltikit migrated the database. The caller
// keeps ownership of db and closes it after the outboxes using the store
// are closed.
func NewOutbox(ctx context.Context, db *pgxpool.Pool) (*Outbox, error) {
	if db == nil {
		return nil, errors.New("pgstore: NewOutbox: nil pool")
	}
	if err := migrate(ctx, db, outboxComponent, outboxMigrations); err != nil {
		return nil, err
	}
	return &Outbox{db: db}, nil
}

// updateTries bounds the runs of an Update that keeps conflicting: two
// first scores for one key inserting at once, or a serialization failure.
const updateTries = 10

// Update implements [outbox.Store]: in a read-committed transaction, it
// locks the record's row (SELECT … FOR UPDATE), runs fn on the record it
// read, and writes, inserts or deletes the row. When another Update
// inserts the same key first, it runs again, fn included, on the record
// that one stored. fn's error is returned unchanged.
func (s *Outbox) Update(ctx context.Context, key string, fn func(*outbox.Record) (*outbox.Record, error)) error {
	for try := 1; ; try++ {
		retry, err := s.update(ctx, key, fn)
		if !retry || try == updateTries || ctx.Err() != nil {
			return err
		}
	}
}

// update is one run of Update; it reports whether the run lost a race that
// another run may win.
func (s *Outbox) update(ctx context.Context, key string, fn func(*outbox.Record) (*outbox.Record, error)) (retry bool, err error) {
	tx, err := s.db.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
	if err != nil {
		return false, dbError(err)
	}
	defer tx.Rollback(ctx) // no-op after Commit
	var cur *outbox.Record
	var raw []byte
	switch err := tx.QueryRow(ctx, `SELECT record FROM ltikit_outbox WHERE key = $1 FOR UPDATE`, key).Scan(&raw); {
	case errors.Is(err, pgx.ErrNoRows):
	case err != nil:
		return conflict(err), dbError(err)
	default:
		if cur, err = decodeRecord(key, raw); err != nil {
			return false, err
		}
	}
	next, err := fn(cur)
	if err != nil {
		return false, err
	}
	if next == nil && cur == nil {
		return false, nil // nothing to delete
	}
	if next == nil {
		if _, err := tx.Exec(ctx, `DELETE FROM ltikit_outbox WHERE key = $1`, key); err != nil {
			return conflict(err), dbError(err)
		}
		return false, dbError(tx.Commit(ctx))
	}
	row, err := encodeRecord(key, next)
	if err != nil {
		return false, err
	}
	if cur == nil {
		_, err = tx.Exec(ctx, `INSERT INTO ltikit_outbox (key, state, next_attempt, lease, lease_until, stamp, record)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			key, row.state, row.nextAttempt, row.lease, row.leaseUntil, row.stamp, row.record)
	} else {
		_, err = tx.Exec(ctx, `UPDATE ltikit_outbox SET state = $2, next_attempt = $3, lease = $4, lease_until = $5,
			stamp = $6, record = $7, updated_at = now() WHERE key = $1`,
			key, row.state, row.nextAttempt, row.lease, row.leaseUntil, row.stamp, row.record)
	}
	if err != nil {
		return conflict(err), recordError(key, err)
	}
	return false, dbError(tx.Commit(ctx))
}

// claimRecords leases the claimable records ($1 now, $2 the lease, $3 the
// lease's end, $4 the same as JSON, $5 how many), earliest due first. The
// CTE is Store's UPDATE … WHERE key IN (SELECT … FOR UPDATE SKIP LOCKED),
// materialized so that the locking SELECT runs once: rows another
// transaction holds (an Update, a concurrent Claim) are skipped, and a row
// changed since the statement began is checked again once it is locked.
const claimRecords = `WITH claimed AS MATERIALIZED (
		SELECT key FROM ltikit_outbox
		WHERE state = 'pending' AND next_attempt <= $1
			AND (lease = '' OR lease_until IS NULL OR lease_until <= $1)
		ORDER BY next_attempt, key
		LIMIT $5
		FOR UPDATE SKIP LOCKED
	)
	UPDATE ltikit_outbox o SET lease = $2, lease_until = $3,
		record = jsonb_set(jsonb_set(o.record, '{lease}', to_jsonb($2::text)), '{lease_until}', $4::jsonb),
		updated_at = now()
	FROM claimed WHERE o.key = claimed.key
	RETURNING o.key, o.record`

// Claim implements [outbox.Store] with one UPDATE that locks the
// claimable rows it leases, skipping the rows other transactions hold.
func (s *Outbox) Claim(ctx context.Context, now time.Time, lease string, until time.Time, n int) ([]outbox.Record, error) {
	if n <= 0 {
		return nil, nil
	}
	until = until.UTC()
	untilJSON, err := json.Marshal(until)
	if err != nil {
		return nil, fmt.Errorf("pgstore: Claim: lease until %v: %w", until, err)
	}
	var out []outbox.Record
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, claimRecords, now, lease, until, string(untilJSON), n)
		if err != nil {
			return dbError(err)
		}
		defer rows.Close()
		for rows.Next() {
			var key string
			var raw []byte
			if err := rows.Scan(&key, &raw); err != nil {
				return dbError(err)
			}
			r, err := decodeRecord(key, raw)
			if err != nil {
				return err
			}
			out = append(out, *r)
		}
		return dbError(rows.Err())
	})
	if err != nil {
		return nil, err
	}
	// RETURNING keeps no order: the earliest due first, as selected.
	slices.SortFunc(out, func(a, b outbox.Record) int {
		if c := a.NextAttempt.Compare(b.NextAttempt); c != 0 {
			return c
		}
		return strings.Compare(a.Key, b.Key)
	})
	return out, nil
}

// Purge implements [outbox.Store] with one DELETE; a row an Update holds
// is checked again once that Update ends.
func (s *Outbox) Purge(ctx context.Context, before time.Time) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `DELETE FROM ltikit_outbox WHERE state <> 'pending' AND stamp < $1`, before)
		return dbError(err)
	})
}

// inTx runs fn in a read-committed transaction, committed if fn returns
// nil, whatever the server's default isolation: a Claim or Purge then
// waits for or skips the rows others hold instead of failing to serialize.
// fn's error is returned unchanged.
func (s *Outbox) inTx(ctx context.Context, fn func(pgx.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
	if err != nil {
		return dbError(err)
	}
	defer tx.Rollback(ctx) // no-op after Commit
	if err := fn(tx); err != nil {
		return err
	}
	return dbError(tx.Commit(ctx))
}

// recordRow is a record as the columns of ltikit_outbox hold it.
type recordRow struct {
	state       string
	nextAttempt time.Time
	lease       string
	leaseUntil  *time.Time // NULL when zero
	stamp       time.Time
	record      []byte // the record's JSON
}

// encodeRecord checks r, which Update's function returned for key, and
// returns its row. Its times are kept in UTC.
func encodeRecord(key string, r *outbox.Record) (recordRow, error) {
	if r.Key != key {
		return recordRow{}, fmt.Errorf("pgstore: Update: record key %q under key %q", r.Key, key)
	}
	if err := checkState(r.State); err != nil {
		return recordRow{}, fmt.Errorf("pgstore: Update: record %q: %w", key, err)
	}
	c := *r // the times are fields of c; nothing it shares with r changes
	c.Accepted, c.NextAttempt, c.LeaseUntil = c.Accepted.UTC(), c.NextAttempt.UTC(), c.LeaseUntil.UTC()
	js, err := json.Marshal(&c)
	if err != nil {
		return recordRow{}, fmt.Errorf("pgstore: Update: encode record %q: %w", key, err)
	}
	row := recordRow{state: string(c.State), nextAttempt: c.NextAttempt, lease: c.Lease,
		// The stamp as the record's JSON keeps it: to the millisecond.
		stamp: c.Delivery.Score.Timestamp.UTC().Truncate(time.Millisecond), record: js}
	if !c.LeaseUntil.IsZero() {
		row.leaseUntil = &c.LeaseUntil
	}
	return row, nil
}

// decodeRecord decodes the record stored under key.
func decodeRecord(key string, raw []byte) (*outbox.Record, error) {
	var r outbox.Record
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, fmt.Errorf("pgstore: outbox record %q: %w", key, err)
	}
	if r.Key != key {
		return nil, fmt.Errorf("pgstore: outbox record %q holds key %q", key, r.Key)
	}
	if err := checkState(r.State); err != nil {
		return nil, fmt.Errorf("pgstore: outbox record %q: %w", key, err)
	}
	return &r, nil
}

// checkState refuses a state the outbox does not know.
func checkState(s outbox.State) error {
	switch s {
	case outbox.StatePending, outbox.StateDelivered, outbox.StateFailed:
		return nil
	}
	return fmt.Errorf("unknown state %q", s)
}

// conflict reports whether err is a conflict with another transaction
// that the same statements may not meet again: the row inserted first by
// another Update, a serialization failure or a deadlock.
func conflict(err error) bool {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return false
	}
	switch pgErr.Code {
	case "23505", // unique_violation
		"40001", // serialization_failure
		"40P01": // deadlock_detected
		return true
	}
	return false
}

// recordError is dbError for writing the record under key, saying what
// the server refused: jsonb holds no U+0000 character.
func recordError(key string, err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "22P05" { // untranslatable_character
		return fmt.Errorf("pgstore: outbox record %q: PostgreSQL's jsonb cannot hold the character U+0000 (in a comment or an id): %w", key, err)
	}
	return dbError(err)
}
