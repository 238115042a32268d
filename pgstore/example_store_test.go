package pgstore_test

import (
	"context"
	"encoding/hex"
	"log"
	"os"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ltikit/ltikit/jwks"
	"github.com/ltikit/ltikit/pgstore"
	"github.com/ltikit/ltikit/tool"
)

// A tool whose launches survive a restart and are shared by every process
// behind a load balancer: the launches live in PostgreSQL, and the session
// cookies that name them are keyed with the same secret everywhere.
func ExampleNewStore() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()
	store, err := pgstore.NewStore(ctx, pool)
	if err != nil {
		log.Fatal(err)
	}
	regs, err := pgstore.NewPlatforms(ctx, pool)
	if err != nil {
		log.Fatal(err)
	}
	keys, err := jwks.LoadKeyDir("keys")
	if err != nil {
		log.Fatal(err)
	}
	sessionKey, err := hex.DecodeString(os.Getenv("LTIKIT_SESSION_KEY")) // secret: openssl rand -hex 32
	if err != nil {
		log.Fatal(err)
	}
	t, err := tool.New(tool.Config{Platforms: regs, Keys: keys, BaseURL: "https://tool.example",
		Store: store, SessionKeys: [][]byte{sessionKey}})
	if err != nil {
		log.Fatal(err)
	}
	defer t.Close() // before pool.Close
}
