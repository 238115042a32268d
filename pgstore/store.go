package pgstore

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ltikit/ltikit/tool"
)

// Store is a [tool.Store] kept in PostgreSQL: the tool's pending logins,
// used nonces and launches, shared by every process on the database and
// kept across restarts. Give it to tool.Config.Store, with the same fixed
// tool.Config.SessionKeys in every process, so that the session cookies
// naming the launches stay valid too. It is safe for concurrent use, also
// by several processes. Create it once with [NewStore].
//
// Each key is a row of ltikit_store until its expires_at. Every statement
// is atomic on its own: Add is one INSERT … ON CONFLICT that stores only
// when the key is absent or expired, and Take one DELETE … RETURNING, so
// that of concurrent callers exactly one adds or takes a key. Expiry
// follows the database's clock (now()), the same for every process, to
// the microsecond. Expired rows are invisible at once and deleted lazily:
// an Add now and then (about once a minute per process) deletes up to a
// thousand of them, and the next Add deletes more when there were more.
type Store struct {
	db *pgxpool.Pool
	// nextPurge is when, in Unix nanoseconds of the process's clock, an
	// Add deletes expired rows next (0: the next Add).
	nextPurge atomic.Int64
}

var _ tool.Store = (*Store)(nil)

// How Add deletes expired rows: at most purgeBatch rows, once every
// purgeEvery per process, or at the next Add when a batch was full.
const (
	purgeEvery = time.Minute
	purgeBatch = 1000
)

// NewStore returns the tool state kept in db, after creating or migrating
// its table (see the package documentation). It returns ErrSchemaTooNew if
// a newer ltikit migrated the database. The caller keeps ownership of db
// and closes it after the tools using the store are closed.
func NewStore(ctx context.Context, db *pgxpool.Pool) (*Store, error) {
	if db == nil {
		return nil, errors.New("pgstore: NewStore: nil pool")
	}
	if err := migrate(ctx, db, storeComponent, storeMigrations); err != nil {
		return nil, err
	}
	return &Store{db: db}, nil
}

// addKey stores a key ($1) with its value ($2) for a TTL in microseconds
// ($3), unless a row that has not expired holds the key: the conflicting
// row is replaced only when it has expired, and no row is affected
// otherwise.
const addKey = `INSERT INTO ltikit_store (key, value, expires_at)
	VALUES ($1, $2, now() + $3::bigint * interval '1 microsecond')
	ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at
	WHERE ltikit_store.expires_at <= now()`

// purgeExpired deletes up to $1 expired rows, skipping the rows other
// transactions hold; the outer condition holds again on the locked rows.
const purgeExpired = `DELETE FROM ltikit_store WHERE key IN (
		SELECT key FROM ltikit_store WHERE expires_at <= now()
		ORDER BY expires_at LIMIT $1 FOR UPDATE SKIP LOCKED
	) AND expires_at <= now()`

// Add implements [tool.Store]. The value is stored for ttl, rounded up to
// the microsecond; ttl must be positive.
func (s *Store) Add(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if ttl <= 0 {
		return fmt.Errorf("pgstore: Store.Add: the TTL must be positive, not %v", ttl)
	}
	micros := ttl.Microseconds()
	if ttl%time.Microsecond != 0 {
		micros++
	}
	if value == nil {
		value = []byte{} // NOT NULL; Get returns it empty, as it was
	}
	tag, err := s.db.Exec(ctx, addKey, []byte(key), value, micros)
	if err != nil {
		return dbError(err)
	}
	s.purge(ctx)
	if tag.RowsAffected() == 0 {
		return tool.ErrKeyExists
	}
	return nil
}

// purge deletes a batch of expired rows when one is due. Its errors are
// left for the next purge: the rows it misses are invisible already.
func (s *Store) purge(ctx context.Context) {
	now := time.Now().UnixNano()
	next := s.nextPurge.Load()
	if now < next || !s.nextPurge.CompareAndSwap(next, now+int64(purgeEvery)) {
		return // not due, or another Add of this process purges
	}
	tag, err := s.db.Exec(ctx, purgeExpired, purgeBatch)
	if err == nil && tag.RowsAffected() >= purgeBatch {
		s.nextPurge.Store(0) // more may be due: the next Add purges again
	}
}

// Get implements [tool.Store].
func (s *Store) Get(ctx context.Context, key string) ([]byte, error) {
	var v []byte
	err := s.db.QueryRow(ctx, `SELECT value FROM ltikit_store WHERE key = $1 AND expires_at > now()`,
		[]byte(key)).Scan(&v)
	return value(v, err)
}

// Take implements [tool.Store] with one DELETE … RETURNING: of concurrent
// callers, the one whose statement deletes the row gets the value.
func (s *Store) Take(ctx context.Context, key string) ([]byte, error) {
	var v []byte
	err := s.db.QueryRow(ctx, `DELETE FROM ltikit_store WHERE key = $1 AND expires_at > now() RETURNING value`,
		[]byte(key)).Scan(&v)
	return value(v, err)
}

// value returns the value a row held, tool.ErrKeyNotFound when there was
// none, or the database's error.
func value(v []byte, err error) ([]byte, error) {
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return nil, tool.ErrKeyNotFound
	case err != nil:
		return nil, dbError(err)
	}
	return v, nil // pgx scans into a new slice: the caller owns it
}
