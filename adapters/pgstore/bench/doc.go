// Package bench measures switchboard's durable throughput on PostgreSQL side
// by side with the alternatives a host would compare it to, in one run on
// one server. It holds benchmarks and their tests only, in a module of its
// own so that River, which only the comparison needs, stays out of
// pgstore's and the core's dependencies.
//
// BenchmarkPGLifecycle runs, for 1, 8 and 64 concurrent producers:
//
//   - switchboard: full task lifecycles (CreateTask for the producer's
//     agent, Accept, Complete, CloseAfterContactWork) through a Router over
//     pgstore.Store, with whatever write path the core uses for a store that
//     implements switchboard.GroupWriter;
//   - switchboard-underlock: the same over pgstore.Store with GroupWriter
//     hidden, so the router writes every change under its lock;
//   - naive: the lifecycle as five single-row transactions straight on pgx;
//   - river: River (riverqueue/river, pgx driver) inserting one job per
//     Insert and working it, counted once its completion is stored;
//   - memory: the switchboard lifecycle over a MemoryStore, the cost of the
//     router alone.
//
// BenchmarkPGWriteBudget breaks one producer's lifecycle down (round trip,
// the store function's call, a naive commit, a store write, an operation),
// all measured within each iteration: what a write would have to cost for
// four of them to keep up with the naive path's five commits.
//
// Every kind gets a fresh schema and a pool of producers+8 connections.
// Commits are durable: the server's defaults (fsync and synchronous_commit
// on). Run it against a throwaway server:
//
//	bash testdb.sh go test -run '^$' -bench . -benchtime=5s -count=2
//
// docs/durability.md in the switchboard repository has the figures.
package bench
