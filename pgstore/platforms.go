package pgstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ltikit/ltikit/tool"
)

// Platforms is a [tool.Registrations] store kept in PostgreSQL. It is safe
// for concurrent use, also by several processes sharing the database:
// Update locks the registration's row, and deployments are rows of their
// own, inserted atomically. Create it once with [NewPlatforms].
type Platforms struct {
	db *pgxpool.Pool
}

// NewPlatforms returns the registrations kept in db, after creating or
// migrating their tables (see the package documentation). It returns
// ErrSchemaTooNew if a newer ltikit migrated the database. The caller
// keeps ownership of db and closes it after the last use of the store.
func NewPlatforms(ctx context.Context, db *pgxpool.Pool) (*Platforms, error) {
	if db == nil {
		return nil, errors.New("pgstore: NewPlatforms: nil pool")
	}
	if err := migrate(ctx, db, platformsComponent, platformsMigrations); err != nil {
		return nil, err
	}
	return &Platforms{db: db}, nil
}

// selectPlatform reads registrations with their deployments in the order
// they were recorded; callers add WHERE and ORDER BY.
const selectPlatform = `SELECT p.issuer, p.client_id, p.deployment_policy, p.auth_url, p.token_url,
	p.token_audience, p.jwks_url, p.public_key, p.algorithms, p.trusted_audiences, p.allow_anonymous, p.disabled,
	p.pending, coalesce((SELECT array_agg(d.deployment_id ORDER BY d.seq) FROM ltikit_deployments d
		WHERE d.issuer = p.issuer AND d.client_id = p.client_id), '{}')
	FROM ltikit_platforms p `

// scanPlatform reads one row of selectPlatform.
func scanPlatform(row pgx.Row) (tool.Platform, error) {
	var p tool.Platform
	var policy string
	err := row.Scan(&p.Issuer, &p.ClientID, &policy, &p.AuthURL, &p.TokenURL, &p.TokenAudience,
		&p.JWKSURL, &p.PublicKey, &p.Algorithms, &p.TrustedAudiences, &p.AllowAnonymous, &p.Disabled, &p.Pending, &p.Deployments)
	p.DeploymentPolicy = tool.DeploymentPolicy(policy)
	return p, err
}

// collectPlatform is scanPlatform for pgx.CollectRows.
func collectPlatform(row pgx.CollectableRow) (tool.Platform, error) { return scanPlatform(row) }

// Platform implements [tool.PlatformStore].
func (s *Platforms) Platform(ctx context.Context, issuer, clientID string) (*tool.Platform, error) {
	rows, err := s.db.Query(ctx, selectPlatform+`WHERE p.issuer = $1 AND ($2 = '' OR p.client_id = $2) LIMIT 2`, issuer, clientID)
	if err != nil {
		return nil, dbError(err)
	}
	ps, err := pgx.CollectRows(rows, collectPlatform)
	switch {
	case err != nil:
		return nil, dbError(err)
	case len(ps) == 0:
		return nil, tool.ErrPlatformNotFound
	case len(ps) > 1:
		return nil, tool.ErrPlatformAmbiguous
	}
	return &ps[0], nil
}

// List implements [tool.Registrations].
func (s *Platforms) List(ctx context.Context) ([]tool.Platform, error) {
	rows, err := s.db.Query(ctx, selectPlatform+`ORDER BY p.issuer COLLATE "C", p.client_id COLLATE "C"`)
	if err != nil {
		return nil, dbError(err)
	}
	ps, err := pgx.CollectRows(rows, collectPlatform)
	if err != nil {
		return nil, dbError(err)
	}
	return ps, nil
}

// AddDeployment implements [tool.PlatformStore]: one insert, which the
// foreign key ties to an existing registration.
func (s *Platforms) AddDeployment(ctx context.Context, issuer, clientID, deploymentID string) error {
	if deploymentID == "" {
		return errors.New("pgstore: empty deployment id")
	}
	_, err := s.db.Exec(ctx, `INSERT INTO ltikit_deployments (issuer, client_id, deployment_id)
		VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, issuer, clientID, deploymentID)
	return mapError(err, issuer, clientID)
}

// Add implements [tool.Registrations].
func (s *Platforms) Add(ctx context.Context, p tool.Platform) error {
	if err := p.Validate(); err != nil {
		return err
	}
	return s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO ltikit_platforms (issuer, client_id, deployment_policy, auth_url,
			token_url, token_audience, jwks_url, public_key, algorithms, trusted_audiences, allow_anonymous, disabled, pending)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT DO NOTHING`,
			p.Issuer, p.ClientID, string(p.DeploymentPolicy), p.AuthURL, p.TokenURL, p.TokenAudience,
			p.JWKSURL, p.PublicKey, nonNil(p.Algorithms), nonNil(p.TrustedAudiences), p.AllowAnonymous, p.Disabled, p.Pending)
		if err != nil {
			return dbError(err)
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("%w: issuer %s, client_id %s", tool.ErrPlatformExists, p.Issuer, p.ClientID)
		}
		return insertDeployments(ctx, tx, p)
	})
}

// Update implements [tool.Registrations]. It locks the registration's row
// for the transaction, which also holds back AddDeployment on it, so fn
// sees and replaces the latest deployments.
func (s *Platforms) Update(ctx context.Context, issuer, clientID string, fn func(*tool.Platform) error) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		// Lock first, then read in a new statement, which sees every
		// deployment committed before the lock was granted.
		tag, err := tx.Exec(ctx, `SELECT FROM ltikit_platforms WHERE issuer = $1 AND client_id = $2 FOR UPDATE`, issuer, clientID)
		if err != nil {
			return dbError(err)
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("%w: issuer %s, client_id %s", tool.ErrPlatformNotFound, issuer, clientID)
		}
		p, err := scanPlatform(tx.QueryRow(ctx, selectPlatform+`WHERE p.issuer = $1 AND p.client_id = $2`, issuer, clientID))
		if err != nil {
			return dbError(err)
		}
		if err := fn(&p); err != nil {
			return err
		}
		if p.Issuer != issuer || p.ClientID != clientID {
			return errors.New("pgstore: Update cannot change issuer or client_id; Add a new registration and Remove the old one")
		}
		if err := p.Validate(); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE ltikit_platforms SET deployment_policy = $3, auth_url = $4, token_url = $5,
			token_audience = $6, jwks_url = $7, public_key = $8, algorithms = $9, trusted_audiences = $10,
			allow_anonymous = $11, disabled = $12, pending = $13, updated_at = now() WHERE issuer = $1 AND client_id = $2`,
			issuer, clientID, string(p.DeploymentPolicy), p.AuthURL, p.TokenURL, p.TokenAudience,
			p.JWKSURL, p.PublicKey, nonNil(p.Algorithms), nonNil(p.TrustedAudiences), p.AllowAnonymous, p.Disabled, p.Pending); err != nil {
			return dbError(err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM ltikit_deployments WHERE issuer = $1 AND client_id = $2`, issuer, clientID); err != nil {
			return dbError(err)
		}
		return insertDeployments(ctx, tx, p)
	})
}

// Remove implements [tool.Registrations]; the deployments go with the
// registration (ON DELETE CASCADE).
func (s *Platforms) Remove(ctx context.Context, issuer, clientID string) error {
	tag, err := s.db.Exec(ctx, `DELETE FROM ltikit_platforms WHERE issuer = $1 AND client_id = $2`, issuer, clientID)
	if err != nil {
		return dbError(err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%w: issuer %s, client_id %s", tool.ErrPlatformNotFound, issuer, clientID)
	}
	return nil
}

// inTx runs fn in a transaction, committed if fn returns nil. fn's error
// is returned unchanged.
func (s *Platforms) inTx(ctx context.Context, fn func(pgx.Tx) error) error {
	tx, err := s.db.Begin(ctx)
	if err != nil {
		return dbError(err)
	}
	defer tx.Rollback(ctx) // no-op after Commit
	if err := fn(tx); err != nil {
		return err
	}
	return dbError(tx.Commit(ctx))
}

// insertDeployments inserts p's deployments in order.
func insertDeployments(ctx context.Context, tx pgx.Tx, p tool.Platform) error {
	for _, d := range p.Deployments {
		if _, err := tx.Exec(ctx, `INSERT INTO ltikit_deployments (issuer, client_id, deployment_id)
			VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, p.Issuer, p.ClientID, d); err != nil {
			return dbError(err)
		}
	}
	return nil
}

// mapError turns a foreign-key violation on (issuer, client_id) into
// tool.ErrPlatformNotFound.
func mapError(err error, issuer, clientID string) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23503" { // foreign_key_violation
		return fmt.Errorf("%w: issuer %s, client_id %s", tool.ErrPlatformNotFound, issuer, clientID)
	}
	return dbError(err)
}

// dbError prefixes an error of the database with the package name.
func dbError(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("pgstore: %w", err)
}

// nonNil returns s, or an empty slice for a NOT NULL array column.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
