package outbox

import "errors"

// Sentinel errors of the outbox and its stores, for errors.Is.
var (
	// ErrClosed is returned by Post, Enqueue and Flush after Close.
	ErrClosed = errors.New("outbox: closed")
	// ErrExpired wraps the last error of a score that was retried for
	// longer than Config.RetryFor, in a Failure.
	ErrExpired = errors.New("outbox: gave up retrying")
	// ErrLocked is returned by OpenFileStore when another FileStore, in
	// this process or another, has the directory open.
	ErrLocked = errors.New("outbox: store directory in use by another FileStore")
	// ErrCorrupt is returned by OpenFileStore when the log is damaged
	// before its last write; the store refuses to guess what was lost.
	ErrCorrupt = errors.New("outbox: store log corrupt")
)

// Failure is a score the outbox will not deliver, reported to
// Config.OnFailure and to the log.
type Failure struct {
	// Delivery is the score, with the timestamp it was last sent with.
	Delivery Delivery
	// Attempts is how many times it was sent.
	Attempts int
	// Err says why: the last attempt's error, an *tool.Error whose code
	// tells the reason (errors.Is with tool.ErrServiceBadRequest,
	// tool.ErrServiceForbidden, tool.ErrServiceNotFound,
	// tool.ErrServiceUnauthorized, tool.ErrServiceConflict,
	// tool.ErrScopeNotGranted, tool.ErrUnknownPlatform…) and whose
	// *tool.ServiceError holds the platform's answer; or ErrExpired
	// wrapping it.
	Err error
}
