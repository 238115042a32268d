package pgstore_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ltikit/ltikit/pgstore"
	"github.com/ltikit/ltikit/testing/storetest"
	"github.com/ltikit/ltikit/tool"
)

// testDatabaseEnv names the connection string of the test server.
const testDatabaseEnv = "LTIKIT_TEST_POSTGRES"

// requireDatabase skips the test when no test server is set.
func requireDatabase(t *testing.T) {
	t.Helper()
	if os.Getenv(testDatabaseEnv) == "" {
		t.Skip(testDatabaseEnv + " is not set: set it to a PostgreSQL connection string, such as " +
			"postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable, to run the PostgreSQL store's tests " +
			"(bash .ci/run starts a server and sets it)")
	}
}

// newSchema creates an empty schema for one test, dropped when the test
// ends, and returns its name. It skips the test when no server is set.
func newSchema(t *testing.T) string {
	t.Helper()
	requireDatabase(t)
	admin := newPool(t, "")
	schema := "ltikit_test_" + strings.ToLower(rand.Text()[:16])
	if _, err := admin.Exec(t.Context(), `CREATE SCHEMA `+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec(context.Background(), `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return schema
}

// newPool opens a pool on the test server whose search_path is schema
// (the server's default when empty); it is closed when the test ends.
func newPool(t *testing.T, schema string) *pgxpool.Pool {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(os.Getenv(testDatabaseEnv))
	if err != nil {
		t.Fatalf("%s: %v", testDatabaseEnv, err)
	}
	if schema != "" {
		cfg.ConnConfig.RuntimeParams["search_path"] = schema
	}
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// newStore returns a store on a new, empty schema.
func newStore(t *testing.T) (*pgstore.Platforms, string) {
	t.Helper()
	schema := newSchema(t)
	s, err := pgstore.NewPlatforms(t.Context(), newPool(t, schema))
	if err != nil {
		t.Fatal(err)
	}
	return s, schema
}

func TestPlatforms_Conformance(t *testing.T) {
	requireDatabase(t)
	storetest.TestPlatforms(t, func(t *testing.T) tool.Registrations {
		s, _ := newStore(t)
		return s
	})
}

func fullPlatform() tool.Platform {
	return tool.Platform{
		Issuer: "https://moodle.example.edu", ClientID: "f1Jrwm4BKsV9HY1",
		Deployments: []string{"2"}, DeploymentPolicy: tool.TrustOnFirstUse,
		AuthURL:       "https://moodle.example.edu/mod/lti/auth.php",
		TokenURL:      "https://moodle.example.edu/mod/lti/token.php",
		TokenAudience: "https://moodle.example.edu/mod/lti/token.php#aud",
		JWKSURL:       "https://moodle.example.edu/mod/lti/certs.php",
		Algorithms:    []string{"RS256"}, AllowAnonymous: true, Pending: true,
		TrustedAudiences: []string{"https://moodle.example.edu/lti"},
	}
}

// TestNewPlatforms_SurvivesRestart reopens the store on new connections, as
// a restarted tool does: everything recorded is there, and the migration
// finds nothing to do.
func TestNewPlatforms_SurvivesRestart(t *testing.T) {
	s, schema := newStore(t)
	ctx := t.Context()
	p := fullPlatform()
	if err := s.Add(ctx, p); err != nil {
		t.Fatal(err)
	}
	if err := s.AddDeployment(ctx, p.Issuer, p.ClientID, "7"); err != nil {
		t.Fatal(err)
	}
	if err := tool.Approve(ctx, s, p.Issuer, p.ClientID); err != nil {
		t.Fatal(err)
	}
	again, err := pgstore.NewPlatforms(ctx, newPool(t, schema))
	if err != nil {
		t.Fatalf("NewPlatforms on a migrated schema: %v", err)
	}
	got, err := again.Platform(ctx, p.Issuer, p.ClientID)
	if err != nil {
		t.Fatal(err)
	}
	p.Deployments, p.Pending = []string{"2", "7"}, false
	if !reflect.DeepEqual(*got, p) {
		t.Errorf("after a restart:\n got %+v\nwant %+v", *got, p)
	}
}

// TestNewPlatforms_ConcurrentStarts starts several processes' worth of
// stores on an empty schema at once: the advisory lock lets one migrate and
// the others find the tables ready.
func TestNewPlatforms_ConcurrentStarts(t *testing.T) {
	schema := newSchema(t)
	const n = 6
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		pool := newPool(t, schema)
		wg.Go(func() { _, errs[i] = pgstore.NewPlatforms(context.Background(), pool) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("concurrent NewPlatforms: %v", err)
	}
	var version int
	if err := newPool(t, schema).QueryRow(t.Context(), `SELECT version FROM ltikit_schema WHERE component = 'platforms'`).Scan(&version); err != nil || version != 2 {
		t.Errorf("schema version = %d, %v; want 2", version, err)
	}
}

// TestNewPlatforms_MigratesVersion1 opens a database an ltikit with the
// first schema wrote: migration 2 adds trusted_audiences, empty for the
// registrations already there.
func TestNewPlatforms_MigratesVersion1(t *testing.T) {
	_, schema := newStore(t)
	pool := newPool(t, schema)
	ctx := t.Context()
	for _, q := range []string{ // back to version 1, with a registration in it
		`ALTER TABLE ltikit_platforms DROP COLUMN trusted_audiences`,
		`UPDATE ltikit_schema SET version = 1 WHERE component = 'platforms'`,
		`INSERT INTO ltikit_platforms (issuer, client_id, auth_url, jwks_url, algorithms)
			VALUES ('https://old.example.edu', 'c1', 'https://old.example.edu/auth', 'https://old.example.edu/jwks', '{RS256}')`,
		`INSERT INTO ltikit_deployments (issuer, client_id, deployment_id) VALUES ('https://old.example.edu', 'c1', '1')`,
	} {
		if _, err := pool.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	s, err := pgstore.NewPlatforms(ctx, pool)
	if err != nil {
		t.Fatalf("NewPlatforms on a version 1 schema: %v", err)
	}
	p, err := s.Platform(ctx, "https://old.example.edu", "c1")
	if err != nil || len(p.TrustedAudiences) != 0 || len(p.Deployments) != 1 {
		t.Fatalf("registration from version 1 = %+v, %v; want it with no trusted audiences", p, err)
	}
	if err := s.Update(ctx, p.Issuer, p.ClientID, func(p *tool.Platform) error {
		p.TrustedAudiences = []string{"https://old.example.edu/lti"}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if p, err = s.Platform(ctx, p.Issuer, p.ClientID); err != nil || !reflect.DeepEqual(p.TrustedAudiences, []string{"https://old.example.edu/lti"}) {
		t.Errorf("trusted audiences after Update = %+v, %v", p, err)
	}
}

func TestNewPlatforms_RefusesNewerSchema(t *testing.T) {
	_, schema := newStore(t)
	pool := newPool(t, schema)
	if _, err := pool.Exec(t.Context(), `UPDATE ltikit_schema SET version = 99 WHERE component = 'platforms'`); err != nil {
		t.Fatal(err)
	}
	if _, err := pgstore.NewPlatforms(t.Context(), pool); !errors.Is(err, pgstore.ErrSchemaTooNew) {
		t.Errorf("NewPlatforms on a schema from a newer ltikit = %v; want ErrSchemaTooNew", err)
	}
}

func TestNewPlatforms_Refusals(t *testing.T) {
	if _, err := pgstore.NewPlatforms(context.Background(), nil); err == nil {
		t.Error("NewPlatforms accepted a nil pool")
	}
	schema := newSchema(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := pgstore.NewPlatforms(ctx, newPool(t, schema)); !errors.Is(err, context.Canceled) {
		t.Errorf("NewPlatforms with a cancelled context = %v; want context.Canceled", err)
	}
}

// TestPlatforms_TwoProcesses changes one registration from two pools, as
// two processes of a tool (or the tool and `ltikit registrations`) do.
func TestPlatforms_TwoProcesses(t *testing.T) {
	a, schema := newStore(t)
	b, err := pgstore.NewPlatforms(t.Context(), newPool(t, schema))
	if err != nil {
		t.Fatal(err)
	}
	p := fullPlatform()
	if err := a.Add(t.Context(), p); err != nil {
		t.Fatal(err)
	}
	const n = 20
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			s := []*pgstore.Platforms{a, b}[i%2]
			var err error
			if i%4 < 2 {
				err = s.AddDeployment(context.Background(), p.Issuer, p.ClientID, fmt.Sprint("tofu-", i))
			} else {
				err = s.Update(context.Background(), p.Issuer, p.ClientID, func(q *tool.Platform) error {
					q.Deployments = append(q.Deployments, fmt.Sprint("admin-", i))
					return nil
				})
			}
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	got, err := b.Platform(t.Context(), p.Issuer, p.ClientID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Deployments) != n+1 {
		t.Errorf("after %d concurrent changes from two pools: %d deployments %v, want %d", n, len(got.Deployments), got.Deployments, n+1)
	}
}
