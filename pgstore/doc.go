// Package pgstore keeps an LTI tool's registrations, its launches and its
// grade outbox in PostgreSQL, through github.com/jackc/pgx/v5, for tools
// that restart without losing their users' launches, run several
// processes, or already keep their data there.
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
// [NewStore] does the same for the tool's short-lived state: pending
// logins, used nonces and verified launches. By default a tool keeps them
// in its process's memory ([tool.MemoryStore]), so a restart loses every
// open launch (the learner's next request is refused with no_session) and
// a second process behind a load balancer knows none of the first's. The
// returned [*Store] is a [tool.Store] that survives restarts and that any
// number of processes share; give it to tool.Config.Store with fixed
// SessionKeys, the same in every process, so that the browsers' session
// cookies stay valid too:
//
//	store, err := pgstore.NewStore(ctx, pool)
//	if err != nil { … }
//	t, err := tool.New(tool.Config{Platforms: regs, Keys: keys, BaseURL: "https://tool.example",
//		Store: store, SessionKeys: [][]byte{sessionKey}}) // sessionKey: 32 secret bytes, from the environment
//
// [NewOutbox] does the same for the scores of the grade outbox: the
// returned [*Outbox] is an [outbox.Store] that any number of processes
// share, each score delivered by one of them at a time (a lease), and by
// another when that one stops or crashes before it is done.
//
//	scores, err := pgstore.NewOutbox(ctx, pool)
//	if err != nil { … }
//	grades, err := outbox.New(outbox.Config{Tool: t, Store: scores})
//	if err != nil { … }
//	defer grades.Close(ctx) // before pool.Close
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
//   - ltikit_outbox: one row per line item and learner, keyed by the
//     outbox's key: the latest score and how its delivery stands, as the
//     JSON of [outbox.Record] (jsonb), with the columns the outbox selects
//     on beside it (state, next_attempt, lease, lease_until, and stamp, the
//     score's timestamp); the outbox purges delivered and failed rows an
//     hour or two after their stamp;
//   - ltikit_store: one row per key of the [tool.Store] (such as
//     "login:…", "nonce:…", "launch:…"; bytea, as the nonce keys hold a NUL): the
//     value (bytea; a launch's is its JSON) and expires_at, by the
//     database's clock; expired rows are invisible at once, and deleted a
//     batch at a time by later Adds;
//   - ltikit_schema: the schema version, per ltikit component.
//
// Administrators may read them with SQL; change them through
// [tool.Registrations] (or `ltikit registrations`), which validates every
// registration it stores, through the outbox, and through the tool.
// Deleting ltikit_store's rows ends the open launches.
package pgstore
