package tool

import (
	"context"
	"errors"
	"time"
)

// Errors a Store returns.
var (
	// ErrKeyExists is returned by Store.Add when the key is already present.
	ErrKeyExists = errors.New("tool: store key exists")
	// ErrKeyNotFound is returned by Store.Get and Store.Take when the key is
	// absent or expired.
	ErrKeyNotFound = errors.New("tool: store key not found")
)

// Store keeps the tool's short-lived server-side state: pending logins
// (state → nonce), used nonces, and verified launches. Keys are namespaced
// by the caller ("login:…", "nonce:…", "launch:…").
//
// Implementations must be safe for concurrent use by several processes
// sharing the backing store: Add must be an atomic add-if-absent and Take an
// atomic get-and-delete (Redis: SET NX PX and GETDEL), so that a state or a
// nonce can be consumed once even when two requests race. No in-process lock
// may be the source of truth.
type Store interface {
	// Add stores value under key for ttl, only if key is absent; otherwise
	// it returns ErrKeyExists and changes nothing.
	Add(ctx context.Context, key string, value []byte, ttl time.Duration) error
	// Get returns the value under key, or ErrKeyNotFound.
	Get(ctx context.Context, key string) ([]byte, error)
	// Take returns the value under key and deletes it, atomically: of
	// several concurrent callers exactly one gets the value, the others
	// ErrKeyNotFound.
	Take(ctx context.Context, key string) ([]byte, error)
}
