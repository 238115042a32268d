package outbox

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/ltikit/ltikit/tool"
)

// finish records how the attempt at r ended (err nil: delivered), frees
// its lease, and reports a failure. Nothing is recorded on a record that
// was superseded meanwhile (the newer score is due at once) or whose lease
// lapsed (another worker has it).
func (o *Outbox) finish(r Record, err error) {
	now := o.cfg.Now()
	attempts := r.Attempts + 1
	state, next := StateDelivered, time.Time{}
	released := false
	if err != nil {
		retry, after := retryable(err)
		if c := (classified{}); errors.As(err, &c) {
			err = c.error
		}
		state = StateFailed
		switch {
		case o.abort.Err() != nil:
			released = true // Close cancelled it: due again when the store is next opened
		case !retry:
		default:
			next = now.Add(max(o.cfg.Backoff(attempts), after))
			if next.After(r.Accepted.Add(o.cfg.RetryFor)) {
				err = fmt.Errorf("%w after %d attempts: %w", ErrExpired, attempts, err)
			} else {
				state = StatePending
			}
		}
	}
	var superseded bool
	uerr := o.update(r.Key, func(cur *Record) (*Record, error) {
		superseded = false
		if cur == nil || cur.Lease != r.Lease {
			return nil, errLeaseLost
		}
		cur.Lease, cur.LeaseUntil = "", time.Time{}
		if superseded = cur.Version != r.Version; superseded || released {
			return cur, nil
		}
		cur.State, cur.Attempts, cur.LastError = state, attempts, ""
		if err != nil {
			cur.LastError = lastError(err)
		}
		if state == StatePending {
			cur.NextAttempt = next
		}
		return cur, nil
	})

	log := o.cfg.Logger.With(deliveryAttrs(r.Delivery)...)
	switch {
	case uerr != nil && !errors.Is(uerr, errLeaseLost):
		log.Error("outbox: cannot record a delivery's outcome; it will be sent again", "err", uerr, "outcome", err)
	case uerr != nil:
		log.Warn("outbox: lease lapsed during an attempt; another worker has the score", "outcome", err)
	case released:
		log.Info("outbox: attempt cancelled by Close; the score stays in the store", "err", err)
	case superseded:
		log.Debug("outbox: a newer score superseded this one", "outcome", err)
	case err == nil:
		log.Debug("outbox: score delivered", "attempts", attempts)
	case state == StatePending:
		log.Warn("outbox: score not delivered yet; will retry", "attempts", attempts,
			"retry_in", next.Sub(now), "code", tool.CodeOf(err), "err", err)
	default:
		log.Error("outbox: score will not be delivered", "attempts", attempts, "code", tool.CodeOf(err), "err", err)
		o.cfg.OnFailure(Failure{Delivery: r.Delivery, Attempts: attempts, Err: err})
	}
}

// maxLastError bounds Record.LastError.
const maxLastError = 2000

// lastError is err's text as a store keeps it: valid UTF-8 without NUL
// characters (which PostgreSQL's jsonb refuses; a platform's answer may
// hold them), at most maxLastError bytes.
func lastError(err error) string {
	s := strings.ToValidUTF8(strings.ReplaceAll(err.Error(), "\x00", ""), "\uFFFD")
	if len(s) > maxLastError {
		s = strings.ToValidUTF8(s[:maxLastError], "") + "…"
	}
	return s
}

// deliveryAttrs name a delivery in the log: registration, line item and
// learner, and the score's stamp.
func deliveryAttrs(d Delivery) []any {
	attrs := []any{slog.String("issuer", d.Issuer), slog.String("client_id", d.ClientID), slog.String("user", d.Score.UserID),
		slog.Time("timestamp", d.Score.Timestamp)}
	if d.byURL() {
		return append(attrs, slog.String("lineitem", d.Endpoint.LineItem))
	}
	return append(attrs, slog.String("lineitems", d.Endpoint.LineItems), slog.String("resource_link_id", d.ResourceLinkID),
		slog.String("resource_id", d.ResourceID), slog.String("tag", d.Tag))
}
