// Command quickstart tells the core's quickstart story (two queues, a
// routing profile, three agents, five tasks, and who got what, in order)
// with the router's state in PostgreSQL when SWITCHBOARD_PG_DSN names a
// server, in memory otherwise; it prints the same story either way.
//
//	SWITCHBOARD_PG_DSN=postgres://... go run ./examples/quickstart
//	bash testdb.sh go run ./examples/quickstart   # a throwaway server
//
// It uses the schema named by -schema (default switchboard_quickstart),
// which it drops and creates again first: the story starts from an empty
// contact center.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/switchboard-go/switchboard"
	"github.com/switchboard-go/switchboard/adapters/pgstore"
	"github.com/switchboard-go/switchboard/examples/quickstart/story"
)

func main() {
	schema := flag.String("schema", "switchboard_quickstart", "PostgreSQL schema for the run, dropped and created again first")
	flag.Parse()
	ctx := context.Background()
	var store switchboard.Store // nil: in memory
	if dsn := os.Getenv("SWITCHBOARD_PG_DSN"); dsn != "" {
		pool, err := pgxpool.New(ctx, dsn)
		if err != nil {
			log.Fatal(err)
		}
		defer pool.Close()
		if _, err := pool.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{*schema}.Sanitize()+" CASCADE"); err != nil {
			log.Fatalf("quickstart: drop schema %s: %v", *schema, err)
		}
		s, err := pgstore.Open(ctx, pool, &pgstore.Options{Schema: *schema})
		if err != nil {
			log.Fatal(err)
		}
		store = s
		fmt.Fprintf(os.Stderr, "quickstart: store: PostgreSQL, schema %s\n", *schema)
	} else {
		fmt.Fprintln(os.Stderr, "quickstart: store: memory (set SWITCHBOARD_PG_DSN to run on PostgreSQL)")
	}
	if err := story.Run(ctx, store, os.Stdout); err != nil {
		log.Fatal(err)
	}
}
