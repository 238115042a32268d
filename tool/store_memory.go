package tool

import (
	"context"
	"time"

	"github.com/patrickmn/go-cache"
)

// MemoryStore is the default [Store]: an in-process cache (go-cache) with
// TTLs. It is safe for concurrent use, but only within one process; several
// processes serving the same tool need a shared store.
type MemoryStore struct {
	c *cache.Cache
}

// NewMemoryStore returns an empty MemoryStore that purges expired entries
// every minute.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{c: cache.New(cache.NoExpiration, time.Minute)}
}

// takenSuffix marks a key as consumed by Take; see Take.
const takenSuffix = "\x00taken"

// Add implements Store using go-cache's atomic add-if-absent.
func (s *MemoryStore) Add(_ context.Context, key string, value []byte, ttl time.Duration) error {
	if err := s.c.Add(key, value, ttl); err != nil {
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
	if _, taken := s.c.Get(key + takenSuffix); taken {
		return nil, ErrKeyNotFound
	}
	return v.([]byte), nil
}

// Take implements Store. go-cache has no get-and-delete, so the first caller
// claims the key with an atomic Add of a tombstone; only that caller gets
// the value.
func (s *MemoryStore) Take(_ context.Context, key string) ([]byte, error) {
	v, exp, ok := s.c.GetWithExpiration(key)
	if !ok {
		return nil, ErrKeyNotFound
	}
	ttl := cache.NoExpiration
	if !exp.IsZero() {
		if ttl = time.Until(exp); ttl <= 0 {
			return nil, ErrKeyNotFound
		}
	}
	if err := s.c.Add(key+takenSuffix, struct{}{}, ttl); err != nil {
		return nil, ErrKeyNotFound
	}
	s.c.Delete(key)
	return v.([]byte), nil
}
