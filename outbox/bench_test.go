package outbox_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/ltikit/ltikit/outbox"
	"github.com/ltikit/ltikit/tool"
)

// BenchmarkOutbox sends 10 000 scores (100 learners × 100 line items)
// through the outbox to the fake platform, over loopback HTTP, per
// iteration: accepted from 16 goroutines, as when a class finishes at
// once, then delivered by the default 4 workers. Each iteration starts a
// new Tool (an empty token cache), a new store and a new outbox, so
// token-requests/op is what 10 000 scores cost from a cold start.
//
//	go test ./outbox -run '^$' -bench Outbox -benchtime 3x -count 3
func BenchmarkOutbox(b *testing.B) {
	const learners, items = 100, 100
	for _, store := range []string{"memory", "file"} {
		b.Run(store, func(b *testing.B) {
			e := newEnv(b)
			users := e.learners(learners)
			grades, err := e.tool.Grades(e.l)
			if err != nil {
				b.Fatal(err)
			}
			lineItems := make([]string, items)
			for i := range lineItems {
				li, err := grades.CreateLineItem(context.Background(), tool.LineItem{Label: fmt.Sprint("Quiz ", i), ScoreMaximum: 10})
				if err != nil {
					b.Fatal(err)
				}
				lineItems[i] = li.ID
			}
			deliveries := make([]outbox.Delivery, 0, learners*items)
			for _, li := range lineItems {
				for _, u := range users {
					d := e.delivery(u, 0)
					d.Endpoint.LineItem = li
					deliveries = append(deliveries, d)
				}
			}
			tokensBefore := len(e.p.TokenRequests())
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				b.StopTimer()
				e.clock.Advance(time.Minute) // this round's scores are newer than the last round's
				tl, err := tool.New(e.tool.Config())
				if err != nil {
					b.Fatal(err)
				}
				var st outbox.Store = outbox.NewMemoryStore()
				if store == "file" {
					fs, err := outbox.OpenFileStore(filepath.Join(b.TempDir(), "outbox"))
					if err != nil {
						b.Fatal(err)
					}
					st = fs
					defer fs.Close()
				}
				ob, err := outbox.New(outbox.Config{Tool: tl, Store: st, Now: e.clock.Now, After: e.clock.After})
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()

				var wg sync.WaitGroup
				for g := range 16 {
					wg.Go(func() {
						for j := g; j < len(deliveries); j += 16 {
							d := deliveries[j]
							d.Score.ScoreGiven = float64((i + j) % 11)
							if err := ob.Enqueue(context.Background(), d); err != nil {
								b.Error(err)
								return
							}
						}
					})
				}
				wg.Wait()
				if err := ob.Flush(context.Background()); err != nil {
					b.Fatal(err)
				}

				b.StopTimer()
				ob.Close(context.Background())
				tl.Close()
				b.StartTimer()
			}
			b.StopTimer()
			b.ReportMetric(float64(len(deliveries)*b.N)/b.Elapsed().Seconds(), "scores/s")
			b.ReportMetric(float64(len(e.p.TokenRequests())-tokensBefore)/float64(b.N), "token-requests/op")
			// Every score of the last round is in the gradebook.
			gb := map[string]map[string]float64{}
			for _, li := range e.p.Gradebook().LineItems {
				gb[li.ID] = map[string]float64{}
				for u, s := range li.Scores {
					gb[li.ID][u], _ = s.Grade()
				}
			}
			for j, d := range deliveries {
				if got, want := gb[d.Endpoint.LineItem][d.Score.UserID], float64((b.N-1+j)%11); got != want {
					b.Fatalf("%s on %s: grade %v, want %v", d.Score.UserID, d.Endpoint.LineItem, got, want)
				}
			}
		})
	}
}
