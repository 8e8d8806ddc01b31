package pgstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/switchboard-go/switchboard"
)

// Outbox hands the events stored with the router's changes to the host (to
// deliver webhooks, feed a queue, …) at least once, in Seq order, even
// across crashes: Write inserts a change's events into the events table in
// the change's own transaction, and Deliver marks them delivered only after
// the host's function returned nil. An Outbox is safe for concurrent use;
// two processes delivering from one schema take turns (row locks), so each
// event is handed out in order and, unless a delivery fails or a process
// dies between delivering and marking, once.
//
// Seq order is the order changes committed in, which is Seq order for a
// router: one writer per instance (see Lease), writing one change after
// another.
//
// The outbox holds the events a Change carried: every task and agent change
// and configuration event. Events the router emits without a write (routing
// steps, router errors) reach it only when Router.Close stores them.
type Outbox struct {
	// Limit is how many events one Deliver hands over at most; 0 means
	// DefaultOutboxLimit.
	Limit int
	// Poll is how long Run waits after a round that found nothing, or
	// failed; 0 means DefaultOutboxPoll.
	Poll time.Duration
	// OnError, if set, is told of each failed round of Run (Run retries).
	OnError func(error)

	s *Store
	q struct{ next, mark, prune, pruneThrough, since string }
}

// Defaults of Outbox.
const (
	DefaultOutboxLimit = 100
	DefaultOutboxPoll  = time.Second
)

// Outbox returns the outbox of the store's schema.
func (s *Store) Outbox() *Outbox {
	o := &Outbox{s: s}
	o.q.next = s.table("SELECT body FROM §.events WHERE delivered_at IS NULL ORDER BY seq LIMIT $1 FOR UPDATE")
	o.q.mark = s.table("UPDATE §.events SET delivered_at = now() WHERE seq = ANY($1)")
	// A prune raises the high-water mark in meta to the highest Seq it
	// deletes, in the same statement: Load's LastEventSeq is the greater of
	// meta and the highest stored Seq, and writes do not touch meta.
	prune := func(where string) string {
		return s.table("WITH gone AS (DELETE FROM §.events WHERE " + where + " RETURNING seq), " +
			"raised AS (UPDATE §.meta SET last_event_seq = greatest(last_event_seq, (SELECT max(seq) FROM gone)) WHERE id = 1) " +
			"SELECT count(*) FROM gone")
	}
	o.q.prune = prune("delivered_at IS NOT NULL")
	o.q.pruneThrough = prune("delivered_at IS NOT NULL AND seq <= $1")
	o.q.since = s.table("SELECT body FROM §.events WHERE seq > $1 ORDER BY seq LIMIT $2")
	return o
}

// Replay calls fn with every stored event whose Seq is greater than after,
// delivered or not, in Seq order, in batches of at most Limit, and returns
// the Seq of the last one (after when there is none). It lets an in-process
// consumer that keeps its own state — HistoricalMetrics, RealTimeMetrics,
// a RecordBuilder — catch up after a crash: restore the state it saved
// (its LastSeq), replay from there, then start the router with it in
// Config.Consumers; the consumers skip what they already counted, so
// nothing is counted twice and nothing the outbox still holds is missed.
// Prune removes events Replay could still need: with such consumers, prune
// with PruneThrough up to the lowest Seq they have saved.
func (o *Outbox) Replay(ctx context.Context, after uint64, fn func([]switchboard.Event) error) (uint64, error) {
	limit := o.Limit
	switch {
	case limit < 0:
		return after, &switchboard.ValidationError{Field: "Outbox.Limit", Value: fmt.Sprint(limit), Limit: "0 (the default) or positive"}
	case limit == 0:
		limit = DefaultOutboxLimit
	}
	for {
		events, err := all[switchboard.Event](ctx, o.s.pool, o.q.since, int64(after), limit)
		if err != nil {
			return after, fmt.Errorf("pgstore: outbox: replay after %d: %w", after, err)
		}
		if len(events) == 0 {
			return after, nil
		}
		batch := make([]switchboard.Event, len(events))
		for i, e := range events {
			batch[i] = *e
		}
		if err := fn(batch); err != nil {
			return after, fmt.Errorf("pgstore: outbox: replay events %d..%d: %w", batch[0].Seq, batch[len(batch)-1].Seq, err)
		}
		after = batch[len(batch)-1].Seq
	}
}

// PruneThrough deletes the delivered events whose Seq is at most seq and
// returns how many: Prune for hosts whose consumers Replay.
func (o *Outbox) PruneThrough(ctx context.Context, seq uint64) (int64, error) {
	var n int64
	if err := o.s.pool.QueryRow(ctx, o.q.pruneThrough, int64(seq)).Scan(&n); err != nil {
		return 0, fmt.Errorf("pgstore: outbox: %w", err)
	}
	return n, nil
}

// Deliver calls deliver with the oldest undelivered events, at most Limit of
// them, in Seq order, and marks them delivered once deliver returns nil, in
// one transaction that holds their rows meanwhile. It returns how many it
// delivered: 0 when there were none. When deliver fails (or panics, or the
// process dies) the events stay undelivered and come again on the next call.
func (o *Outbox) Deliver(ctx context.Context, deliver func(context.Context, []switchboard.Event) error) (int, error) {
	limit := o.Limit
	switch {
	case limit < 0:
		return 0, &switchboard.ValidationError{Field: "Outbox.Limit", Value: fmt.Sprint(limit), Limit: "0 (the default) or positive"}
	case limit == 0:
		limit = DefaultOutboxLimit
	}
	tx, err := o.s.pool.Begin(ctx)
	if err != nil {
		return 0, fmt.Errorf("pgstore: outbox: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	events, err := all[switchboard.Event](ctx, tx, o.q.next, limit)
	if err != nil || len(events) == 0 {
		return 0, err
	}
	batch := make([]switchboard.Event, len(events))
	seqs := make([]int64, len(events))
	for i, e := range events {
		batch[i], seqs[i] = *e, int64(e.Seq)
	}
	if err := deliver(ctx, batch); err != nil {
		return 0, fmt.Errorf("pgstore: outbox: deliver events %d..%d: %w", seqs[0], seqs[len(seqs)-1], err)
	}
	if _, err := tx.Exec(ctx, o.q.mark, seqs); err != nil {
		return 0, fmt.Errorf("pgstore: outbox: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, fmt.Errorf("pgstore: outbox: %w", err)
	}
	return len(events), nil
}

// Run calls Deliver until ctx ends, waiting Poll after a round that found
// nothing to deliver and after a failed one (which it reports to OnError and
// retries). It returns ctx's error.
func (o *Outbox) Run(ctx context.Context, deliver func(context.Context, []switchboard.Event) error) error {
	poll := o.Poll
	switch {
	case poll < 0:
		return &switchboard.ValidationError{Field: "Outbox.Poll", Value: poll.String(), Limit: "0 (the default) or positive"}
	case poll == 0:
		poll = DefaultOutboxPoll
	}
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
		n, err := o.Deliver(ctx, deliver)
		if err != nil && ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			return ctx.Err()
		}
		if err != nil && o.OnError != nil {
			o.OnError(err)
		}
		wait := time.Duration(0)
		if n == 0 || err != nil {
			wait = poll
		}
		t.Reset(wait)
	}
}

// Prune deletes the events already delivered and returns how many. It
// raises the high-water mark that continues the event log (in meta) to the
// highest Seq it deletes, so pruning never lets a Seq repeat.
func (o *Outbox) Prune(ctx context.Context) (int64, error) {
	var n int64
	if err := o.s.pool.QueryRow(ctx, o.q.prune).Scan(&n); err != nil {
		return 0, fmt.Errorf("pgstore: outbox: %w", err)
	}
	return n, nil
}
