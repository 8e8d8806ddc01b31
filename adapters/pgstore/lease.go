package pgstore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/switchboard-go/switchboard"
)

// High availability: several router processes over one schema, exactly one
// active. The active one holds the schema's lease, a row with a holder, an
// expiry and a fencing token; the others stand by, trying to take the lease
// every LeaseOptions.Retry, and one of them gets it once the holder stops
// renewing it (it died, hung, or lost the database) and it expires. Time is
// the database server's: no two processes' clocks are compared.
//
// Taking the lease increases the fencing token, and the Store a Lease hands
// out checks the token in every write's own transaction (holding the lease
// row with FOR SHARE until commit). So once a standby has taken over, a
// write of the old holder fails with ErrFenced even if that process was only
// paused and does not know yet; and writes the old holder had in flight
// commit before the new holder's takeover does, so its Load sees them.

// Defaults of LeaseOptions: a standby takes over at most DefaultLeaseTTL +
// DefaultLeaseRetry (3.5 s) after the active process's last renewal.
const (
	DefaultLeaseTTL   = 3 * time.Second
	DefaultLeaseRetry = 500 * time.Millisecond
	// MinLeaseTTL is the shortest TTL: a renewal must fit in a third of it.
	MinLeaseTTL = 300 * time.Millisecond
)

// LeaseOptions configure AcquireLease. The zero value is ready to use.
type LeaseOptions struct {
	// Holder names this process in the lease row, for operators. Empty
	// means the host name and process ID.
	Holder string
	// TTL is how long the lease lasts without renewal; the holder renews it
	// every TTL/3. 0 means DefaultLeaseTTL; otherwise at least MinLeaseTTL.
	TTL time.Duration
	// Retry is how often a standby tries to take the lease. 0 means
	// DefaultLeaseRetry.
	Retry time.Duration
}

// Lease is this process's hold on the schema's lease, renewed in the
// background until Release or until it is lost. It is safe for concurrent
// use.
type Lease struct {
	store *Store // fenced
	token int64
	ttl   time.Duration
	renew string

	lost     chan struct{}
	loseOnce sync.Once
	stop     chan struct{}
	stopOnce sync.Once
	done     chan struct{}
}

// AcquireLease waits until this process holds the lease of the store's
// schema, or ctx ends, standing by meanwhile; then it renews the lease in
// the background. Start the router over Lease.Store, and close it when Lost
// is closed.
func (s *Store) AcquireLease(ctx context.Context, opts LeaseOptions) (*Lease, error) {
	ttl, retry, holder := opts.TTL, opts.Retry, opts.Holder
	switch {
	case ttl < 0 || ttl > 0 && ttl < MinLeaseTTL:
		return nil, &switchboard.ValidationError{Field: "LeaseOptions.TTL", Value: ttl.String(), Limit: "0 (the default) or at least " + MinLeaseTTL.String()}
	case retry < 0:
		return nil, &switchboard.ValidationError{Field: "LeaseOptions.Retry", Value: retry.String(), Limit: "0 (the default) or positive"}
	}
	if ttl == 0 {
		ttl = DefaultLeaseTTL
	}
	if retry == 0 {
		retry = DefaultLeaseRetry
	}
	if holder == "" {
		host, _ := os.Hostname()
		holder = fmt.Sprintf("%s/%d", host, os.Getpid())
	}
	acquire := s.table("UPDATE §.lease SET holder = $1, token = token + 1, " +
		"expires_at = clock_timestamp() + $2 * interval '1 millisecond' " +
		"WHERE id = 1 AND expires_at < clock_timestamp() RETURNING token")
	var token int64
	for {
		err := s.pool.QueryRow(ctx, acquire, holder, ttl.Milliseconds()).Scan(&token)
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("pgstore: acquire lease: %w", ctx.Err())
		}
		// No row: another process holds the lease. Any other error: the
		// database is unreachable. Either way, stand by and try again.
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("pgstore: acquire lease: %w", ctx.Err())
		case <-time.After(retry):
		}
	}
	fenced := *s
	fenced.token = token
	l := &Lease{
		store: &fenced,
		token: token,
		ttl:   ttl,
		renew: s.table("UPDATE §.lease SET expires_at = clock_timestamp() + $2 * interval '1 millisecond' " +
			"WHERE id = 1 AND token = $1"),
		lost: make(chan struct{}),
		stop: make(chan struct{}),
		done: make(chan struct{}),
	}
	go l.keep()
	return l, nil
}

// Store returns the fenced Store: use it, and only it, for the router of
// this process while it holds the lease.
func (l *Lease) Store() *Store { return l.store }

// Token returns the fencing token: it grows each time the lease changes
// hands.
func (l *Lease) Token() int64 { return l.token }

// Lost is closed once this process no longer holds the lease: another took
// it, or no renewal succeeded for TTL minus one renewal interval. Writes are
// fenced whatever Lost says; Lost tells the host to close its router and
// stand by again.
func (l *Lease) Lost() <-chan struct{} { return l.lost }

// Release stops renewing the lease and ends it, so that a standby takes over
// at its next try rather than after the TTL. Close the router first.
func (l *Lease) Release(ctx context.Context) error {
	l.stopRenewing()
	l.lose()
	end := l.store.table("UPDATE §.lease SET expires_at = '-infinity' WHERE id = 1 AND token = $1")
	if _, err := l.store.pool.Exec(ctx, end, l.token); err != nil {
		return fmt.Errorf("pgstore: release lease: %w", err)
	}
	return nil
}

func (l *Lease) lose() { l.loseOnce.Do(func() { close(l.lost) }) }

// stopRenewing stops the renewals and waits for the renewing goroutine to
// end.
func (l *Lease) stopRenewing() {
	l.stopOnce.Do(func() { close(l.stop) })
	<-l.done
}

// keep renews the lease every TTL/3 until it is stopped or lost.
func (l *Lease) keep() {
	defer close(l.done)
	every := l.ttl / 3
	// The lease counts as lost when no renewal succeeded for TTL minus one
	// interval: before the database's expiry, whatever the round trips took.
	deadline := time.NewTimer(l.ttl - every)
	defer deadline.Stop()
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-deadline.C:
			l.lose()
			return
		case <-tick.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), every)
		tag, err := l.store.pool.Exec(ctx, l.renew, l.token, l.ttl.Milliseconds())
		cancel()
		switch {
		case err != nil:
			// Try again at the next tick; the deadline decides.
		case tag.RowsAffected() == 0:
			l.lose() // another process took the lease
			return
		default:
			deadline.Reset(l.ttl - every)
		}
	}
}

// Lead stands by until this process holds the store's lease, then starts a
// router over the fenced store with cfg, which rebuilds everything from the
// database. The caller serves with the router, closes it when lease.Lost()
// is closed (or when done, then calls lease.Release), and may call Lead
// again to stand by for the next turn.
func Lead(ctx context.Context, s *Store, opts LeaseOptions, cfg *switchboard.Config) (*switchboard.Router, *Lease, error) {
	lease, err := s.AcquireLease(ctx, opts)
	if err != nil {
		return nil, nil, err
	}
	r, err := switchboard.NewRouter(ctx, lease.Store(), cfg)
	if err != nil {
		rerr := lease.Release(context.WithoutCancel(ctx))
		return nil, nil, errors.Join(err, rerr)
	}
	return r, lease, nil
}
