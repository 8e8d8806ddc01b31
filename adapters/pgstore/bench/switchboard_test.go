package bench_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	sb "github.com/switchboard-go/switchboard"
	"github.com/switchboard-go/switchboard/adapters/pgstore"
)

var start = time.Date(2026, time.November, 24, 9, 0, 0, 0, time.UTC)

// openSwitchboard is the router over pgstore.Store as it is. The store
// implements switchboard.GroupWriter, so the router uses the group-commit
// path as soon as the core has one.
func openSwitchboard(tb testing.TB, pool *pgxpool.Pool, schema string, producers int) system {
	return newLifecycles(tb, openPGStore(tb, pool, schema), producers)
}

// openSwitchboardUnderLock is the router over the same store with only the
// five Store methods visible: the core finds GroupWriter (and every other
// optional capability) by a type assertion on the Store value, which a
// struct embedding the interface does not pass, so the router writes each
// change with Write while it holds its lock.
func openSwitchboardUnderLock(tb testing.TB, pool *pgxpool.Pool, schema string, producers int) system {
	return newLifecycles(tb, struct{ sb.Store }{openPGStore(tb, pool, schema)}, producers)
}

// openMemory is the router over a MemoryStore: what the router itself
// costs, with no database behind it.
func openMemory(tb testing.TB, _ *pgxpool.Pool, _ string, producers int) system {
	return newLifecycles(tb, sb.NewMemoryStore(), producers)
}

func openPGStore(tb testing.TB, pool *pgxpool.Pool, schema string) *pgstore.Store {
	tb.Helper()
	s, err := pgstore.Open(context.Background(), pool, &pgstore.Options{Schema: schema})
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// lifecycles is a billing queue, a task routing profile and one available
// agent per producer. A unit is one task's whole life for the producer's own
// agent: created for the agent and offered at once, accepted, completed
// into after-contact work, closed. Four operations, four store writes.
type lifecycles struct {
	r     *sb.Router
	store sb.Store
}

func newLifecycles(tb testing.TB, store sb.Store, producers int) *lifecycles {
	tb.Helper()
	ctx := context.Background()
	r, err := sb.NewRouter(ctx, store, &sb.Config{Clock: sb.NewManualClock(start)})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := r.Close(ctx); err != nil {
			tb.Error(err)
		}
	})
	setup := []error{
		r.PutQueue(ctx, sb.Queue{ID: "billing", Name: "Billing"}),
		r.PutRoutingProfile(ctx, sb.RoutingProfile{ID: "tasks", Name: "Tasks",
			Concurrency: []sb.MediaConcurrency{{Channel: sb.ChannelTask, Concurrency: 10}},
			Queues:      []sb.QueueConfig{{QueueID: "billing", Channel: sb.ChannelTask, Priority: 1}}}),
	}
	for p := range producers {
		setup = append(setup, r.PutAgent(ctx, sb.Agent{ID: agentID(p), Name: fmt.Sprint("Agent ", p),
			RoutingProfileID: "tasks", Status: sb.StatusAvailable}))
	}
	for _, err := range setup {
		if err != nil {
			tb.Fatal(err)
		}
	}
	return &lifecycles{r: r, store: store}
}

func agentID(p int) string { return fmt.Sprint("agent-", p) }

func (l *lifecycles) do(ctx context.Context, p int) error {
	agent := agentID(p)
	task, err := l.r.CreateTask(ctx, sb.TaskInput{Name: "Call back", AgentID: agent})
	if err != nil {
		return err
	}
	if err := l.r.Accept(ctx, task.ID, agent); err != nil {
		return err
	}
	if err := l.r.Complete(ctx, task.ID); err != nil {
		return err
	}
	return l.r.CloseAfterContactWork(ctx, task.ID)
}

// wait has nothing to wait for: each operation returned once its change was
// durable.
func (l *lifecycles) wait(context.Context, int) error { return nil }

// verify checks the router's invariants and, in the store, that n tasks
// were created and none is still open.
func (l *lifecycles) verify(ctx context.Context, n int) error {
	if err := l.r.Check(); err != nil {
		return err
	}
	snap, err := l.store.Load(ctx)
	if err != nil {
		return err
	}
	if snap.LastSequence != uint64(n) || len(snap.OpenTasks) != 0 {
		return fmt.Errorf("the store holds %d tasks, %d of them open; want %d, all closed",
			snap.LastSequence, len(snap.OpenTasks), n)
	}
	return nil
}
