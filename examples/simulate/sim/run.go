package sim

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/switchboard-go/switchboard"
	"github.com/switchboard-go/switchboard/connectors"
)

// Options are the run's knobs that do not change what is simulated.
type Options struct {
	Seed uint64
	// Progress receives a progress line (rewritten in place with \r) as
	// each simulated hour passes, and a newline at the end; nil: none.
	Progress io.Writer
	// MaxFinished bounds the finished tasks the in-memory store keeps
	// (switchboard.MemoryStore.MaxFinished); 0 keeps every one, which is
	// fastest (about 1 KB a task). Pruning costs time here: tasks created
	// by rules hold their ClientToken for 7 days, and the store looks at
	// such a task again on every write until then.
	MaxFinished int
	// Records receives every contact record (through a
	// switchboard.RecordBuilder on the router's event log); nil: records
	// are built and counted only.
	Records switchboard.RecordSink
	// Store is the router's store: nil runs on a new
	// switchboard.MemoryStore (bounded by MaxFinished). Another store (a
	// database adapter's, over an empty schema) gives the same report for
	// the same seed; MaxFinished does not apply to it.
	Store switchboard.Store
}

// Result is what a run leaves: the metrics aggregated from the router's
// event log, the queue-length samples and the counts the report prints.
type Result struct {
	Scenario   *Scenario
	Seed       uint64
	End        time.Time // the clock when the last task ended
	Tickets    int       // ticket events sent to the rules
	TaskIDs    []string  // tasks the rules created, in order
	Historical *switchboard.HistoricalMetrics
	Samples    []Sample
	Records    uint64 // contact records written
}

// Sample is the number of tasks waiting (QUEUED or OFFERED) in each
// queue, in the order of Scenario.Queues, at one instant.
type Sample struct {
	At      time.Time
	Waiting []int
}

type actionKind int

const (
	actStatus   actionKind = iota // set agent's status
	actComplete                   // the agent finishes handling task
	actClose                      // the agent closes after-contact work of task
	actSample                     // sample the queue lengths
)

// action is something the simulated people do at an instant; ties run in
// the order they were scheduled (seq), so a run is deterministic.
type action struct {
	at     time.Time
	seq    uint64
	kind   actionKind
	agent  string
	status switchboard.AgentStatus
	task   string
	queue  string
}

type agenda []action

func (a agenda) Len() int { return len(a) }
func (a agenda) Less(i, j int) bool {
	if c := a[i].at.Compare(a[j].at); c != 0 {
		return c < 0
	}
	return a[i].seq < a[j].seq
}
func (a agenda) Swap(i, j int) { a[i], a[j] = a[j], a[i] }
func (a *agenda) Push(x any)   { *a = append(*a, x.(action)) }
func (a *agenda) Pop() any {
	old := *a
	x := old[len(old)-1]
	*a = old[:len(old)-1]
	return x
}

// watch is the router's store (Options.Store or the in-memory store), plus
// a note of the tasks each successful write connected or ended. The router calls Write
// synchronously, inside the operation (or clock tick) that routed, so the
// simulator learns of every connection before its next step, at the
// connection's own time, without waiting on the asynchronous event log.
type watch struct {
	switchboard.Store
	mu        sync.Mutex
	connected []switchboard.Event
	ended     int
}

func (w *watch) Write(ctx context.Context, c *switchboard.Change) error {
	if err := w.Store.Write(ctx, c); err != nil {
		return err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, e := range c.Events {
		switch e.Type {
		case switchboard.EventTaskAccepted:
			w.connected = append(w.connected, e)
		case switchboard.EventTaskCompleted, switchboard.EventTaskExpired, switchboard.EventTaskStopped:
			w.ended++
		}
	}
	return nil
}

func (w *watch) take(buf []switchboard.Event) ([]switchboard.Event, int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	buf = append(buf[:0], w.connected...)
	w.connected = w.connected[:0]
	return buf, w.ended
}

// Run simulates sc. Tickets arrive until sc.Duration has passed; the run
// then goes on, without new tickets, until every task has ended (handled,
// or expired unanswered), so that every task is counted once.
func Run(ctx context.Context, sc *Scenario, o *Options) (*Result, error) {
	if o == nil {
		o = &Options{}
	}
	copied := *sc // the defaults below go into the Result's copy, not the caller's
	sc = &copied
	if sc.SampleEvery <= 0 {
		sc.SampleEvery = 5 * time.Minute
	}
	if sc.ServiceLevel == 0 {
		sc.ServiceLevel = 60 * time.Second
	}
	for _, q := range sc.Queues {
		if sc.Handle[q.ID] == nil {
			return nil, fmt.Errorf("sim: queue %q has no handle time (Scenario.Handle)", q.ID)
		}
	}
	if sc.Rate == nil || sc.MaxRate <= 0 || sc.Ticket == nil {
		return nil, errors.New("sim: Scenario needs Rate, a positive MaxRate and Ticket")
	}
	clock := switchboard.NewManualClock(sc.Start)
	statuses := append([]switchboard.AgentStatusDefinition(nil), sc.Statuses...)
	hm := switchboard.NewHistoricalMetrics(&switchboard.HistoricalOptions{AgentStatuses: statuses})
	var records uint64 // written on the builder's goroutine, read after Close
	rb := switchboard.NewRecordBuilder(switchboard.RecordSinkFunc(func(rec switchboard.ContactRecord) error {
		records++
		if o.Records != nil {
			return o.Records.WriteRecord(rec)
		}
		return nil
	}))
	store := &watch{Store: o.Store}
	if o.Store == nil {
		ms := switchboard.NewMemoryStore()
		ms.MaxFinished = o.MaxFinished
		if ms.MaxFinished == 0 {
			ms.MaxFinished = -1
		}
		store.Store = ms
	}
	n := 0
	cfg := &switchboard.Config{
		Clock: clock, Consumers: []switchboard.Consumer{hm, rb}, AgentStatuses: statuses,
		NewID: func() string { n++; return fmt.Sprintf("task-%06d", n) },
	}
	var flows *switchboard.FlowRunner
	if len(sc.Flows) > 0 {
		flows = switchboard.NewFlowRunner(&switchboard.FlowRunnerOptions{Workers: 1})
		for _, id := range slices.Sorted(maps.Keys(sc.Flows)) {
			if err := flows.PutFlow(id, sc.Flows[id]); err != nil {
				return nil, err
			}
		}
		cfg.Flows = flows
	}
	r, err := switchboard.NewRouter(ctx, store, cfg)
	if err != nil {
		return nil, err
	}
	closed := false
	defer func() {
		if !closed {
			if flows != nil {
				flows.Close(context.WithoutCancel(ctx))
			}
			r.Close(context.WithoutCancel(ctx))
		}
	}()
	if flows != nil {
		if err := flows.Bind(r); err != nil {
			return nil, err
		}
	}
	eng, err := switchboard.NewRuleEngine(sc.Rules, &switchboard.RuleEngineOptions{Clock: clock})
	if err != nil {
		return nil, err
	}
	if err := eng.Bind(r); err != nil {
		return nil, err
	}
	for _, q := range sc.Queues {
		if err := r.PutQueue(ctx, q); err != nil {
			return nil, err
		}
	}
	for _, p := range sc.Profiles {
		if err := r.PutRoutingProfile(ctx, p); err != nil {
			return nil, err
		}
	}
	var todo agenda
	var seq uint64
	plan := func(a action) {
		seq++
		a.seq = seq
		heap.Push(&todo, a)
	}
	for _, a := range sc.Agents {
		a.Agent.Status = switchboard.StatusOffline
		if err := r.PutAgent(ctx, a.Agent); err != nil {
			return nil, err
		}
		for _, s := range a.Shifts {
			start := sc.Start.Add(s.Start)
			plan(action{at: start, kind: actStatus, agent: a.ID, status: switchboard.StatusAvailable})
			for _, b := range s.Breaks {
				plan(action{at: start.Add(b.Start), kind: actStatus, agent: a.ID, status: b.Status})
				plan(action{at: start.Add(b.Start + b.Length), kind: actStatus, agent: a.ID, status: switchboard.StatusAvailable})
			}
			plan(action{at: sc.Start.Add(s.End), kind: actStatus, agent: a.ID, status: switchboard.StatusOffline})
		}
	}
	plan(action{at: sc.Start, kind: actSample})

	res := &Result{Scenario: sc, Seed: o.Seed, Historical: hm}
	work := rand.New(rand.NewPCG(o.Seed, 2))
	end := sc.Start.Add(sc.Duration)
	// Tickets are made and decoded ahead, on a goroutine of their own: they
	// depend only on their own random numbers, never on what the router
	// does, so the run stays deterministic, and the JSON work (a third of
	// it) runs beside the routing.
	tickets := make(chan ticket, 1024)
	stop := make(chan struct{})
	defer close(stop)
	go makeTickets(sc, rand.New(rand.NewPCG(o.Seed, 1)), end, tickets, stop)
	next, more := <-tickets
	var conns []switchboard.Event
	ended := 0
	progressAt := sc.Start.Add(time.Hour)
	progress := func(final bool) {
		if o.Progress == nil {
			return
		}
		fmt.Fprintf(o.Progress, "\rsimulated to %s: %d tickets, %d tasks, %d ended, %d open    ", clock.Now().Format("Jan 2 15:04"),
			res.Tickets, len(res.TaskIDs), ended, len(res.TaskIDs)-ended)
		if final {
			fmt.Fprintln(o.Progress)
		}
	}
	// after handles what the last step caused: connected tasks get their
	// handling time.
	after := func() {
		conns, ended = store.take(conns)
		for _, e := range conns {
			d := sc.Handle[e.QueueID](work)
			at := e.Time.Add(d)
			if now := clock.Now(); at.Before(now) {
				at = now
			}
			plan(action{at: at, kind: actComplete, task: e.TaskID, queue: e.QueueID})
		}
	}
	// ignoreEnded lets a planned step on a task that ended meanwhile (it
	// expired while connected) pass.
	ignoreEnded := func(id string, err error) error {
		if err == nil || !errors.Is(err, switchboard.ErrInvalidState) {
			return err
		}
		t, terr := r.Task(ctx, id)
		if terr == nil && t.State.Final() {
			return nil
		}
		return err
	}
	for {
		arriving := more
		if !arriving && ended == len(res.TaskIDs) {
			break
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		// The sample action plans the next one, so the agenda is never empty
		// and the clock keeps moving while tasks wait for agents or expiry.
		if arriving && next.at.Before(todo[0].at) {
			clock.Set(next.at)
			after()
			res.Tickets++
			if next.err != nil {
				return nil, fmt.Errorf("ticket %d: %w", res.Tickets, next.err)
			}
			out, err := eng.Evaluate(ctx, next.ev)
			if err != nil {
				return nil, fmt.Errorf("ticket %d: %w", res.Tickets, err)
			}
			for _, c := range out.Created {
				res.TaskIDs = append(res.TaskIDs, c.Task.ID)
			}
			if flows != nil {
				// The flows finish at this instant, before anything else
				// happens: the run stays deterministic.
				if err := flows.Wait(ctx); err != nil {
					return nil, err
				}
			}
			after()
			next, more = <-tickets
		} else {
			a := heap.Pop(&todo).(action)
			clock.Set(a.at)
			after()
			switch a.kind {
			case actStatus:
				err = r.SetAgentStatus(ctx, a.agent, a.status)
			case actComplete:
				if err = ignoreEnded(a.task, r.Complete(ctx, a.task)); err == nil {
					if acw, ok := sc.ACW[a.queue]; ok {
						plan(action{at: a.at.Add(acw(work)), kind: actClose, task: a.task})
					} else {
						err = ignoreEnded(a.task, r.CloseAfterContactWork(ctx, a.task))
					}
				}
			case actClose:
				err = ignoreEnded(a.task, r.CloseAfterContactWork(ctx, a.task))
			case actSample:
				var st switchboard.Stats
				if st, err = r.Stats(); err == nil {
					s := Sample{At: a.at, Waiting: make([]int, len(sc.Queues))}
					for i, q := range sc.Queues {
						s.Waiting[i] = st.QueuedByQueue[q.ID]
					}
					res.Samples = append(res.Samples, s)
					plan(action{at: a.at.Add(sc.SampleEvery), kind: actSample})
				}
			}
			if err != nil {
				return nil, fmt.Errorf("%s: %w", a.at.Format(time.RFC3339), err)
			}
			after()
		}
		for !clock.Now().Before(progressAt) {
			progress(false)
			progressAt = progressAt.Add(time.Hour)
		}
	}
	res.End = clock.Now()
	closed = true
	if flows != nil {
		if err := flows.Close(ctx); err != nil {
			return nil, err
		}
	}
	if err := r.Close(ctx); err != nil { // waits until the metrics and records took every event
		return nil, err
	}
	progress(true)
	if _, failed := rb.Written(); failed > 0 {
		return nil, fmt.Errorf("%d contact records not written: %w", failed, rb.Err())
	}
	res.Records = records
	return res, nil
}

// ticket is an arrival: a Zendesk event, decoded by the connector.
type ticket struct {
	at  time.Time
	ev  switchboard.RuleEvent
	err error
}

// makeTickets sends the tickets of the run, in order, until end; then it
// closes out. Arrivals are drawn at MaxRate and each kept with probability
// Rate/MaxRate (thinning), which makes a Poisson process of rate Rate.
func makeTickets(sc *Scenario, rng *rand.Rand, end time.Time, out chan<- ticket, stop <-chan struct{}) {
	defer close(out)
	at := sc.Start
	for n := 1; ; n++ {
		for {
			at = at.Add(time.Duration(rng.ExpFloat64() / sc.MaxRate * float64(time.Second)))
			if !at.Before(end) {
				return
			}
			if rng.Float64()*sc.MaxRate < sc.Rate(at.Sub(sc.Start)) {
				break
			}
		}
		ev, err := connectors.DecodeZendesk(sc.Ticket(rng, n, at))
		select {
		case out <- ticket{at: at, ev: ev, err: err}:
		case <-stop:
			return
		}
	}
}
