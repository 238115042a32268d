package pgstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ErrSchemaTooNew is returned by NewPlatforms, NewOutbox and NewStore when
// a newer ltikit than this one migrated the store's tables: upgrade the
// program instead of letting an old one write to a schema it does not know.
var ErrSchemaTooNew = errors.New("pgstore: the database schema is newer than this ltikit")

// migrationLock is the key of the advisory lock that serializes
// migrations ("ltikit" in ASCII).
const migrationLock int64 = 0x6c74696b6974

// platformsComponent names the registration tables in ltikit_schema.
const platformsComponent = "platforms"

// platformsMigrations are the schema versions of the registration tables:
// migration i takes the schema from version i to version i+1. Append; never
// edit a released migration.
var platformsMigrations = []string{
	// 1: registrations and their deployments.
	`CREATE TABLE ltikit_platforms (
		issuer            text        NOT NULL,
		client_id         text        NOT NULL,
		deployment_policy text        NOT NULL DEFAULT '',
		auth_url          text        NOT NULL,
		token_url         text        NOT NULL DEFAULT '',
		token_audience    text        NOT NULL DEFAULT '',
		jwks_url          text        NOT NULL DEFAULT '',
		public_key        text        NOT NULL DEFAULT '',
		algorithms        text[]      NOT NULL DEFAULT '{}',
		allow_anonymous   boolean     NOT NULL DEFAULT false,
		disabled          boolean     NOT NULL DEFAULT false,
		pending           boolean     NOT NULL DEFAULT false,
		created_at        timestamptz NOT NULL DEFAULT now(),
		updated_at        timestamptz NOT NULL DEFAULT now(),
		PRIMARY KEY (issuer, client_id)
	);
	CREATE TABLE ltikit_deployments (
		issuer        text        NOT NULL,
		client_id     text        NOT NULL,
		deployment_id text        NOT NULL,
		seq           bigint      GENERATED ALWAYS AS IDENTITY,
		created_at    timestamptz NOT NULL DEFAULT now(),
		PRIMARY KEY (issuer, client_id, deployment_id),
		FOREIGN KEY (issuer, client_id) REFERENCES ltikit_platforms (issuer, client_id) ON DELETE CASCADE
	);`,
	// 2: the audiences besides client_id a registration's id_tokens may name.
	`ALTER TABLE ltikit_platforms ADD COLUMN trusted_audiences text[] NOT NULL DEFAULT '{}';`,
}

// outboxComponent names the score outbox's table in ltikit_schema.
const outboxComponent = "outbox"

// outboxMigrations are the schema versions of the score outbox's table,
// as platformsMigrations are for the registrations.
var outboxMigrations = []string{
	// 1: one row per line item and learner: the record's JSON, and the
	// fields Claim (state, next_attempt, lease, lease_until) and Purge
	// (state, stamp: the score's timestamp) select on.
	`CREATE TABLE ltikit_outbox (
		key          text        PRIMARY KEY,
		state        text        NOT NULL,
		next_attempt timestamptz NOT NULL,
		lease        text        NOT NULL DEFAULT '',
		lease_until  timestamptz,
		stamp        timestamptz NOT NULL,
		record       jsonb       NOT NULL,
		created_at   timestamptz NOT NULL DEFAULT now(),
		updated_at   timestamptz NOT NULL DEFAULT now()
	);
	CREATE INDEX ltikit_outbox_due ON ltikit_outbox (next_attempt, key) WHERE state = 'pending';
	CREATE INDEX ltikit_outbox_done ON ltikit_outbox (stamp) WHERE state <> 'pending';`,
}

// storeComponent names the tool state's table in ltikit_schema.
const storeComponent = "store"

// storeMigrations are the schema versions of the tool state's table, as
// platformsMigrations are for the registrations.
var storeMigrations = []string{
	// 1: one row per key of the tool's tool.Store (pending logins, used
	// nonces, launches), until expires_at. Keys are bytea: the tool's
	// nonce keys hold a NUL, which text cannot.
	`CREATE TABLE ltikit_store (
		key        bytea       PRIMARY KEY,
		value      bytea       NOT NULL,
		expires_at timestamptz NOT NULL
	);
	CREATE INDEX ltikit_store_expires ON ltikit_store (expires_at);`,
}

// migrate brings the tables of component to the last version of
// migrations, in one transaction under the advisory lock: concurrent
// callers wait for the first and then find nothing to do.
func migrate(ctx context.Context, db *pgxpool.Pool, component string, migrations []string) error {
	tx, err := db.Begin(ctx)
	if err != nil {
		return fmt.Errorf("pgstore: migrate: %w", err)
	}
	defer tx.Rollback(ctx) // no-op after Commit
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrationLock); err != nil {
		return fmt.Errorf("pgstore: migrate: lock: %w", err)
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS ltikit_schema (
		component   text        PRIMARY KEY,
		version     integer     NOT NULL,
		migrated_at timestamptz NOT NULL DEFAULT now()
	)`); err != nil {
		return fmt.Errorf("pgstore: migrate: %w", err)
	}
	var version int
	err = tx.QueryRow(ctx, `SELECT version FROM ltikit_schema WHERE component = $1`, component).Scan(&version)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("pgstore: migrate: %w", err)
	}
	if version > len(migrations) {
		return fmt.Errorf("%w: %s tables at version %d, this ltikit knows %d", ErrSchemaTooNew, component, version, len(migrations))
	}
	if version == len(migrations) {
		return nil
	}
	for v := version; v < len(migrations); v++ {
		if _, err := tx.Exec(ctx, migrations[v]); err != nil {
			return fmt.Errorf("pgstore: migrate %s to version %d: %w", component, v+1, err)
		}
	}
	if _, err := tx.Exec(ctx, `INSERT INTO ltikit_schema (component, version) VALUES ($1, $2)
		ON CONFLICT (component) DO UPDATE SET version = excluded.version, migrated_at = now()`,
		component, len(migrations)); err != nil {
		return fmt.Errorf("pgstore: migrate: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("pgstore: migrate: %w", err)
	}
	return nil
}
