package pgstore_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	sb "github.com/switchboard-go/switchboard"
	"github.com/switchboard-go/switchboard/adapters/pgstore"
)

// collect records what an outbox delivers, failing on demand the way a
// webhook endpoint that is down would.
type collect struct {
	mu     sync.Mutex
	got    []sb.Event
	failAt int // fail the delivery that would take the total past this; 0: never
}

func (c *collect) deliver(_ context.Context, es []sb.Event) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.failAt > 0 && len(c.got)+len(es) > c.failAt {
		c.failAt = 0
		return errors.New("webhook endpoint answered 503")
	}
	c.got = append(c.got, es...)
	return nil
}

// The outbox holds every event of the router's log once the router has
// closed, and delivers them in Seq order at least once: a failed delivery
// is retried, and a second process picks up where the first stopped.
func TestOutboxDeliversTheEventLog(t *testing.T) {
	ctx := context.Background()
	store := openStore(t)
	clock := sb.NewManualClock(start)
	ids := 0
	r, err := sb.NewRouter(ctx, store, config(clock, &ids))
	must(t, err)
	log := r.Subscribe(&sb.SubscribeOptions{MaxPending: -1})
	openFloor(t, r)
	must(t, r.SetAgentStatus(ctx, "ana", sb.StatusAvailable))
	first := create(t, r, "Call back about invoice 2025-0042", 3)
	create(t, r, "Refund request", 5)
	must(t, r.Accept(ctx, first.ID, "ana"))
	must(t, r.Complete(ctx, first.ID))
	must(t, r.CloseAfterContactWork(ctx, first.ID))
	must(t, r.Close(ctx))
	want := log.Drain()
	if len(want) < 10 {
		t.Fatalf("the story produced only %d events", len(want))
	}

	// The endpoint is down when the outbox reaches the fourth event: the
	// batch holding it is not marked, and comes again.
	out := store.Outbox()
	out.Limit = 3
	host := &collect{failAt: 4}
	if n, err := out.Deliver(ctx, host.deliver); n != 3 || err != nil {
		t.Fatalf("first delivery: %d events, %v; want 3 and no error", n, err)
	}
	if n, err := out.Deliver(ctx, host.deliver); n != 0 || err == nil {
		t.Fatalf("delivery to a failing endpoint: %d events, %v; want 0 and its error", n, err)
	}
	// Another process (its own pool and Store) takes over the delivery.
	other, err := pgstore.Open(ctx, newPool(t), &pgstore.Options{Schema: store.Schema()})
	must(t, err)
	out2 := other.Outbox()
	for {
		n, err := out2.Deliver(ctx, host.deliver)
		must(t, err)
		if n == 0 {
			break
		}
	}
	if diff := cmp.Diff(want, host.got); diff != "" {
		t.Errorf("delivered events (-router's log +outbox):\n%s", diff)
	}
	pruned, err := out.Prune(ctx)
	must(t, err)
	if pruned != int64(len(want)) {
		t.Errorf("Prune removed %d delivered events, want %d", pruned, len(want))
	}

	// Pruning keeps the log's high-water mark: a new router continues it.
	r, err = sb.NewRouter(ctx, store, config(clock, &ids))
	must(t, err)
	log = r.Subscribe(&sb.SubscribeOptions{MaxPending: -1})
	must(t, r.SetAgentStatus(ctx, "ben", sb.StatusAvailable))
	must(t, r.Close(ctx))
	after := log.Drain()
	if len(after) == 0 || after[0].Seq != want[len(want)-1].Seq+1 {
		t.Fatalf("after a restart the log starts at %v, want Seq %d", after, want[len(want)-1].Seq+1)
	}
	host.got = nil
	_, err = out.Deliver(ctx, host.deliver)
	must(t, err)
	if diff := cmp.Diff(after, host.got); diff != "" {
		t.Errorf("delivered after the restart (-router's log +outbox):\n%s", diff)
	}
}

// Two consumers running at once deliver every event exactly once between
// them when nothing fails, and each batch in Seq order.
func TestOutboxConcurrentConsumers(t *testing.T) {
	ctx := context.Background()
	store := openStore(t)
	var events []sb.Event
	for seq := uint64(1); seq <= 200; seq++ {
		events = append(events, sb.Event{Seq: seq, Type: sb.EventAgentStatusChanged, Time: start, AgentID: "ana", Status: sb.StatusAvailable})
	}
	for i := 0; i < len(events); i += 25 {
		must(t, store.Write(ctx, &sb.Change{Events: events[i : i+25]}))
	}
	host := &collect{}
	var wg sync.WaitGroup
	for range 2 {
		out := store.Outbox()
		out.Limit = 7
		wg.Go(func() {
			for {
				n, err := out.Deliver(ctx, host.deliver)
				if err != nil {
					t.Error(err)
					return
				}
				if n == 0 {
					return
				}
			}
		})
	}
	wg.Wait()
	if diff := cmp.Diff(events, host.got); diff != "" {
		t.Errorf("delivered (-written +delivered):\n%s", diff)
	}
}

// A consumer that dies after the host took a batch but before the batch was
// marked (here its connection is killed under it) leaves the batch
// undelivered: the next consumer delivers it again. At least once.
func TestOutboxRedeliversAfterACrash(t *testing.T) {
	ctx := context.Background()
	schema := newSchema(t)
	dying, err := pgstore.Open(ctx, newNamedPool(t, "dying consumer"), &pgstore.Options{Schema: schema})
	must(t, err)
	events := []sb.Event{
		{Seq: 1, Type: sb.EventTaskCreated, Time: start, TaskID: "task-1", State: sb.StateQueued},
		{Seq: 2, Type: sb.EventTaskQueued, Time: start, TaskID: "task-1", State: sb.StateQueued},
	}
	must(t, dying.Write(ctx, &sb.Change{Events: events}))
	admin := newPool(t)
	host := &collect{}
	_, err = dying.Outbox().Deliver(ctx, func(ctx context.Context, es []sb.Event) error {
		must(t, host.deliver(ctx, es))
		_, err := admin.Exec(ctx, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'dying consumer'")
		return err
	})
	if err == nil {
		t.Fatal("Deliver reported success although its connection died before marking")
	}
	survivor, err := pgstore.Open(ctx, newPool(t), &pgstore.Options{Schema: schema})
	must(t, err)
	n, err := survivor.Outbox().Deliver(ctx, host.deliver)
	must(t, err)
	if n != 2 {
		t.Fatalf("the next consumer delivered %d events, want the 2 the dead one never marked", n)
	}
	if diff := cmp.Diff(append(events, events...), host.got); diff != "" {
		t.Errorf("the host received (-want +got):\n%s", diff)
	}
}

// Run keeps delivering as events arrive, reports a failed round to OnError
// and retries it, and stops when its ctx ends.
func TestOutboxRun(t *testing.T) {
	store := openStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	out := store.Outbox()
	out.Poll = 10 * time.Millisecond
	var failures []error
	out.OnError = func(err error) { failures = append(failures, err) }
	host := &collect{failAt: 1}
	got := make(chan int, 16)
	stopped := make(chan error, 1)
	go func() {
		stopped <- out.Run(ctx, func(ctx context.Context, es []sb.Event) error {
			err := host.deliver(ctx, es)
			if err == nil {
				got <- len(es)
			}
			return err
		})
	}()
	for seq := uint64(1); seq <= 2; seq++ {
		must(t, store.Write(context.Background(), &sb.Change{Events: []sb.Event{{Seq: seq, Type: sb.EventTaskCreated, Time: start, TaskID: "task-1"}}}))
	}
	delivered := 0
	for delivered < 2 {
		select {
		case n := <-got:
			delivered += n
		case <-time.After(5 * time.Second):
			t.Fatalf("Run delivered %d of 2 events in 5 s", delivered)
		}
	}
	cancel()
	if err := <-stopped; !errors.Is(err, context.Canceled) {
		t.Errorf("Run returned %v, want context.Canceled", err)
	}
	if len(failures) != 1 {
		t.Errorf("OnError was told of %d failures, want the 1 failed round: %v", len(failures), failures)
	}
	if len(host.got) != 2 || host.got[0].Seq != 1 || host.got[1].Seq != 2 {
		t.Errorf("delivered %v, want Seq 1 and 2", host.got)
	}
}

func TestOutboxOptionsValidated(t *testing.T) {
	out := openStore(t).Outbox()
	nop := func(context.Context, []sb.Event) error { return nil }
	var ve *sb.ValidationError
	out.Limit = -1
	if _, err := out.Deliver(context.Background(), nop); !errors.As(err, &ve) || ve.Field != "Outbox.Limit" {
		t.Errorf("Deliver with Limit -1: %v, want a *ValidationError naming Outbox.Limit", err)
	}
	out.Limit, out.Poll = 0, -time.Second
	if err := out.Run(context.Background(), nop); !errors.As(err, &ve) || ve.Field != "Outbox.Poll" {
		t.Errorf("Run with Poll -1s: %v, want a *ValidationError naming Outbox.Poll", err)
	}
}

// A metrics consumer that lost its state after its last save catches up
// from the outbox: restored at the saved Seq and replayed from there, its
// figures equal those of a consumer that never stopped, with nothing counted
// twice. PruneThrough keeps what a replay still needs.
func TestOutboxReplayRestoresMetrics(t *testing.T) {
	ctx := context.Background()
	store := openStore(t)
	clock := sb.NewManualClock(start)
	ids := 0
	hopts := &sb.HistoricalOptions{ServiceLevels: []time.Duration{time.Minute}}
	live := sb.NewHistoricalMetrics(hopts) // never interrupted: the reference
	lost := sb.NewHistoricalMetrics(hopts) // saved mid-morning, then lost
	cfg := config(clock, &ids)
	cfg.Consumers = []sb.Consumer{live, lost}
	r, err := sb.NewRouter(ctx, store, cfg)
	must(t, err)
	openFloor(t, r)
	must(t, r.SetAgentStatus(ctx, "ana", sb.StatusAvailable))
	first := create(t, r, "Call back about invoice 2025-0042", 3)
	clock.Advance(10 * time.Second)
	must(t, r.Accept(ctx, first.ID, "ana"))
	create(t, r, "Refund request", 5)
	clock.Advance(5 * time.Minute)
	must(t, r.Complete(ctx, first.ID))
	must(t, r.Close(ctx))
	saved, err := lost.State()
	must(t, err)

	// The process dies after the save; a new one runs the rest of the
	// morning with only the live consumer.
	cfg = config(clock, &ids)
	cfg.Consumers = []sb.Consumer{live}
	r, err = sb.NewRouter(ctx, store, cfg)
	must(t, err)
	clock.Advance(time.Minute)
	must(t, r.CloseAfterContactWork(ctx, first.ID))
	third := create(t, r, "Update the address", 1)
	clock.Advance(20 * time.Minute)
	must(t, r.Stop(ctx, third.ID))
	must(t, r.Close(ctx))

	// Everything up to the save has been delivered and may go; the rest
	// must stay for the replay.
	out := store.Outbox()
	host := &collect{}
	for {
		n, err := out.Deliver(ctx, host.deliver)
		must(t, err)
		if n == 0 {
			break
		}
	}
	if _, err := out.PruneThrough(ctx, saved.LastSeq); err != nil {
		t.Fatal(err)
	}

	restored := sb.NewHistoricalMetrics(hopts)
	must(t, restored.Restore(saved))
	if restored.LastSeq() >= live.LastSeq() {
		t.Fatalf("the save at Seq %d already holds everything (live at %d): the test shows nothing", restored.LastSeq(), live.LastSeq())
	}
	out.Limit = 4 // several batches
	last, err := out.Replay(ctx, saved.LastSeq, func(es []sb.Event) error {
		for _, e := range es {
			restored.Consume(e)
		}
		return nil
	})
	must(t, err)
	if last != live.LastSeq() || restored.LastSeq() != live.LastSeq() {
		t.Fatalf("replayed to Seq %d, restored at %d; the live consumer is at %d", last, restored.LastSeq(), live.LastSeq())
	}
	q := sb.HistoricalQuery{Groupings: []sb.Grouping{sb.GroupQueue, sb.GroupAgent}}
	want, err := live.Query(q)
	must(t, err)
	got, err := restored.Query(q)
	must(t, err)
	if diff := cmp.Diff(want, got, cmpopts.IgnoreUnexported(sb.HistoricalValues{})); diff != "" {
		t.Errorf("restored and replayed (-live +restored):\n%s", diff)
	}
	for i := range min(len(want), len(got)) {
		w, _, wok := want[i].Values.ServiceLevel(time.Minute)
		g, _, gok := got[i].Values.ServiceLevel(time.Minute)
		if w != g || wok != gok {
			t.Errorf("%+v: service level %v (%v), restored %v (%v)", want[i].Dimensions, w, wok, g, gok)
		}
	}
	queued := int64(0)
	for _, w := range want {
		queued += w.Values.ContactsQueued
	}
	if queued != 3 {
		t.Fatalf("the story queued %d tasks, want 3: %+v", queued, want)
	}
	// A replay from before the pruned range cannot be complete: it starts
	// after the pruned events.
	var first2 uint64
	_, err = out.Replay(ctx, 0, func(es []sb.Event) error {
		if first2 == 0 {
			first2 = es[0].Seq
		}
		return nil
	})
	must(t, err)
	if first2 != saved.LastSeq+1 {
		t.Errorf("after PruneThrough(%d) the outbox starts at Seq %d", saved.LastSeq, first2)
	}
}
