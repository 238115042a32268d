package pgstore_test

import (
	"context"
	"log"
	"os"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ltikit/ltikit/jwks"
	"github.com/ltikit/ltikit/pgstore"
	"github.com/ltikit/ltikit/tool"
)

// A tool whose registrations live in PostgreSQL: the tables are created on
// the first start, and trust-on-first-use deployments, dynamic
// registrations and admin changes all land there.
func ExampleNewPlatforms() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()
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

	// An administrator's view, as `ltikit registrations list` prints it.
	ps, err := regs.List(ctx)
	if err != nil {
		log.Fatal(err)
	}
	for _, p := range ps {
		log.Printf("%s %s active=%v deployments=%v", p.Issuer, p.ClientID, p.Active(), p.Deployments)
	}
}
