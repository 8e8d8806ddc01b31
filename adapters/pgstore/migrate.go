package pgstore

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// migrations are the schema's versions, applied in file-name order: each
// file is NNNN_name.sql and runs once, in one transaction.
//
//go:embed migrations/*.sql
var migrations embed.FS

// Migrate brings schema up to the newest version this package knows,
// creating it if missing. It is idempotent and safe to run from several
// processes at once: one transaction holds a transaction-scoped advisory
// lock keyed by the schema's name while it reads which versions are applied
// and applies the rest, so the others wait and then find nothing to do. A
// failed migration rolls back whole and is reported.
func Migrate(ctx context.Context, pool *pgxpool.Pool, schema string) error {
	files, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	slices.Sort(files)
	tx, err := pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("pgstore: migrate: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	ident := pgx.Identifier{schema}.Sanitize()
	steps := []string{
		"SELECT pg_advisory_xact_lock(hashtextextended('switchboard/pgstore migrate ' || $1, 0))",
		"CREATE SCHEMA IF NOT EXISTS " + ident,
		"SET LOCAL search_path TO " + ident,
		"CREATE TABLE IF NOT EXISTS schema_migrations (version int PRIMARY KEY, name text NOT NULL, " +
			"applied_at timestamptz NOT NULL DEFAULT now())",
	}
	for i, sql := range steps {
		var args []any
		if i == 0 {
			args = []any{schema}
		}
		if _, err := tx.Exec(ctx, sql, args...); err != nil {
			return fmt.Errorf("pgstore: migrate %s: %w", schema, err)
		}
	}
	rows, err := tx.Query(ctx, "SELECT version FROM schema_migrations")
	if err != nil {
		return fmt.Errorf("pgstore: migrate %s: %w", schema, err)
	}
	applied, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		return fmt.Errorf("pgstore: migrate %s: %w", schema, err)
	}
	for _, f := range files {
		name := strings.TrimPrefix(f, "migrations/")
		num, _, _ := strings.Cut(name, "_")
		version, err := strconv.Atoi(num)
		if err != nil {
			return fmt.Errorf("pgstore: migration %s: name must start with its version number", name)
		}
		if slices.Contains(applied, int32(version)) {
			continue
		}
		sql, err := migrations.ReadFile(f)
		if err != nil {
			return err
		}
		// Without arguments, Exec uses the simple protocol, which runs the
		// file's several statements.
		if _, err := tx.Exec(ctx, string(sql)); err != nil {
			return fmt.Errorf("pgstore: migrate %s: %s: %w", schema, name, err)
		}
		if _, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", version, name); err != nil {
			return fmt.Errorf("pgstore: migrate %s: %w", schema, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("pgstore: migrate %s: %w", schema, err)
	}
	return nil
}
