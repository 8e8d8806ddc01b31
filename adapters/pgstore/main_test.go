package pgstore_test

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/switchboard-go/switchboard/adapters/pgstore"
)

// The tests run against the PostgreSQL server named by SWITCHBOARD_PG_DSN,
// each in a schema of its own that it drops at the end. testdb.sh starts a
// throwaway server and sets the variable:
//
//	bash testdb.sh go test -race ./...
//
// Without it the tests skip, except under CI=true, where they fail.

const dsnVar = "SWITCHBOARD_PG_DSN"

var (
	dsn     = os.Getenv(dsnVar)
	schemas atomic.Int64
)

func TestMain(m *testing.M) {
	if os.Getenv(crashChildVar) != "" {
		crashChild() // never returns: the parent kills it
	}
	os.Exit(m.Run())
}

// needDB returns the DSN, or skips (fails under CI) when there is none.
func needDB(t testing.TB) string {
	t.Helper()
	if dsn == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set: under CI the PostgreSQL tests must run (bash adapters/pgstore/testdb.sh go test ./...)", dsnVar)
		}
		t.Skipf("%s is not set; run: bash testdb.sh go test ./...", dsnVar)
	}
	return dsn
}

// newPool returns a pool of its own for the test, closed at its end.
func newPool(t testing.TB) *pgxpool.Pool { return newNamedPool(t, "pgstore test") }

// newNamedPool returns a pool whose connections carry name as their
// application_name: a test "process" that can be told apart in
// pg_stat_activity.
func newNamedPool(t testing.TB, name string) *pgxpool.Pool {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(needDB(t))
	if err != nil {
		t.Fatal(err)
	}
	cfg.ConnConfig.RuntimeParams["application_name"] = name
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// newSchema returns the name of a schema no other test uses, dropped when
// the test ends.
func newSchema(t testing.TB) string {
	t.Helper()
	name := fmt.Sprintf("test_%d_%d", os.Getpid(), schemas.Add(1))
	t.Cleanup(func() {
		conn, err := pgx.Connect(context.Background(), dsn)
		if err != nil {
			t.Errorf("drop schema %s: %v", name, err)
			return
		}
		defer conn.Close(context.Background())
		if _, err := conn.Exec(context.Background(), "DROP SCHEMA IF EXISTS "+pgx.Identifier{name}.Sanitize()+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", name, err)
		}
	})
	return name
}

// openStore opens a Store over a fresh schema.
func openStore(t testing.TB) *pgstore.Store {
	t.Helper()
	pool := newPool(t)
	s, err := pgstore.Open(context.Background(), pool, &pgstore.Options{Schema: newSchema(t)})
	if err != nil {
		t.Fatal(err)
	}
	return s
}
