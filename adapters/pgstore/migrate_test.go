package pgstore_test

import (
	"context"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/switchboard-go/switchboard/adapters/pgstore"
)

// Several processes starting at once over a new schema migrate it once
// between them; starting again changes nothing.
func TestMigrateConcurrently(t *testing.T) {
	ctx := context.Background()
	schema := newSchema(t)
	const processes = 6
	var wg sync.WaitGroup
	for range processes {
		pool := newPool(t)
		wg.Go(func() {
			if _, err := pgstore.Open(ctx, pool, &pgstore.Options{Schema: schema}); err != nil {
				t.Errorf("Open: %v", err)
			}
		})
	}
	wg.Wait()
	pool := newPool(t)
	applied := func() []string {
		rows, err := pool.Query(ctx, "SELECT name FROM "+pgx.Identifier{schema, "schema_migrations"}.Sanitize()+" ORDER BY version")
		must(t, err)
		names, err := pgx.CollectRows(rows, pgx.RowTo[string])
		must(t, err)
		return names
	}
	first := applied()
	if len(first) < 4 || first[0] != "0001_store.sql" {
		t.Fatalf("migrations applied: %v, want each of 0001_store.sql… once", first)
	}
	must(t, pgstore.Migrate(ctx, pool, schema))
	if again := applied(); len(again) != len(first) {
		t.Errorf("a second Migrate applied %v, want nothing more than %v", again, first)
	}
}
