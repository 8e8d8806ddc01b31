package pgstore_test

import (
	"context"
	"log"
	"os"

	"github.com/jackc/pgx/v5/pgxpool"

	sb "github.com/switchboard-go/switchboard"
	"github.com/switchboard-go/switchboard/adapters/pgstore"
)

// A router process of a highly available instance: it stands by until it
// holds the lease, serves until it loses it, and stands by again. Webhooks
// go out through the outbox, at least once.
func ExampleLead() {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, os.Getenv("SWITCHBOARD_PG_DSN"))
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()
	store, err := pgstore.Open(ctx, pool, &pgstore.Options{Schema: "callcenter"})
	if err != nil {
		log.Fatal(err)
	}
	go store.Outbox().Run(ctx, func(ctx context.Context, events []sb.Event) error {
		return nil // POST them to the webhook; an error retries them
	})
	for {
		r, lease, err := pgstore.Lead(ctx, store, pgstore.LeaseOptions{}, &sb.Config{})
		if err != nil {
			log.Fatal(err)
		}
		// … serve with r …
		<-lease.Lost()
		r.Close(ctx)
	}
}
