package outbox

import (
	"context"
	"sync"
	"time"
)

// MemoryStore is a [Store] held in memory, for tests: everything in it is
// lost when the process ends, so a score in it is not safe from a restart.
// Use [FileStore], or a shared store, in production. It is safe for
// concurrent use within one process.
type MemoryStore struct {
	mu   sync.Mutex
	recs *records
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore { return &MemoryStore{recs: newRecords()} }

// Update implements [Store].
func (m *MemoryStore) Update(_ context.Context, key string, fn func(*Record) (*Record, error)) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, _, err := m.recs.update(key, fn)
	return err
}

// Claim implements [Store].
func (m *MemoryStore) Claim(_ context.Context, now time.Time, lease string, until time.Time, n int) ([]Record, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.recs.claim(now, lease, until, n), nil
}

// Purge implements [Store].
func (m *MemoryStore) Purge(_ context.Context, before time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.recs.purge(before)
	return nil
}
