package switchboard_test

import (
	"container/heap"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"github.com/switchboard-go/switchboard"
)

// erlangC returns the probability that an arrival waits in an M/M/c queue
// with offered load a = λ/μ erlangs.
func erlangC(c int, a float64) float64 {
	// Erlang B by the stable recurrence, then C from B.
	b := 1.0
	for k := 1; k <= c; k++ {
		b = a * b / (float64(k) + a*b)
	}
	rho := a / float64(c)
	return b / (1 - rho*(1-b))
}

// completion is a task an agent will finish at a time.
type completion struct {
	at   time.Time
	task string
}

type completions []completion

func (c completions) Len() int           { return len(c) }
func (c completions) Less(i, j int) bool { return c[i].at.Before(c[j].at) }
func (c completions) Swap(i, j int)      { c[i], c[j] = c[j], c[i] }
func (c *completions) Push(x any)        { *c = append(*c, x.(completion)) }
func (c *completions) Pop() any {
	old := *c
	x := old[len(old)-1]
	*c = old[:len(old)-1]
	return x
}

// simulateMMC drives a router as an M/M/c queue: one queue, c agents on a
// profile of concurrency 1 who auto-accept, Poisson arrivals at lambda per
// second, exponential handle times of mean 1/mu seconds, no after-contact
// work. It returns the HistoricalMetrics' TOTAL over the run, warm-up
// excluded.
func simulateMMC(t *testing.T, seed uint64, c int, lambda, mu float64, tasks, warmup int) switchboard.HistoricalValues {
	t.Helper()
	ctx := context.Background()
	start := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	clock := switchboard.NewManualClock(start)
	hm := switchboard.NewHistoricalMetrics(nil)
	r, err := switchboard.NewRouter(ctx, switchboard.NewMemoryStore(), &switchboard.Config{Clock: clock, Consumers: []switchboard.Consumer{hm}})
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(r.PutQueue(ctx, switchboard.Queue{ID: "q", Name: "q"}))
	must(r.PutRoutingProfile(ctx, switchboard.RoutingProfile{ID: "p", Concurrency: []switchboard.MediaConcurrency{{Channel: switchboard.ChannelTask, Concurrency: 1}},
		Queues: []switchboard.QueueConfig{{QueueID: "q", Priority: 1}}}))
	for i := range c {
		must(r.PutAgent(ctx, switchboard.Agent{ID: fmt.Sprint("a", i), RoutingProfileID: "p", Status: switchboard.StatusAvailable,
			AutoAccept: []switchboard.Channel{switchboard.ChannelTask}}))
	}
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	exp := func(rate float64) time.Duration { return time.Duration(rng.ExpFloat64() / rate * float64(time.Second)) }
	var due completions
	connected := func(task *switchboard.Task) {
		if task != nil && task.State == switchboard.StateConnected {
			heap.Push(&due, completion{clock.Now().Add(exp(mu)), task.ID})
		}
	}
	nextArrival := start.Add(exp(lambda))
	var measureFrom time.Time
	for created := 0; created < tasks || due.Len() > 0; {
		if created < tasks && (due.Len() == 0 || nextArrival.Before(due[0].at)) {
			clock.Set(nextArrival)
			if created == warmup {
				measureFrom = clock.Now()
			}
			task, err := r.CreateTask(ctx, switchboard.TaskInput{Name: "t", QueueID: "q"})
			must(err)
			created++
			now, err := r.Task(ctx, task.ID) // CreateTask returns the task as created, before routing
			must(err)
			connected(now)
			nextArrival = nextArrival.Add(exp(lambda))
			continue
		}
		d := heap.Pop(&due).(completion)
		clock.Set(d.at)
		done, err := r.Task(ctx, d.task)
		must(err)
		must(r.Complete(ctx, d.task))
		must(r.CloseAfterContactWork(ctx, d.task))
		// The agent takes the next waiting task at once.
		held, err := r.AgentTasks(done.AgentID)
		must(err)
		for _, h := range held {
			connected(h)
		}
	}
	must(r.Close(ctx)) // waits until the metrics took every event
	res, err := hm.Query(switchboard.HistoricalQuery{Start: measureFrom.Truncate(15 * time.Minute).Add(15 * time.Minute)})
	must(err)
	if len(res) != 1 {
		t.Fatalf("%d results", len(res))
	}
	return res[0].Values
}

// TestErlangC checks the simulated service level at 20 s and average wait
// against Erlang C, queueing theory's closed form for M/M/c. The run is
// deterministic (seeded random numbers on the manual clock); SWITCHBOARD_LONG=1
// runs ten times as many tasks. Under -race, where the router is about
// fifteen times slower, it runs an eighth of the tasks and allows three times
// the error (the standard error grows by √8); the tolerances of the issue (2
// points, 5 %) hold for the full run without -race.
func TestErlangC(t *testing.T) {
	scale, div, slack := 1, 1, 1.0
	if os.Getenv("SWITCHBOARD_LONG") != "" {
		scale = 10
	}
	if metricsRace {
		div, slack = 8, 3
	}
	for _, c := range []struct {
		name   string
		agents int
		lambda float64 // arrivals per second
		aht    float64 // mean handle time, seconds
		tasks  int
	}{
		{"c=2 ρ=0.75", 2, 1.0 / 20, 30, 100000},
		{"c=5 ρ=0.80", 5, 1.0 / 7.5, 30, 100000},
		{"c=10 ρ=0.90", 10, 1.0 / 6, 54, 200000},
	} {
		t.Run(c.name, func(t *testing.T) {
			mu := 1 / c.aht
			a := c.lambda / mu
			pw := erlangC(c.agents, a)
			gap := float64(c.agents)*mu - c.lambda
			wantWait := pw / gap
			wantSL := 100 * (1 - pw*math.Exp(-gap*20))
			n := c.tasks * scale / div
			if metricsRace && c.agents == 2 {
				n *= 2 // two agents: long busy periods, the slowest to converge
			}
			v := simulateMMC(t, 1, c.agents, c.lambda, mu, n, n/20)
			sl, exact, ok := v.ServiceLevel(20 * time.Second)
			wait, _ := v.AvgQueueAnswerTime()
			occ, _ := v.AgentOccupancy()
			t.Logf("%d tasks measured: SL20 %.2f%% (Erlang C %.2f%%), average wait %.2fs (Erlang C %.2fs), occupancy %.1f%% (ρ %.1f%%)",
				v.ContactsQueued, sl, wantSL, wait.Seconds(), wantWait, occ, 100*a/float64(c.agents))
			if !ok || !exact || math.Abs(sl-wantSL) > 2*slack {
				t.Errorf("SERVICE_LEVEL 20 s = %.2f%%, Erlang C says %.2f%% (±%.0f points)", sl, wantSL, 2*slack)
			}
			if math.Abs(wait.Seconds()-wantWait) > 0.05*slack*wantWait {
				t.Errorf("AVG_QUEUE_ANSWER_TIME = %.2fs, Erlang C says %.2fs (±%.0f%%)", wait.Seconds(), wantWait, 5*slack)
			}
		})
	}
}
