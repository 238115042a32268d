package pgstore_test

import (
	"context"
	"log"
	"os"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ltikit/ltikit/jwks"
	"github.com/ltikit/ltikit/outbox"
	"github.com/ltikit/ltikit/pgstore"
	"github.com/ltikit/ltikit/tool"
)

// A tool that runs several processes keeps its grade outbox in
// PostgreSQL: every process accepts scores into the same table, and any of
// them delivers each score, once; what a process leaves behind when it
// stops or crashes, another one delivers.
func ExampleNewOutbox() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close() // after the outbox is closed
	regs, err := pgstore.NewPlatforms(ctx, pool)
	if err != nil {
		log.Fatal(err)
	}
	keys, err := jwks.LoadKeyDir("keys")
	if err != nil {
		log.Fatal(err)
	}
	t, err := tool.New(tool.Config{Platforms: regs, Keys: keys, BaseURL: "https://tool.example"})
	if err != nil {
		log.Fatal(err)
	}
	defer t.Close()

	scores, err := pgstore.NewOutbox(ctx, pool)
	if err != nil {
		log.Fatal(err)
	}
	grades, err := outbox.New(outbox.Config{Tool: t, Store: scores})
	if err != nil {
		log.Fatal(err)
	}
	defer grades.Close(ctx) // what is not delivered stays in ltikit_outbox

	// In a launch handler, as with any store:
	//	err := grades.Post(r.Context(), l, tool.Grade{ScoreGiven: 8, ScoreMaximum: 10})
}
