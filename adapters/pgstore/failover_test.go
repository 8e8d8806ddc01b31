package pgstore_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	sb "github.com/switchboard-go/switchboard"
	"github.com/switchboard-go/switchboard/adapters/pgstore"
)

// High availability: two router "processes" in one test, each with its own
// pool and Store over one schema; only the holder of the lease is active.

type process struct {
	name  string
	store *pgstore.Store
}

func startProcess(t *testing.T, schema, name string) process {
	t.Helper()
	s, err := pgstore.Open(context.Background(), newNamedPool(t, name), &pgstore.Options{Schema: schema})
	must(t, err)
	return process{name, s}
}

type led struct {
	r     *sb.Router
	lease *pgstore.Lease
	err   error
}

// standBy starts p standing by for the lease; the router it starts once it
// leads arrives on the channel.
func standBy(p process, opts pgstore.LeaseOptions, cfg *sb.Config) <-chan led {
	ch := make(chan led, 1)
	opts.Holder = p.name
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		r, l, err := pgstore.Lead(ctx, p.store, opts, cfg)
		ch <- led{r, l, err}
	}()
	return ch
}

// recorder is a Consumer keeping the events it is given.
type recorder struct {
	mu sync.Mutex
	es []sb.Event
}

func (r *recorder) Consume(e sb.Event) {
	r.mu.Lock()
	r.es = append(r.es, e)
	r.mu.Unlock()
}

func (r *recorder) events() []sb.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]sb.Event(nil), r.es...)
}

// Router A leads with work in hand; router B stands by and does not take
// over while A renews. A's connections are killed and it dies: B takes over
// within 5 seconds, rebuilds from the database, and carries on: nothing
// lost, nothing offered twice.
func TestFailoverToStandby(t *testing.T) {
	ctx := context.Background()
	schema := newSchema(t)
	a, b := startProcess(t, schema, "router-a"), startProcess(t, schema, "router-b")
	opts := pgstore.LeaseOptions{TTL: 2 * time.Second, Retry: 200 * time.Millisecond}
	clockA := sb.NewManualClock(start)
	idsA := 0
	first := <-standBy(a, opts, config(clockA, &idsA))
	must(t, first.err)
	rA := first.r
	defer rA.Close(ctx) // a dead process's router: its Close only fails
	openFloor(t, rA)
	must(t, rA.SetAgentStatus(ctx, "ana", sb.StatusAvailable))
	t1 := create(t, rA, "Call back about invoice 2025-0042", 1)
	must(t, rA.Accept(ctx, t1.ID, "ana"))
	t2 := create(t, rA, "Refund for order 7731", 2) // offered to Ana's second slot
	t3 := create(t, rA, "Address change", 5)        // waits

	clockB := sb.NewManualClock(clockA.Now())
	idsB := idsA
	cfgB := config(clockB, &idsB)
	rebuild := &recorder{}
	cfgB.Consumers = []sb.Consumer{rebuild}
	second := standBy(b, opts, cfgB)
	select {
	case got := <-second:
		t.Fatalf("B took over while A renewed its lease: %v", got.err)
	case <-time.After(2 * opts.TTL):
	}

	// A dies: the server drops its connections, and nothing of A runs again.
	killed, err := b.store.Pool().Exec(ctx, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'router-a'")
	must(t, err)
	if killed.RowsAffected() == 0 {
		t.Fatal("router-a had no connection to kill")
	}
	a.store.Pool().Close()

	var now led
	select {
	case now = <-second:
		must(t, now.err)
	case <-time.After(5 * time.Second):
		t.Fatal("B did not take over within 5 s of A's death")
	}
	rB := now.r
	defer now.lease.Release(ctx)
	defer rB.Close(ctx)
	if now.lease.Token() <= first.lease.Token() {
		t.Errorf("B's fencing token %d is not above A's %d", now.lease.Token(), first.lease.Token())
	}
	select {
	case <-first.lease.Lost():
	case <-time.After(opts.TTL):
		t.Error("A's lease never reported itself lost")
	}
	must(t, rB.Check())
	for id, want := range map[string]sb.TaskState{t1.ID: sb.StateConnected, t2.ID: sb.StateOffered, t3.ID: sb.StateQueued} {
		task, err := rB.Task(ctx, id)
		must(t, err)
		if task.State != want {
			t.Errorf("after the failover %s is %s, want %s", id, task.State, want)
		}
	}
	// Ana still holds her offer, made once: B's rebuild offered nothing.
	must(t, rB.Accept(ctx, t2.ID, "ana"))
	for _, e := range rebuild.events() {
		if e.Type == sb.EventTaskOffered && e.TaskID != t3.ID {
			t.Errorf("B offered %s again: %+v", e.TaskID, e)
		}
	}
	got, err := rB.CreateTask(ctx, sb.TaskInput{Name: "Card blocked", QueueID: "billing"})
	must(t, err)
	if got.Sequence <= t3.Sequence {
		t.Errorf("B handed out Sequence %d again (A reached %d)", got.Sequence, t3.Sequence)
	}
}

// A leader that pauses (it stops renewing without knowing) loses its lease
// to the standby; when it wakes up, its router's writes are refused in their
// own transaction, and the database holds only the new leader's history.
func TestPausedLeaderIsFenced(t *testing.T) {
	ctx := context.Background()
	schema := newSchema(t)
	a, b := startProcess(t, schema, "router-a"), startProcess(t, schema, "router-b")
	opts := pgstore.LeaseOptions{TTL: time.Second, Retry: 100 * time.Millisecond}
	clockA := sb.NewManualClock(start)
	idsA := 0
	first := <-standBy(a, opts, config(clockA, &idsA))
	must(t, first.err)
	rA := first.r
	defer rA.Close(ctx)
	openFloor(t, rA)
	must(t, rA.SetAgentStatus(ctx, "ana", sb.StatusAvailable))
	offer := create(t, rA, "Call back about invoice 2025-0042", 1)

	pgstore.StopRenewing(first.lease) // A pauses
	clockB := sb.NewManualClock(clockA.Now())
	idsB := idsA
	var now led
	select {
	case now = <-standBy(b, opts, config(clockB, &idsB)):
		must(t, now.err)
	case <-time.After(5 * time.Second):
		t.Fatal("B did not take over within 5 s of A's pause")
	}
	rB := now.r
	defer now.lease.Release(ctx)
	defer rB.Close(ctx)
	must(t, rB.Accept(ctx, offer.ID, "ana"))

	// A wakes up believing it leads: Ana's offer is still open in its memory.
	err := rA.Reject(ctx, offer.ID, "ana")
	if !errors.Is(err, pgstore.ErrFenced) {
		t.Errorf("the paused leader's Reject: %v, want an error matching ErrFenced", err)
	}
	if _, err := rA.CreateTask(ctx, sb.TaskInput{Name: "Written by a ghost", QueueID: "billing"}); !errors.Is(err, pgstore.ErrFenced) {
		t.Errorf("the paused leader's CreateTask: %v, want an error matching ErrFenced", err)
	}
	stale := first.lease.Store()
	if err := stale.Write(ctx, &sb.Change{Agents: []*sb.Agent{{ID: "ghost", Name: "ghost"}}}); !errors.Is(err, pgstore.ErrFenced) {
		t.Errorf("a write through the paused leader's store: %v, want ErrFenced", err)
	}
	if err := stale.PutQuickConnect(ctx, &sb.QuickConnect{ID: "qc", Name: "qc", Type: sb.QuickConnectQueue, QueueID: "billing"}); !errors.Is(err, pgstore.ErrFenced) {
		t.Errorf("a quick connect put through the paused leader's store: %v, want ErrFenced", err)
	}
	if err := stale.PutFlowRun(ctx, &sb.FlowRun{TaskID: offer.ID, FlowID: "intake", State: []byte(`{}`)}); !errors.Is(err, pgstore.ErrFenced) {
		t.Errorf("a flow run put through the paused leader's store: %v, want ErrFenced", err)
	}
	if err := stale.PutRecords(ctx, []sb.ContactRecord{{TaskID: offer.ID, State: sb.StateOffered, LastSeq: 1 << 40}}); !errors.Is(err, pgstore.ErrFenced) {
		t.Errorf("a contact record put through the paused leader's store: %v, want ErrFenced", err)
	}
	if runs, err := b.store.FlowRuns(ctx); err != nil || len(runs) != 0 {
		t.Errorf("the paused leader's flow run reached the database: %+v, %v", runs, err)
	}
	if _, err := b.store.Record(ctx, offer.ID); !errors.Is(err, sb.ErrNotFound) {
		t.Errorf("the paused leader's contact record reached the database: %v", err)
	}

	// The database holds B's history only.
	task, err := b.store.Task(ctx, offer.ID)
	must(t, err)
	if task.State != sb.StateConnected || task.AgentID != "ana" {
		t.Errorf("in the database %s is %s with %q, want CONNECTED with ana (B's accept)", offer.ID, task.State, task.AgentID)
	}
	snap, err := b.store.Load(ctx)
	must(t, err)
	if len(snap.OpenTasks) != 1 {
		t.Errorf("the database holds %d open tasks, want 1 (the ghost's was refused)", len(snap.OpenTasks))
	}
	for _, ag := range snap.Agents {
		if ag.ID == "ghost" {
			t.Error("the paused leader's agent reached the database")
		}
	}
	must(t, rB.Check())
}

// A leader that steps down (Release after closing its router) hands over at
// once: the standby takes the lease at its next try, long before the TTL.
func TestReleaseHandsOverAtOnce(t *testing.T) {
	ctx := context.Background()
	schema := newSchema(t)
	a, b := startProcess(t, schema, "router-a"), startProcess(t, schema, "router-b")
	opts := pgstore.LeaseOptions{TTL: time.Minute, Retry: 100 * time.Millisecond}
	clock := sb.NewManualClock(start)
	ids := 0
	first := <-standBy(a, opts, config(clock, &ids))
	must(t, first.err)
	openFloor(t, first.r)
	second := standBy(b, opts, config(sb.NewManualClock(start), &ids))
	must(t, first.r.Close(ctx))
	must(t, first.lease.Release(ctx))
	select {
	case <-first.lease.Lost():
	default:
		t.Error("a released lease does not report itself lost")
	}
	select {
	case now := <-second:
		must(t, now.err)
		defer now.lease.Release(ctx)
		defer now.r.Close(ctx)
		if _, err := now.r.Queue("billing"); err != nil {
			t.Errorf("the new leader does not know the billing queue: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the standby did not take over within 5 s of a release (the TTL is a minute)")
	}
}

func TestLeaseOptionsValidated(t *testing.T) {
	store := openStore(t)
	for _, opts := range []pgstore.LeaseOptions{{TTL: -time.Second}, {TTL: 10 * time.Millisecond}, {Retry: -1}} {
		_, err := store.AcquireLease(context.Background(), opts)
		var ve *sb.ValidationError
		if !errors.As(err, &ve) {
			t.Errorf("AcquireLease(%+v): %v, want a *ValidationError", opts, err)
		}
	}
}
