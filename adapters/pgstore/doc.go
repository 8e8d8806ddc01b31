// Package pgstore keeps a switchboard router's state in PostgreSQL, so that
// no acknowledged task is lost when a process dies, and lets several router
// processes share one instance with one active and the others standing by.
//
// Open a Store over a pgx pool and pass it to switchboard.NewRouter:
//
//	pool, err := pgxpool.New(ctx, os.Getenv("SWITCHBOARD_PG_DSN"))
//	store, err := pgstore.Open(ctx, pool, &pgstore.Options{Schema: "callcenter"})
//	r, err := switchboard.NewRouter(ctx, store, cfg)
//
// Open applies the embedded migrations (Migrate). One schema holds one
// contact-center instance: tasks, agents, queues, routing profiles,
// templates and quick connects as JSONB in the core's JSON form, the event
// outbox (Outbox) and the lease (AcquireLease, Lead). Store implements
// switchboard.Store and its optional capabilities TemplateStore, FlowStore
// (flow positions), RecordStore (contact records, searched through indexed
// columns) and GroupWriter, and passes storetest.
//
// examples/simulate runs the core's simulator over a Store when
// SWITCHBOARD_PG_DSN is set (bash testdb.sh go run ./examples/simulate).
//
// With more than one process, start routers only through Lead: it stands by
// until the process holds the lease and starts the router over a fenced
// Store, whose every write checks the lease's fencing token in its own
// transaction. See docs/durability.md in the switchboard repository for the
// guarantees and the tests that show them.
//
// The tests need a server: testdb.sh starts a throwaway one and runs a
// command with SWITCHBOARD_PG_DSN set (bash testdb.sh go test ./...).
package pgstore
