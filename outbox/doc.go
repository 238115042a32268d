// Package outbox delivers learners' scores to the platforms' gradebooks
// (LTI Assignment and Grade Services) so that none is lost: not when the
// LMS is slow, briefly down, rate-limiting or picky, not when the tool
// restarts, not after the learner's session has ended.
//
// A score handed to [Outbox.Post] (from a launch) or [Outbox.Enqueue] (from
// anywhere) is stored before the call returns, then sent in the background:
//
//   - Network errors, timeouts, 429 (honouring Retry-After), 5xx and a token
//     endpoint that is down are retried with exponential backoff and
//     jitter, for up to Config.RetryFor. A 401 is retried once with a fresh
//     token by the tool's service client.
//   - Timestamps are strictly increasing per line item and learner at
//     one-second precision, so Moodle, which compares whole seconds, never
//     answers 409 to two scores in the same second. A 409 anyway (another
//     writer, a score redelivered after a crash) is answered by re-stamping
//     and sending once more.
//   - A newer score for the same line item and learner supersedes one not
//     sent yet: the gradebook ends with the last score the tool accepted.
//   - Permanent refusals (400, 403, 404, 401 with a fresh token, a second
//     409) go to Config.OnFailure and to the log, with the platform's
//     reason.
//   - Config.Workers bounds the requests in flight; [Outbox.Close] stops the
//     workers and leaves what is not delivered in the store.
//
// The scores live in a [Store]: [FileStore] (an fsync'd append-only log in
// a directory, for one process), [MemoryStore] (tests), or a store shared
// by several processes, which leases each score to one of them at a time.
//
// A minimal tool that grades through the outbox:
//
//	package main
//
//	import (
//		"context"
//		"log"
//		"net/http"
//		"os"
//		"os/signal"
//
//		"github.com/ltikit/ltikit/jwks"
//		"github.com/ltikit/ltikit/middleware"
//		"github.com/ltikit/ltikit/outbox"
//		"github.com/ltikit/ltikit/tool"
//	)
//
//	func main() {
//		regs, err := tool.OpenPlatforms(os.Getenv(tool.PlatformsEnv))
//		if err != nil {
//			log.Fatal(err)
//		}
//		keys, err := jwks.LoadKeyDir("keys")
//		if err != nil {
//			log.Fatal(err)
//		}
//		t, err := tool.New(tool.Config{Platforms: regs, Keys: keys, BaseURL: "https://tool.example"})
//		if err != nil {
//			log.Fatal(err)
//		}
//		grades, err := outbox.New(outbox.Config{Tool: t, Dir: "data/outbox"})
//		if err != nil {
//			log.Fatal(err)
//		}
//
//		mux := http.NewServeMux()
//		mux.Handle("/lti/login", t.LoginHandler())
//		mux.Handle("/.well-known/jwks.json", t.JWKSHandler())
//		mux.Handle("/lti/launch", middleware.Launch(t)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
//			l, _ := tool.LaunchFrom(r.Context())
//			// ... the learner finishes the activity ...
//			if err := grades.Post(r.Context(), l, tool.Grade{ScoreGiven: 8, ScoreMaximum: 10}); err != nil {
//				http.Error(w, "your grade could not be saved", http.StatusInternalServerError)
//				return
//			}
//			w.Write([]byte("Done: your grade is on its way to the gradebook."))
//		})))
//		srv := &http.Server{Addr: ":8080", Handler: mux}
//		go srv.ListenAndServe()
//
//		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
//		defer stop()
//		<-ctx.Done()
//		srv.Shutdown(context.Background())
//		grades.Close(context.Background()) // what is not delivered stays in data/outbox
//	}
package outbox
