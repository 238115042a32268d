// Package pgstore keeps an LTI tool's registrations in PostgreSQL, through
// github.com/jackc/pgx/v5, for tools that run several processes or already
// keep their data there.
//
// [NewPlatforms] creates the tables on first use and migrates them when a
// newer ltikit needs it, under an advisory lock so that several processes
// may start at once. The returned [*Platforms] is a [tool.Registrations]:
// give it to tool.Config.Platforms and to the dynamic-registration handler.
//
//	pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL"))
//	if err != nil { … }
//	defer pool.Close()
//	regs, err := pgstore.NewPlatforms(ctx, pool)
//	if err != nil { … }
//	t, err := tool.New(tool.Config{Platforms: regs, Keys: keys, BaseURL: "https://tool.example"})
//
// # Tables
//
// The tables live in the first schema of the connection's search_path:
//
//   - ltikit_platforms: one row per registration, keyed by (issuer,
//     client_id), one column per field of [tool.Platform];
//   - ltikit_deployments: the deployment ids of each registration, in the
//     order they were recorded (trust-on-first-use inserts here), removed
//     with their registration;
//   - ltikit_schema: the schema version, per ltikit component.
//
// Administrators may read them with SQL; change them through
// [tool.Registrations] (or `ltikit registrations`), which validates every
// registration it stores.
package pgstore
