package outbox

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/ltikit/ltikit/tool"
)

// Config configures an [Outbox]. Zero values take the defaults stated on
// each field; [New] validates it and fills them in.
type Config struct {
	// Tool posts the scores: its PlatformStore finds each score's
	// registration (by issuer and client_id) when it is sent, its token
	// cache and HTTP client do the rest. Required.
	Tool *tool.Tool
	// Store keeps every score until it is delivered. Default: a FileStore
	// in Dir, which the outbox closes on Close. One of Store and Dir is
	// required: there is no default that could lose a grade.
	Store Store
	// Dir is the FileStore's directory when Store is nil.
	Dir string

	// Workers is how many scores are sent at once, to all platforms
	// together. Default: 4, gentle on a PHP LMS.
	Workers int
	// AttemptTimeout bounds one attempt: the token request, finding or
	// creating the line item, and the score POST (twice after a 409).
	// Default: 30 seconds. A score being sent is leased for twice as long.
	AttemptTimeout time.Duration
	// RetryFor is how long a score is retried before it is reported as
	// failed with ErrExpired. Default: 72 hours, a long weekend's outage.
	RetryFor time.Duration
	// Backoff is the delay before the next attempt after attempt failed
	// ones (1, 2, …); a platform's Retry-After lengthens it. Default:
	// exponential from 1 second, doubling up to 10 minutes, with jitter
	// (each delay drawn between half and all of its value).
	Backoff func(attempt int) time.Duration
	// PollInterval is how often the store is checked for due scores: the
	// retries, and the scores other processes sharing the store accepted.
	// Scores accepted by this outbox are sent at once. Default: 1 second.
	PollInterval time.Duration

	// OnFailure is told about every score that will not be delivered:
	// refused by the platform (400, 403, 404, 401 after a fresh token, a
	// second 409 after re-stamping, a scope not granted, an unknown
	// registration) or retried for longer than RetryFor. A newer score
	// for the same line item and learner supersedes a failed one. It runs
	// on a delivery goroutine and should return quickly. Default: none;
	// failures are logged either way.
	OnFailure func(Failure)
	// Logger receives retries (Warn), failures (Error) and deliveries
	// (Debug). Default: the tool's Config.Logger.
	Logger *slog.Logger

	// Now is the clock that stamps scores and schedules retries. Default:
	// the tool's Config.Now.
	Now func() time.Time
	// After waits like time.After (the default): for polling and for
	// AttemptTimeout. Tests pass one driven by their own clock, so that
	// retries and timeouts happen when the test says, never by sleeping.
	After func(d time.Duration) <-chan time.Time
}

// Defaults.
const (
	DefaultWorkers        = 4
	DefaultAttemptTimeout = 30 * time.Second
	DefaultRetryFor       = 72 * time.Hour
	DefaultPollInterval   = time.Second
)

// withDefaults validates c and fills in its defaults.
func (c Config) withDefaults() (Config, error) {
	switch {
	case c.Tool == nil:
		return c, errors.New("outbox: Config.Tool is required")
	case c.Store == nil && c.Dir == "":
		return c, errors.New("outbox: Config.Store or Config.Dir is required")
	case c.Store != nil && c.Dir != "":
		return c, errors.New("outbox: set Config.Store or Config.Dir, not both")
	case c.Workers < 0, c.AttemptTimeout < 0, c.RetryFor < 0, c.PollInterval < 0:
		return c, errors.New("outbox: Config durations and Workers must not be negative")
	}
	tc := c.Tool.Config()
	if c.Workers == 0 {
		c.Workers = DefaultWorkers
	}
	if c.AttemptTimeout == 0 {
		c.AttemptTimeout = DefaultAttemptTimeout
	}
	if c.RetryFor == 0 {
		c.RetryFor = DefaultRetryFor
	}
	if c.Backoff == nil {
		c.Backoff = backoff
	}
	if c.PollInterval == 0 {
		c.PollInterval = DefaultPollInterval
	}
	if c.OnFailure == nil {
		c.OnFailure = func(Failure) {}
	}
	if c.Logger == nil {
		c.Logger = tc.Logger
	}
	if c.Now == nil {
		c.Now = tc.Now
	}
	if c.After == nil {
		c.After = time.After
	}
	return c, nil
}

// Outbox delivers scores to the platforms' gradebooks, whatever the
// platforms do meanwhile. [Outbox.Post] and [Outbox.Enqueue] return once
// the score is in the store; workers send it in the background, retrying
// until the platform accepts or refuses it for good. Create one with [New]
// when the application starts, share it, and [Outbox.Close] it on
// shutdown. An Outbox is safe for concurrent use.
type Outbox struct {
	cfg      Config
	store    Store
	ownStore io.Closer // the FileStore New opened, closed by Close
	lease    time.Duration

	stop   chan struct{}   // closed by Close: claim nothing more
	abort  context.Context // cancelled when Close gives up waiting: attempts end
	cancel context.CancelFunc
	wake   chan struct{} // a score was accepted

	dispatching sync.Mutex // held by the one dispatch that may claim

	mu        sync.Mutex
	closing   bool
	inflight  int           // attempts running: Workers at most
	recording int           // outcomes being stored
	changed   chan struct{} // closed and replaced whenever a delivery ends
	lastPurge time.Time
	wg        sync.WaitGroup // the loop, deliveries, Enqueue calls
}

// New validates cfg, opens the FileStore in cfg.Dir when cfg.Store is nil,
// and starts the workers, which deliver the scores left in the store by an
// earlier process right away.
func New(cfg Config) (*Outbox, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	o := &Outbox{cfg: cfg, store: cfg.Store, lease: 2 * cfg.AttemptTimeout,
		stop: make(chan struct{}), wake: make(chan struct{}, 1), changed: make(chan struct{})}
	if o.store == nil {
		fs, err := OpenFileStore(cfg.Dir)
		if err != nil {
			return nil, err
		}
		o.store, o.ownStore = fs, fs
	}
	o.abort, o.cancel = context.WithCancel(context.Background())
	o.wg.Add(1)
	go o.run()
	return o, nil
}

// Close stops the outbox: it claims no more scores and waits for the
// attempts in progress to end, until ctx is done; then it cancels them and
// returns ctx's error. Every score not delivered stays in the store, due
// again when an outbox next opens it. Close closes the FileStore that New
// opened, not a Store given in Config. Calling Close again is harmless.
func (o *Outbox) Close(ctx context.Context) error {
	o.mu.Lock()
	first := !o.closing
	o.closing = true
	o.mu.Unlock()
	if first {
		close(o.stop)
	}
	done := make(chan struct{})
	go func() {
		o.wg.Wait()
		close(done)
	}()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		o.cancel()
		<-done
		err = ctx.Err()
	}
	o.cancel()
	if first && o.ownStore != nil {
		if cerr := o.ownStore.Close(); err == nil {
			err = cerr
		}
	}
	return err
}

// begin registers a call that uses the store, so that Close waits for it;
// it fails with ErrClosed after Close. Call the returned function when
// done.
func (o *Outbox) begin() (end func(), err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closing {
		return nil, ErrClosed
	}
	o.wg.Add(1)
	return o.wg.Done, nil
}
