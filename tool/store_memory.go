package tool

import (
	"bytes"
	"context"
	"sync"
	"time"

	"github.com/patrickmn/go-cache"
)

// MemoryStore is the default [Store]: an in-process cache (go-cache) with
// TTLs. It is safe for concurrent use, but only within one process; several
// processes serving the same tool need a shared store. Values are copied
// in and out.
type MemoryStore struct {
	mu sync.Mutex // serializes Add and Take: go-cache has no get-and-delete
	c  *cache.Cache
}

// NewMemoryStore returns an empty MemoryStore that purges expired entries
// every minute.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{c: cache.New(cache.NoExpiration, time.Minute)}
}

// Add implements Store.
func (s *MemoryStore) Add(_ context.Context, key string, value []byte, ttl time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.c.Add(key, bytes.Clone(value), ttl); err != nil {
		return ErrKeyExists
	}
	return nil
}

// Get implements Store.
func (s *MemoryStore) Get(_ context.Context, key string) ([]byte, error) {
	v, ok := s.c.Get(key)
	if !ok {
		return nil, ErrKeyNotFound
	}
	return bytes.Clone(v.([]byte)), nil
}

// Take implements Store. It holds the lock Add holds, so that of several
// callers one gets the value, and a key added again after Take (or after
// it expired) is never deleted by a Take of the old value.
func (s *MemoryStore) Take(_ context.Context, key string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.c.Get(key)
	if !ok {
		return nil, ErrKeyNotFound
	}
	s.c.Delete(key)
	return v.([]byte), nil // Add's copy, no longer in the cache
}
