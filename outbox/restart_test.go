package outbox_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/ltikit/ltikit/outbox"
	"github.com/ltikit/ltikit/testing/ltitest"
)

// A restart mid-delivery loses nothing: the process stops (gracefully, or
// crashes: the test keeps a copy of the directory as it was on disk) while
// a score is on the wire and others wait; a new outbox on the directory
// delivers them all, and each learner ends with the last score accepted.
// A score the old process had delivered but not yet recorded is sent
// again: Moodle answers 409, it is re-stamped, and the gradebook holds the
// same grade.
func TestOutbox_RestartMidDelivery(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		// stop ends the first process; it returns the directory the next
		// one opens.
		stop func(t *testing.T, ob *outbox.Outbox, dir string, release func()) string
	}{
		{"graceful Close cancels the attempt", func(t *testing.T, ob *outbox.Outbox, dir string, release func()) string {
			ctx, cancel := context.WithCancel(context.Background())
			cancel() // do not wait for the held request
			if err := ob.Close(ctx); err != context.Canceled {
				t.Errorf("Close: %v, want context.Canceled", err)
			}
			release()
			return dir
		}},
		{"crash before the outcome was recorded", func(t *testing.T, ob *outbox.Outbox, dir string, release func()) string {
			crash := copyDir(t, dir) // the disk as a crash would leave it
			release()                // the held score lands on the platform...
			if err := ob.Close(context.Background()); err != nil {
				t.Error(err)
			}
			return crash // ...but the next process never heard of it
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, ltitest.Moodle())
			others := e.learners(2)
			dir := filepath.Join(t.TempDir(), "outbox")
			ob := e.open(t, outbox.Config{Dir: dir, Workers: 1}, nil)

			entered, released := make(chan struct{}, 1), make(chan struct{})
			e.p.InjectFault(ltitest.Fault{Endpoint: ltitest.EndpointScores, Times: 1, Hold: func(ctx context.Context) {
				entered <- struct{}{}
				<-released
			}})
			enqueue(t, ob, e.delivery(others[0], 3)) // on the wire, held
			<-entered
			enqueue(t, ob, e.delivery(others[1], 4))   // waiting for the only worker
			enqueue(t, ob, e.delivery(e.l.Subject, 5)) // waiting
			enqueue(t, ob, e.delivery(e.l.Subject, 6)) // supersedes 5
			next := tc.stop(t, ob, dir, func() { close(released) })

			e.clock.Advance(30) // nanoseconds: the same second
			ob2 := e.open(t, outbox.Config{Dir: next}, nil)
			flush(t, ob2)
			for user, want := range map[string]float64{others[0]: 3, others[1]: 4, e.l.Subject: 6} {
				if got, graded := e.grade(t, user); !graded || got != want {
					t.Errorf("%s: grade %v (graded %v), want %v", user, got, graded, want)
				}
			}
			var statuses []int // of others[0]'s posts
			for _, p := range e.lineItem(t, e.l.AGS.LineItem).Posts {
				if p.Score.UserID == e.l.Subject && *p.Score.ScoreGiven == 5 {
					t.Errorf("the superseded score 5 was sent: %+v", p)
				}
				if p.Score.UserID == others[0] {
					statuses = append(statuses, p.Status)
				}
			}
			if tc.name == "crash before the outcome was recorded" && !slices.Equal(statuses, []int{200, 409, 200}) {
				t.Errorf("posts of the score on the wire: %v, want 200 (old process), 409 (sent again), 200 (re-stamped)", statuses)
			}
		})
	}
}

// copyDir copies the files of dir to a new directory, as they are on disk.
func copyDir(t *testing.T, dir string) string {
	t.Helper()
	to := filepath.Join(t.TempDir(), "crash")
	if err := os.CopyFS(to, os.DirFS(dir)); err != nil {
		t.Fatal(err)
	}
	return to
}
