package pgstore_test

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	sb "github.com/switchboard-go/switchboard"
	"github.com/switchboard-go/switchboard/adapters/pgstore"
)

// The crash test: a child process runs a router over PostgreSQL under load
// (producers creating tasks, agents accepting, completing and closing their
// after-contact work) and prints each task it was told is created. The
// parent kill -9s it at a random moment, then checks the database with a new
// router: every acknowledged task is there exactly once, no task is held by
// two agents, no agent is over capacity, the router's invariants hold, and
// the event log in the outbox has no gap. 20 rounds; 100 with
// SWITCHBOARD_LONG=1. The kill moments come from a seed the test prints;
// PGSTORE_CRASH_SEED=N replays them.

const (
	crashChildVar  = "PGSTORE_CRASH_CHILD" // the child's schema
	crashRoundVar  = "PGSTORE_CRASH_ROUND"
	crashAgents    = 4
	crashProducers = 4
	crashSlots     = 2 // task concurrency of every agent
)

// crashLease: the child and the checking router run under the lease, as a
// production process should even alone. A process killed by the kernel can
// leave a transaction that its server has received in full but not yet
// committed; the next holder's takeover waits for that transaction (fence's
// share lock), so the new router's Load sees it. A bare NewRouter started at
// once could load before it commits.
var crashLease = pgstore.LeaseOptions{TTL: 500 * time.Millisecond, Retry: 50 * time.Millisecond}

func TestCrashRecovery(t *testing.T) {
	needDB(t)
	if testing.Short() {
		t.Skip("the crash test kills a child process 20 times")
	}
	ctx := context.Background()
	var err error
	rounds := 20
	if os.Getenv("SWITCHBOARD_LONG") == "1" {
		rounds = 100
	}
	seed := rand.Uint64()
	if s := os.Getenv("PGSTORE_CRASH_SEED"); s != "" {
		seed, err = strconv.ParseUint(s, 10, 64)
		must(t, err)
	}
	t.Logf("seed %d (replay: PGSTORE_CRASH_SEED=%d go test -run TestCrashRecovery)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, seed))

	schema := newSchema(t)
	pool := newPool(t)
	store, err := pgstore.Open(ctx, pool, &pgstore.Options{Schema: schema})
	must(t, err)
	r, lease, err := pgstore.Lead(ctx, store, crashLease, &sb.Config{})
	must(t, err)
	must(t, r.PutQueue(ctx, sb.Queue{ID: "billing", Name: "Billing"}))
	must(t, r.PutRoutingProfile(ctx, sb.RoutingProfile{ID: "tasks", Name: "Tasks",
		Concurrency: []sb.MediaConcurrency{{Channel: sb.ChannelTask, Concurrency: crashSlots}},
		Queues:      []sb.QueueConfig{{QueueID: "billing", Channel: sb.ChannelTask, Priority: 1}}}))
	for a := range crashAgents {
		must(t, r.PutAgent(ctx, sb.Agent{ID: fmt.Sprint("agent-", a), Name: "Agent", RoutingProfileID: "tasks", Status: sb.StatusAvailable}))
	}
	must(t, r.Close(ctx))
	must(t, lease.Release(ctx))

	acked := map[string]string{} // client token → task ID
	for round := range rounds {
		lines := runAndKill(t, schema, round, time.Duration(20+rng.IntN(280))*time.Millisecond)
		for _, l := range lines {
			var id, token string
			if _, err := fmt.Sscanf(l, "created %s %s", &id, &token); err == nil {
				acked[token] = id
			}
		}
		checkAfterCrash(t, pool, store, schema, acked)
		if t.Failed() {
			t.Fatalf("round %d failed (seed %d)", round, seed)
		}
	}
	if len(acked) < rounds {
		t.Fatalf("only %d tasks acknowledged in %d rounds: the child did not run under load", len(acked), rounds)
	}
	t.Logf("%d rounds, %d acknowledged tasks", rounds, len(acked))
}

// runAndKill starts the child, lets it run for d after it is ready, kill -9s
// it and returns the complete lines it printed.
func runAndKill(t *testing.T, schema string, round int, d time.Duration) []string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashChildVar+"="+schema, fmt.Sprint(crashRoundVar, "=", round))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	must(t, err)
	must(t, cmd.Start())
	var (
		lines []string
		ready = make(chan struct{})
		done  = make(chan struct{})
		once  sync.Once
	)
	go func() {
		defer close(done)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines = append(lines, sc.Text())
			once.Do(func() { close(ready) })
		}
	}()
	select {
	case <-ready:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatal("the child printed nothing in 30 s")
	}
	time.Sleep(d)
	must(t, cmd.Process.Kill()) // SIGKILL
	<-done
	cmd.Wait()
	// The scanner returns a last line cut by the kill as a line; a line is
	// complete only with its trailing field.
	var complete []string
	for _, l := range lines {
		if strings.Count(l, " ") == 2 && strings.HasSuffix(l, ".") {
			complete = append(complete, strings.TrimSuffix(l, "."))
		}
	}
	return complete
}

func checkAfterCrash(t *testing.T, pool *pgxpool.Pool, store *pgstore.Store, schema string, acked map[string]string) {
	t.Helper()
	ctx := context.Background()
	leadCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	r, lease, err := pgstore.Lead(leadCtx, store, crashLease, &sb.Config{})
	if err != nil {
		t.Fatalf("a new router over the crashed database: %v", err)
	}
	defer func() {
		must(t, r.Close(ctx))
		must(t, lease.Release(ctx))
	}()
	if err := r.Check(); err != nil {
		t.Errorf("invariants after the crash: %v", err)
	}
	for token, id := range acked {
		task, err := store.TaskByClientToken(ctx, token)
		if err != nil || task.ID != id {
			t.Errorf("acknowledged task %s (token %s): %v, %v", id, token, task, err)
		}
	}
	table := func(name string) string { return pgx.Identifier{schema, name}.Sanitize() }
	var dupes int
	must(t, pool.QueryRow(ctx, "SELECT count(*) FROM (SELECT client_token FROM "+table("tasks")+
		" WHERE client_token <> '' GROUP BY client_token HAVING count(*) > 1) d").Scan(&dupes))
	if dupes > 0 {
		t.Errorf("%d client tokens name more than one task", dupes)
	}
	snap, err := store.Load(ctx)
	must(t, err)
	held := map[string]int{}
	for _, task := range snap.OpenTasks {
		switch task.State {
		case sb.StateOffered, sb.StateConnected, sb.StatePaused, sb.StateAfterContactWork:
			held[task.AgentID]++
		}
	}
	for agent, n := range held {
		if n > crashSlots {
			t.Errorf("agent %s holds %d tasks, over its %d slots", agent, n, crashSlots)
		}
	}
	var n, lo, hi int64
	must(t, pool.QueryRow(ctx, "SELECT count(*), coalesce(min(seq), 0), coalesce(max(seq), 0) FROM "+table("events")).Scan(&n, &lo, &hi))
	if n > 0 && (lo != 1 || hi != n) {
		t.Errorf("the event log has gaps: %d events from %d to %d", n, lo, hi)
	}
	if snap.LastEventSeq < uint64(hi) {
		t.Errorf("LastEventSeq %d is below the outbox's last event %d", snap.LastEventSeq, hi)
	}
}

// crashChild is the child process: a router under load until it is killed.
// It prints "created <id> <token>." once CreateTask has returned.
func crashChild() {
	ctx := context.Background()
	fail := func(err error) {
		fmt.Fprintln(os.Stderr, "crash child:", err)
		os.Exit(2)
	}
	pool, err := pgxpool.New(ctx, os.Getenv(dsnVar))
	if err != nil {
		fail(err)
	}
	store, err := pgstore.Open(ctx, pool, &pgstore.Options{Schema: os.Getenv(crashChildVar)})
	if err != nil {
		fail(err)
	}
	r, _, err := pgstore.Lead(ctx, store, crashLease, &sb.Config{})
	if err != nil {
		fail(err)
	}
	round := os.Getenv(crashRoundVar)
	var mu sync.Mutex
	say := func(s string) {
		mu.Lock()
		os.Stdout.WriteString(s)
		mu.Unlock()
	}
	for p := range crashProducers {
		go func() {
			for i := 0; ; i++ {
				token := fmt.Sprintf("r%s-p%d-%d", round, p, i)
				task, err := r.CreateTask(ctx, sb.TaskInput{Name: "Call back", QueueID: "billing", ClientToken: token})
				if err == nil {
					say("created " + task.ID + " " + token + ".\n")
				}
				time.Sleep(time.Millisecond)
			}
		}()
	}
	for a := range crashAgents {
		agent := fmt.Sprint("agent-", a)
		go func() {
			for {
				tasks, _ := r.AgentTasks(agent)
				for _, task := range tasks {
					switch task.State {
					case sb.StateOffered:
						r.Accept(ctx, task.ID, agent)
					case sb.StateConnected:
						r.Complete(ctx, task.ID)
					case sb.StateAfterContactWork:
						r.CloseAfterContactWork(ctx, task.ID)
					}
				}
				time.Sleep(time.Millisecond)
			}
		}()
	}
	select {}
}
