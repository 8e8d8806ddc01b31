package switchboard

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// A supervisor opens the admin screen: every queue, routing profile and
// agent, in ID order, as copies the screen may scribble on.
func TestListConfigurationSortedByID(t *testing.T) {
	b := newBench(t, nil)
	b.queue("claims")
	b.queue("billing")
	b.profile("tier2", 1, "claims")
	b.profile("tier1", 2, "billing", "claims")
	b.agent("cleo", "tier2")
	b.agent("ana", "tier1", Proficiency{Name: "Language", Value: "French", Level: 4})
	b.put(Agent{ID: "ben", RoutingProfileID: "tier1", Status: StatusOffline})

	agents, err := b.r.ListAgents()
	b.must(err)
	if got, want := agentIDs(agents), []string{"ana", "ben", "cleo"}; !slices.Equal(got, want) {
		t.Errorf("ListAgents: %q, want %q", got, want)
	}
	if agents[1].Status != StatusOffline || agents[0].Proficiencies[0].Value != "French" {
		t.Errorf("ListAgents lost fields: %+v", agents[:2])
	}
	agents[0].Proficiencies[0].Value = "Klingon" // a copy: the router keeps French
	if a := b.agentNow("ana"); a.Proficiencies[0].Value != "French" {
		t.Errorf("changing a listed agent changed the router: %+v", a.Proficiencies)
	}

	queues, err := b.r.ListQueues()
	b.must(err)
	var qids []string
	for _, q := range queues {
		qids = append(qids, q.ID)
	}
	if want := []string{"billing", "claims"}; !slices.Equal(qids, want) {
		t.Errorf("ListQueues: %q, want %q", qids, want)
	}

	profiles, err := b.r.ListRoutingProfiles()
	b.must(err)
	var pids []string
	for _, p := range profiles {
		pids = append(pids, p.ID)
	}
	if want := []string{"tier1", "tier2"}; !slices.Equal(pids, want) {
		t.Errorf("ListRoutingProfiles: %q, want %q", pids, want)
	}

	q, err := b.r.Queue("claims")
	b.must(err)
	if diff := cmp.Diff(&Queue{ID: "claims", Name: "claims"}, q); diff != "" {
		t.Errorf("Queue(claims) (-want +got):\n%s", diff)
	}
	p, err := b.r.RoutingProfile("tier1")
	b.must(err)
	want := &RoutingProfile{
		ID:          "tier1",
		Concurrency: []MediaConcurrency{{Channel: ChannelTask, Concurrency: 2, CrossChannel: CurrentChannelOnly}},
		Queues: []QueueConfig{
			{QueueID: "billing", Channel: ChannelTask, Priority: 1},
			{QueueID: "claims", Channel: ChannelTask, Priority: 1},
		},
	}
	if diff := cmp.Diff(want, p); diff != "" {
		t.Errorf("RoutingProfile(tier1) (-want +got):\n%s", diff)
	}
	if _, err := b.r.Queue("refunds"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Queue(refunds): %v, want ErrNotFound", err)
	}
	if _, err := b.r.RoutingProfile("tier9"); !errors.Is(err, ErrNotFound) {
		t.Errorf("RoutingProfile(tier9): %v, want ErrNotFound", err)
	}
}

// The same staff walked with the iterators, while the loop body itself
// calls the router (which it can, since no lock is held while it runs) and
// hires an agent whose ID sorts last: the walk neither deadlocks nor shows
// the newcomer twice.
func TestIteratorsWalkWithoutHoldingTheRouter(t *testing.T) {
	b := newBench(t, nil)
	b.queue("billing")
	b.profile("desk", 1, "billing")
	var want []string
	for i := range 250 { // more than two pages of walkPage
		id := fmt.Sprintf("agent-%03d", i)
		b.agent(id, "desk")
		want = append(want, id)
	}
	var got []string
	for a, err := range b.r.Agents() {
		b.must(err)
		got = append(got, a.ID)
		if a.ID == "agent-100" {
			b.agent("zed", "desk")                      // added during the walk: not yielded
			b.must(b.r.DeleteAgent(b.ctx, "agent-249")) // deleted before its page: skipped
		}
		if _, err := b.r.Agent(a.ID); err != nil {
			t.Fatalf("Agent(%q) inside the loop: %v", a.ID, err)
		}
	}
	if want := want[:249]; !slices.Equal(got, want) {
		t.Errorf("Agents walked %d agents (%q...), want %d", len(got), got[:3], len(want))
	}
	n := 0
	for q, err := range b.r.Queues() {
		b.must(err)
		if q.ID != "billing" {
			t.Errorf("Queues yielded %q", q.ID)
		}
		n++
	}
	for p, err := range b.r.RoutingProfiles() {
		b.must(err)
		if p.ID != "desk" {
			t.Errorf("RoutingProfiles yielded %q", p.ID)
		}
		n++
	}
	if n != 2 {
		t.Errorf("Queues and RoutingProfiles yielded %d values, want 2", n)
	}
	// Breaking out early is allowed and stops the walk.
	for range b.r.Agents() {
		break
	}
}

// officeMorning is the world of the filter stories, on a Tuesday at 09:00:
//
//	t1, t2  billing, offered to ana (desk of 2); ana accepts t1
//	t3      billing, queued: ana is full
//	t4      claims, CHAT, queued: nobody works claims
//	t5, t6  ben's agent queue (ben is offline); t6 at priority 1 goes first
//	t7      claims, scheduled for 10:00
//	t8      ben's agent queue, scheduled for 10:00
func officeMorning(t *testing.T) *bench {
	b := newBench(t, nil)
	b.queue("billing")
	b.queue("claims")
	b.profile("desk", 2, "billing")
	b.agent("ana", "desk")
	b.put(Agent{ID: "ben", RoutingProfileID: "desk", Status: StatusOffline})
	b.create(TaskInput{QueueID: "billing", Attributes: map[string]string{"caseId": "141", "tier": "gold"}})
	b.create(TaskInput{QueueID: "billing", Attributes: map[string]string{"caseId": "141"}})
	b.create(TaskInput{QueueID: "billing", Attributes: map[string]string{"caseId": "142"}})
	b.create(TaskInput{QueueID: "claims", Channel: ChannelChat, Attributes: map[string]string{"caseId": "141", "tier": "gold"}})
	b.create(TaskInput{AgentID: "ben"})
	b.create(TaskInput{AgentID: "ben", Priority: 1})
	b.create(TaskInput{QueueID: "claims", ScheduledAt: t0.Add(time.Hour)})
	b.create(TaskInput{AgentID: "ben", ScheduledAt: t0.Add(time.Hour)})
	b.must(b.r.Accept(b.ctx, "t1", "ana"))
	b.wantState("t1", StateConnected, "ana")
	b.wantState("t2", StateOffered, "ana")
	return b
}

// Each filter of ListTasks, alone and combined, on the morning's work.
func TestListTasksFilters(t *testing.T) {
	b := officeMorning(t)
	for _, tc := range []struct {
		name string
		q    TaskQuery
		want []string
	}{
		{"everything open", TaskQuery{}, ids("t1", "t2", "t3", "t4", "t5", "t6", "t7", "t8")},
		{"waiting", TaskQuery{States: []TaskState{StateQueued}}, ids("t3", "t4", "t5", "t6")},
		{"being handled", TaskQuery{States: []TaskState{StateOffered, StateConnected}}, ids("t1", "t2")},
		{"scheduled", TaskQuery{States: []TaskState{StateScheduled}}, ids("t7", "t8")},
		{"billing", TaskQuery{QueueID: "billing"}, ids("t1", "t2", "t3")},
		{"billing, waiting (walks the lanes)", TaskQuery{QueueID: "billing", States: []TaskState{StateQueued}}, ids("t3")},
		{"claims, waiting, TASK channel", TaskQuery{QueueID: "claims", States: []TaskState{StateQueued}, Channel: ChannelTask}, nil},
		{"claims, waiting, CHAT channel", TaskQuery{QueueID: "claims", States: []TaskState{StateQueued}, Channel: ChannelChat}, ids("t4")},
		{"claims, any state", TaskQuery{QueueID: "claims"}, ids("t4", "t7")},
		{"ana's work", TaskQuery{AgentID: "ana"}, ids("t1", "t2")},
		{"ana's connected work", TaskQuery{AgentID: "ana", States: []TaskState{StateConnected}}, ids("t1")},
		{"ben's agent queue, scheduled included", TaskQuery{AgentID: "ben"}, ids("t5", "t6", "t8")},
		{"ben's agent queue, waiting", TaskQuery{AgentID: "ben", States: []TaskState{StateQueued}}, ids("t5", "t6")},
		{"ana in claims", TaskQuery{AgentID: "ana", QueueID: "claims"}, nil},
		{"CHAT", TaskQuery{Channel: ChannelChat}, ids("t4")},
		{"a queue that does not exist", TaskQuery{QueueID: "refunds"}, nil},
		{"a queue that does not exist, waiting", TaskQuery{QueueID: "refunds", States: []TaskState{StateQueued}}, nil},
		{"an agent who does not exist", TaskQuery{AgentID: "zoe"}, nil},
		{"case 141", TaskQuery{Attributes: map[string]string{"caseId": "141"}}, ids("t1", "t2", "t4")},
		{"case 141, gold", TaskQuery{Attributes: map[string]string{"caseId": "141", "tier": "gold"}}, ids("t1", "t4")},
		{"case 141 in claims", TaskQuery{QueueID: "claims", Attributes: map[string]string{"caseId": "141"}}, ids("t4")},
		{"case 141, waiting", TaskQuery{States: []TaskState{StateQueued}, Attributes: map[string]string{"caseId": "141"}}, ids("t4")},
		{"a case with no tasks", TaskQuery{Attributes: map[string]string{"caseId": "999"}}, nil},
	} {
		page, err := b.r.ListTasks(tc.q)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if got := taskIDs(page.Tasks); !slices.Equal(got, tc.want) || page.NextToken != "" {
			t.Errorf("%s: %q next %q, want %q and no next page", tc.name, got, page.NextToken, tc.want)
		}
		var walked []string
		for task, err := range b.r.Tasks(tc.q) {
			b.must(err)
			walked = append(walked, task.ID)
		}
		if !slices.Equal(walked, tc.want) {
			t.Errorf("%s: Tasks walked %q, want %q", tc.name, walked, tc.want)
		}
	}

	// At 10:00 the scheduled tasks join their queues and a finished task
	// leaves every listing.
	b.clock.Advance(time.Hour)
	b.handle("t1")
	page, err := b.r.ListTasks(TaskQuery{AgentID: "ben", States: []TaskState{StateQueued}})
	b.must(err)
	if got, want := taskIDs(page.Tasks), ids("t5", "t6", "t8"); !slices.Equal(got, want) {
		t.Errorf("ben's queue after 10:00: %q, want %q", got, want)
	}
	page, err = b.r.ListTasks(TaskQuery{})
	b.must(err)
	if got, want := taskIDs(page.Tasks), ids("t2", "t3", "t4", "t5", "t6", "t7", "t8"); !slices.Equal(got, want) {
		t.Errorf("open after t1 was handled: %q, want %q", got, want)
	}
}

// QueuedTasks answers for an agent's own agent queue too, in the order the
// agent will be offered the tasks: priority first, then age.
func TestQueuedTasksOfAnAgentQueue(t *testing.T) {
	b := officeMorning(t)
	if got, want := b.queuedIDs("ben"), ids("t6", "t5"); !slices.Equal(got, want) {
		t.Errorf("QueuedTasks(ben) = %q, want %q", got, want)
	}
	if got := b.queuedIDs("ana"); len(got) != 0 {
		t.Errorf("QueuedTasks(ana) = %q, want none", got)
	}
	if got, want := b.queuedIDs("billing"), ids("t3"); !slices.Equal(got, want) {
		t.Errorf("QueuedTasks(billing) = %q, want %q", got, want)
	}
	if _, err := b.r.QueuedTasks("zoe"); !errors.Is(err, ErrNotFound) {
		t.Errorf("QueuedTasks(zoe): %v, want ErrNotFound", err)
	}
	// Ben comes online and is offered his agent queue in exactly that order.
	b.sub.Drain()
	b.status("ben", StatusAvailable)
	b.wantOffers("t6>ben", "t5>ben")
}

// Twelve waiting tasks walked a page at a time with several page sizes: every
// task once, in creation order, with a NextToken on every page but the last.
func TestListTasksPaging(t *testing.T) {
	b := newBench(t, nil)
	b.queue("billing")
	var all []string
	for range 12 {
		all = append(all, b.create(TaskInput{QueueID: "billing"}).ID)
	}
	for _, size := range []int{1, 2, 7, 100} {
		for _, q := range []TaskQuery{{}, {QueueID: "billing", States: []TaskState{StateQueued}}} {
			q.PageSize = size
			var got []string
			pages := 0
			for {
				page, err := b.r.ListTasks(q)
				b.must(err)
				pages++
				if len(page.Tasks) > size {
					t.Fatalf("page size %d: page of %d", size, len(page.Tasks))
				}
				got = append(got, taskIDs(page.Tasks)...)
				if page.NextToken == "" {
					break
				}
				q.NextToken = page.NextToken
			}
			if !slices.Equal(got, all) {
				t.Errorf("page size %d, %+v: walked %q, want %q", size, q, got, all)
			}
			if want := (12 + size - 1) / size; pages != want {
				t.Errorf("page size %d: %d pages, want %d", size, pages, want)
			}
		}
	}
	// The default page is 50 tasks: with 60, the first page says there is more.
	for range 48 {
		b.create(TaskInput{QueueID: "billing"})
	}
	page, err := b.r.ListTasks(TaskQuery{})
	b.must(err)
	if len(page.Tasks) != DefaultTaskPageSize || page.NextToken == "" {
		t.Errorf("default page: %d tasks, next %q; want 50 and a next page", len(page.Tasks), page.NextToken)
	}
	page, err = b.r.ListTasks(TaskQuery{NextToken: page.NextToken})
	b.must(err)
	if len(page.Tasks) != 10 || page.Tasks[0].ID != "t51" || page.NextToken != "" {
		t.Errorf("second default page: %q next %q, want t51..t60 and no next page", taskIDs(page.Tasks), page.NextToken)
	}
}

// A host that sends a page size outside 1..100, a state that is not open, an
// unknown channel, or a token it made up or took from another query, gets a
// *ValidationError naming the field.
func TestListTasksRejectsBadInput(t *testing.T) {
	b := officeMorning(t)
	page, err := b.r.ListTasks(TaskQuery{QueueID: "billing", PageSize: 1})
	b.must(err)
	billingToken := page.NextToken
	for _, tc := range []struct {
		q     TaskQuery
		field string
	}{
		{TaskQuery{PageSize: -1}, "PageSize"},
		{TaskQuery{PageSize: 101}, "PageSize"},
		{TaskQuery{States: []TaskState{StateQueued, StateCompleted}}, "States[1]"},
		{TaskQuery{States: []TaskState{"WAITING"}}, "States[0]"},
		{TaskQuery{Channel: "FAX"}, "Channel"},
		{TaskQuery{NextToken: "garbage!"}, "NextToken"},
		{TaskQuery{NextToken: "AAAA"}, "NextToken"},
		{TaskQuery{QueueID: "claims", NextToken: billingToken}, "NextToken"},
		{TaskQuery{QueueID: "billing", States: []TaskState{StateQueued}, NextToken: billingToken}, "NextToken"},
		{TaskQuery{QueueID: "billing", Attributes: map[string]string{"caseId": "141"}, NextToken: billingToken}, "NextToken"},
		{TaskQuery{Attributes: map[string]string{"case id": "141"}}, "Attributes[case id]"},
	} {
		_, err := b.r.ListTasks(tc.q)
		var ve *ValidationError
		if !errors.As(err, &ve) || ve.Field != tc.field || !errors.Is(err, ErrValidation) {
			t.Errorf("ListTasks(%+v): %v, want a *ValidationError for %s", tc.q, err, tc.field)
		}
		var n int
		for _, err := range b.r.Tasks(tc.q) {
			if !errors.As(err, &ve) {
				t.Errorf("Tasks(%+v) yielded %v, want a *ValidationError", tc.q, err)
			}
			n++
		}
		if n != 1 {
			t.Errorf("Tasks(%+v) yielded %d values, want one error", tc.q, n)
		}
	}
	// The billing token goes on with billing, also with another page size.
	page, err = b.r.ListTasks(TaskQuery{QueueID: "billing", PageSize: 100, NextToken: billingToken})
	b.must(err)
	if got, want := taskIDs(page.Tasks), ids("t2", "t3"); !slices.Equal(got, want) {
		t.Errorf("billing after its token: %q, want %q", got, want)
	}
}

// After Close every listing says ErrClosed, and the iterators yield it once.
func TestListAfterCloseReturnsErrClosed(t *testing.T) {
	b := officeMorning(t)
	b.must(b.r.Close(context.Background()))
	r := b.r
	second := func(_ any, err error) error { return err }
	for _, tc := range []struct {
		name string
		err  error
	}{
		{"ListAgents", second(r.ListAgents())},
		{"ListQueues", second(r.ListQueues())},
		{"ListRoutingProfiles", second(r.ListRoutingProfiles())},
		{"Queue", second(r.Queue("billing"))},
		{"RoutingProfile", second(r.RoutingProfile("desk"))},
		{"ListTasks", second(r.ListTasks(TaskQuery{}))},
		{"QueuedTasks(agent)", second(r.QueuedTasks("ben"))},
		{"Agents", firstErr(r.Agents())},
		{"Queues", firstErr(r.Queues())},
		{"RoutingProfiles", firstErr(r.RoutingProfiles())},
		{"Tasks", firstErr(r.Tasks(TaskQuery{}))},
	} {
		if !errors.Is(tc.err, ErrClosed) {
			t.Errorf("%s after Close: %v, want ErrClosed", tc.name, tc.err)
		}
	}
}

// A busy afternoon: three goroutines keep creating tasks in billing and
// claims, an agent keeps taking and finishing billing work, and another
// goroutine stops tasks at random, while a supervisor's screen pages through
// the open tasks with small pages. No task appears twice in one walk, and
// every task that was open from the start to the end of the walk appears.
func TestListTasksPagingUnderConcurrentChange(t *testing.T) {
	b := newBench(t, nil)
	b.queue("billing")
	b.queue("claims")
	b.profile("desk", 3, "billing")
	b.agent("ana", "desk")
	for range 40 {
		b.create(TaskInput{QueueID: "billing"})
		b.create(TaskInput{QueueID: "claims"})
	}
	ctx := b.ctx
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	var created []string // tasks the creators made, for the stopper
	workers := 0
	worker := func(f func(rng *rand.Rand)) {
		workers++
		rng := rand.New(rand.NewPCG(uint64(workers), 7))
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				f(rng)
			}
		}()
	}
	// Creators spend a budget refilled before each walk: a walk only ends
	// once it catches up with the newest task, so creation must not outrun it.
	budget := make(chan struct{}, 64)
	for _, q := range []string{"billing", "claims", "claims"} {
		worker(func(*rand.Rand) {
			select {
			case <-budget:
			case <-stop:
				return
			}
			task, err := b.r.CreateTask(ctx, TaskInput{Name: "follow up", QueueID: q})
			if err != nil {
				t.Errorf("CreateTask: %v", err)
				return
			}
			mu.Lock()
			created = append(created, task.ID)
			mu.Unlock()
		})
	}
	worker(func(*rand.Rand) { // ana works
		ts, err := b.r.AgentTasks("ana")
		if err != nil {
			t.Errorf("AgentTasks: %v", err)
			return
		}
		for _, task := range ts {
			// Each step may race with the stopper: ignore state errors.
			_ = b.r.Accept(ctx, task.ID, "ana")
			_ = b.r.Complete(ctx, task.ID)
			_ = b.r.CloseAfterContactWork(ctx, task.ID)
		}
	})
	worker(func(rng *rand.Rand) { // the stopper
		mu.Lock()
		var id string
		if len(created) > 0 {
			id = created[rng.IntN(len(created))]
		}
		mu.Unlock()
		if id != "" {
			if err := b.r.Stop(ctx, id); err != nil && !errors.Is(err, ErrInvalidState) {
				t.Errorf("Stop(%s): %v", id, err)
			}
		}
	})

	walks, changed := 0, 0
	for _, q := range []TaskQuery{
		{PageSize: 1}, {PageSize: 3}, {PageSize: 7},
		{QueueID: "claims", PageSize: 2}, {QueueID: "billing", PageSize: 5},
		{PageSize: 100},
	} {
		for range 3 {
			before := openIDs(b.r, q.QueueID)
			for range 30 {
				budget <- struct{}{}
			}
			// Let the creators start before walking, so that tasks come
			// and go during the walk however the machine schedules us.
			for wait := time.Now().Add(10 * time.Second); len(budget) == 30 && time.Now().Before(wait); {
				runtime.Gosched()
			}
			seen := map[string]int{}
			last := uint64(0)
			for task, err := range b.r.Tasks(q) {
				b.must(err)
				seen[task.ID]++
				if task.Sequence <= last {
					t.Errorf("%+v: task %s (sequence %d) after sequence %d", q, task.ID, task.Sequence, last)
				}
				last = task.Sequence
				if q.QueueID != "" && task.QueueID != q.QueueID {
					t.Errorf("%+v: task %s is in %q", q, task.ID, task.QueueID)
				}
			}
			after := openIDs(b.r, q.QueueID)
			for id, n := range seen {
				if n > 1 {
					t.Errorf("%+v: task %s seen %d times", q, id, n)
				}
			}
			for id := range before {
				if after[id] && seen[id] == 0 {
					t.Errorf("%+v: task %s was open for the whole walk and skipped", q, id)
				}
			}
			walks++
			if !maps.Equal(before, after) {
				changed++
			}
		}
	}
	close(stop)
	wg.Wait()
	if walks != 18 || changed == 0 {
		t.Errorf("%d walks, %d of them while tasks came and went; want 18, most of them", walks, changed)
	}
	t.Logf("%d of %d walks overlapped changes", changed, walks)
}

// openIDs returns the IDs of the open tasks (of a queue, if not empty),
// straight from the router's index.
func openIDs(r *Router, queueID string) map[string]bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]bool{}
	for id, e := range r.tasks {
		if queueID == "" || e.t.QueueID == queueID {
			out[id] = true
		}
	}
	return out
}

func ids(s ...string) []string { return s }

func taskIDs(ts []*Task) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.ID)
	}
	return out
}

func agentIDs(as []*Agent) []string {
	var out []string
	for _, a := range as {
		out = append(out, a.ID)
	}
	return out
}

// firstErr returns the error of an iterator's first value.
func firstErr[T any](seq func(yield func(T, error) bool)) error {
	for _, err := range seq {
		return err
	}
	return nil
}
