package ltitest

import (
	"slices"
	"sync"
)

// syncLog is an append-only record, such as the service calls or the token
// requests. The zero value is ready; it is safe for concurrent use.
type syncLog[T any] struct {
	mu      sync.Mutex
	entries []T
}

func (l *syncLog[T]) add(v T) {
	l.mu.Lock()
	l.entries = append(l.entries, v)
	l.mu.Unlock()
}

// all returns a copy of the entries, oldest first.
func (l *syncLog[T]) all() []T {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.entries)
}
