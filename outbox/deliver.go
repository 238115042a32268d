package outbox

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"time"

	"github.com/ltikit/ltikit/tool"
)

// Delivery in the background: run claims due records from the store,
// Config.Workers at most at a time; attempt sends each one and re-stamps
// it after a 409; finish (outcome.go) records the outcome.

const (
	// storeTimeout bounds a store call made on the outbox's behalf, such
	// as recording an outcome while Close is cancelling attempts.
	storeTimeout = 30 * time.Second
	// stampMemory is how long a delivered record outlives its stamp, so
	// that the next score for its line item and learner is stamped later,
	// also across a restart; purgeEvery is how often older ones go.
	stampMemory = time.Hour
	purgeEvery  = time.Hour
)

// errAttemptTimeout cancels an attempt that ran out of AttemptTimeout.
var errAttemptTimeout = errors.New("outbox: attempt timed out")

// run is the background loop: it hands due records to workers whenever a
// score is accepted, a delivery ends or PollInterval passes, until Close.
func (o *Outbox) run() {
	defer o.wg.Done()
	poll := o.cfg.After(o.cfg.PollInterval)
	for {
		o.mu.Lock()
		changed := o.changed
		o.mu.Unlock()
		o.purge()
		if _, err := o.dispatch(); err != nil {
			o.cfg.Logger.Error("outbox: cannot read the store", "err", err)
		}
		select {
		case <-o.stop:
			return
		case <-o.wake:
		case <-changed:
		case <-poll:
			poll = o.cfg.After(o.cfg.PollInterval)
		}
	}
}

// dispatch claims as many due records as there are free workers and
// starts delivering them; it returns how many it claimed. Dispatches run
// one at a time, so that together they stay within Workers.
func (o *Outbox) dispatch() (int, error) {
	o.dispatching.Lock()
	defer o.dispatching.Unlock()
	o.mu.Lock()
	free := o.cfg.Workers - o.inflight
	closing := o.closing
	o.mu.Unlock()
	if closing || free <= 0 {
		return 0, nil
	}
	now := o.cfg.Now()
	ctx, cancel := context.WithTimeout(o.abort, storeTimeout)
	recs, err := o.store.Claim(ctx, now, rand.Text(), now.Add(o.lease), free)
	cancel()
	o.mu.Lock()
	o.inflight += len(recs)
	o.wg.Add(len(recs))
	o.mu.Unlock()
	for _, r := range recs {
		go func() {
			defer o.wg.Done()
			r, err := o.attempt(r)
			// The worker is free once the platform answered: recording
			// the outcome waits for the store (an fsync), which outcomes
			// of other workers share.
			o.count(&o.inflight, &o.recording)
			o.finish(r, err)
			o.count(&o.recording, nil)
		}()
	}
	return len(recs), err
}

// count moves one delivery from the counter from to the counter to (nil:
// done) and tells whoever waits for a change.
func (o *Outbox) count(from, to *int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	*from--
	if to != nil {
		*to++
	}
	close(o.changed)
	o.changed = make(chan struct{})
}

// Flush delivers the scores that are due and waits until none is due or
// being sent, or until ctx is done. A score that fails is not due again
// until its retry time, so Flush returns after one attempt at each; with
// a clock the test controls (Config.Now and Config.After), a test
// advances the clock and calls Flush again to drive the retries. It is
// also a way to drain the outbox before Close.
func (o *Outbox) Flush(ctx context.Context) error {
	end, err := o.begin()
	if err != nil {
		return err
	}
	defer end()
	o.purge()
	for {
		o.mu.Lock()
		changed := o.changed
		o.mu.Unlock()
		n, err := o.dispatch()
		if err != nil {
			return err
		}
		o.mu.Lock()
		idle := o.inflight == 0 && o.recording == 0 && n == 0
		o.mu.Unlock()
		select {
		case <-changed:
			continue // something ended since: look again
		default:
		}
		if idle {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// purge drops the records whose stamps no longer matter, once per
// purgeEvery.
func (o *Outbox) purge() {
	now := o.cfg.Now()
	o.mu.Lock()
	due := now.Sub(o.lastPurge) >= purgeEvery
	if due {
		o.lastPurge = now
	}
	o.mu.Unlock()
	if !due {
		return
	}
	ctx, cancel := context.WithTimeout(o.abort, storeTimeout)
	defer cancel()
	if err := o.store.Purge(ctx, now.Add(-stampMemory)); err != nil {
		o.cfg.Logger.Error("outbox: cannot purge the store", "err", err)
	}
}

// attemptContext is the context of one attempt: cancelled by Close giving
// up, or with errAttemptTimeout after AttemptTimeout on Config.After.
func (o *Outbox) attemptContext() (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(o.abort)
	timeout, stop := o.cfg.After(o.cfg.AttemptTimeout), make(chan struct{})
	go func() {
		select {
		case <-timeout:
			cancel(errAttemptTimeout)
		case <-stop:
		}
	}()
	return ctx, func() {
		close(stop)
		cancel(context.Canceled)
	}
}

// attempt sends r, which this outbox leased, once (twice after a 409),
// and returns it as last sent with the outcome.
func (o *Outbox) attempt(r Record) (Record, error) {
	ctx, cancel := o.attemptContext()
	defer cancel()
	err := send(ctx, o.cfg.Tool, r.Delivery)
	if errors.Is(err, tool.ErrServiceConflict) {
		r, err = o.resolveConflict(ctx, r, err)
	}
	if err != nil && errors.Is(context.Cause(ctx), errAttemptTimeout) {
		err = classified{fmt.Errorf("outbox: no answer within %v: %w", o.cfg.AttemptTimeout, err), true}
	}
	return r, err
}

// errLeaseLost and errSuperseded stop a store update on a record that is
// no longer this attempt's.
var (
	errLeaseLost  = errors.New("outbox: lease lost")
	errSuperseded = errors.New("outbox: superseded by a newer score")
)

// update is Store.Update with a context that Close does not cancel, so
// that an outcome is recorded even while Close cancels the attempts.
func (o *Outbox) update(key string, fn func(*Record) (*Record, error)) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(o.abort), storeTimeout)
	defer cancel()
	return o.store.Update(ctx, key, fn)
}
