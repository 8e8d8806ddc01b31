// Command simulate runs the switchboard simulator (the contact-center day of
// examples/simulate in the core module) with the router's state, its event
// outbox and its contact records in PostgreSQL, when SWITCHBOARD_PG_DSN
// names a server; without it, in memory. Either way it prints the same
// hourly table for the same seed, then counts the contact records kept and
// searches the busiest hour of them through switchboard.ContactSearch.
//
//	SWITCHBOARD_PG_DSN=postgres://... go run ./examples/simulate -duration 2h
//	bash testdb.sh go run ./examples/simulate          # a throwaway server
//
// The run uses the schema named by -schema (default switchboard_simulate),
// which it drops and creates again first: a router started over a schema
// holding an earlier run's tasks would resume them, not simulate a new day.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/switchboard-go/switchboard"
	"github.com/switchboard-go/switchboard/adapters/pgstore"
	"github.com/switchboard-go/switchboard/examples/simulate/sim"
)

func main() {
	day := sim.RegisterFlags(flag.CommandLine)
	schema := flag.String("schema", "switchboard_simulate", "PostgreSQL schema for the run, dropped and created again first")
	flag.Parse()
	sc, err := day.Day()
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	began := time.Now()
	store, where, closeStore, err := openStore(ctx, *schema)
	if err != nil {
		log.Fatal(err)
	}
	defer closeStore()
	fmt.Fprintf(os.Stderr, "simulate: store: %s\n", where)
	sink, err := switchboard.NewStoreRecordSink(store)
	if err != nil {
		log.Fatal(err)
	}
	res, err := sim.Run(ctx, sc, &sim.Options{Seed: day.Seed, Progress: os.Stderr, Store: store, Records: sink})
	if err != nil {
		log.Fatal(err)
	}
	rep, err := sim.NewReport(res)
	if err != nil {
		log.Fatal(err)
	}
	if err := rep.WriteTable(os.Stdout); err != nil {
		log.Fatal(err)
	}
	if err := searchBusiestHour(ctx, store, rep); err != nil {
		log.Fatal(err)
	}
	if err := rep.WriteHTMLFile(day.Out); err != nil {
		log.Fatal(err)
	}
	fmt.Fprintf(os.Stderr, "report written to %s (%.1fs)\n", day.Out, time.Since(began).Seconds())
}

// openStore returns a pgstore Store over a fresh schema when
// SWITCHBOARD_PG_DSN is set, else a MemoryStore that keeps every task.
func openStore(ctx context.Context, schema string) (switchboard.Store, string, func(), error) {
	dsn := os.Getenv("SWITCHBOARD_PG_DSN")
	if dsn == "" {
		ms := switchboard.NewMemoryStore()
		ms.MaxFinished = -1
		return ms, "memory (set SWITCHBOARD_PG_DSN to run on PostgreSQL)", func() {}, nil
	}
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		return nil, "", nil, err
	}
	if _, err := pool.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{schema}.Sanitize()+" CASCADE"); err != nil {
		pool.Close()
		return nil, "", nil, fmt.Errorf("simulate: drop schema %s: %w", schema, err)
	}
	store, err := pgstore.Open(ctx, pool, &pgstore.Options{Schema: schema})
	if err != nil {
		pool.Close()
		return nil, "", nil, err
	}
	return store, "PostgreSQL, schema " + schema, pool.Close, nil
}

// searchBusiestHour prints how many contact records the store keeps for
// the busiest hour of the report, found page by page by ContactSearch.
func searchBusiestHour(ctx context.Context, store switchboard.Store, rep *sim.Report) error {
	search, err := switchboard.NewContactSearch(store)
	if err != nil {
		return err
	}
	var busiest sim.Row
	for _, row := range rep.Hours {
		if row.Created > busiest.Created {
			busiest = row
		}
	}
	if busiest.Created == 0 {
		return nil
	}
	in := switchboard.SearchContactsInput{SearchCriteria: switchboard.SearchCriteria{TimeRange: switchboard.TimeRange{
		Type: switchboard.FieldInitiationTimestamp, Start: busiest.Start, End: busiest.Start.Add(time.Hour)}}}
	found, pages := 0, 0
	for {
		page, err := search.Search(ctx, in)
		if err != nil {
			return err
		}
		found, pages = found+len(page.Contacts), pages+1
		if page.NextToken == "" {
			break
		}
		in.NextToken = page.NextToken
	}
	if int64(found) != busiest.Created {
		return errors.New("simulate: the contact search of the busiest hour disagrees with the report")
	}
	fmt.Printf("\nsearch: %d contacts initiated %s–%s (the busiest hour), in %d page(s)\n",
		found, busiest.Start.Format("15:04"), busiest.Start.Add(time.Hour).Format("15:04"), pages)
	return nil
}
