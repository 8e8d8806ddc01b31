package switchboard

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/google/go-cmp/cmp"
)

// nextNow takes one event that must already be waiting.
func nextNow(t *testing.T, s *Subscription) (Event, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return s.Next(ctx)
}

func eventTypes(es []Event) []EventType {
	out := make([]EventType, len(es))
	for i, e := range es {
		out[i] = e.Type
	}
	return out
}

// Events arrive in order with consecutive Seq, and every subscription sees
// the same numbering.
func TestSubscriptionOrderAndSeq(t *testing.T) {
	b := newBench(t, nil)
	b.queue("q")
	b.profile("p", 1, "q")
	sub := b.r.Subscribe(nil)
	defer sub.Close()

	b.agent("ana", "p")
	b.create(TaskInput{QueueID: "q"})
	b.clock.Advance(time.Second)
	b.must(b.r.Accept(b.ctx, "t1", "ana"))
	b.must(b.r.Complete(b.ctx, "t1"))
	b.must(b.r.CloseAfterContactWork(b.ctx, "t1"))

	var got []Event
	for sub.Pending() > 0 {
		e, err := nextNow(t, sub)
		b.must(err)
		got = append(got, e)
	}
	want := []EventType{
		EventAgentUpdated,
		EventTaskCreated, EventTaskQueued, EventTaskOffered,
		EventTaskAccepted, EventTaskAfterContactWork, EventTaskCompleted,
	}
	if diff := cmp.Diff(want, eventTypes(got)); diff != "" {
		t.Fatalf("event types (-want +got):\n%s", diff)
	}
	for i, e := range got {
		if i > 0 && e.Seq != got[i-1].Seq+1 {
			t.Errorf("event %d has Seq %d after %d", i, e.Seq, got[i-1].Seq)
		}
		if e.Time.IsZero() {
			t.Errorf("event %d (%s) has no Time", i, e.Type)
		}
	}
	if got[0].AgentID != "ana" || got[0].Status != StatusAvailable {
		t.Errorf("agent event = %+v", got[0])
	}
	if e := got[3]; e.TaskID != "t1" || e.AgentID != "ana" || e.QueueID != "q" || e.State != StateOffered || !e.Time.Equal(t0) {
		t.Errorf("offer event = %+v", e)
	}
	if e := got[6]; e.State != StateCompleted || !e.Time.Equal(t0.Add(time.Second)) {
		t.Errorf("completed event = %+v", e)
	}

	// The bench's own subscription, opened earlier, numbers them the same.
	var bench []Event
	for _, e := range b.sub.Drain() {
		if e.Seq >= got[0].Seq {
			bench = append(bench, e)
		}
	}
	if diff := cmp.Diff(got, bench); diff != "" {
		t.Errorf("two subscriptions disagree (-new +bench):\n%s", diff)
	}
	if sub.Pending() != 0 || len(sub.Drain()) != 0 {
		t.Error("events left after taking them all")
	}
}

// Past MaxPending the subscription is cut off: the events it holds are still
// delivered, then ErrSubscriberTooSlow; the rest are counted as dropped.
func TestSubscriptionMaxPending(t *testing.T) {
	b := newBench(t, nil)
	b.queue("q")
	sub := b.r.Subscribe(&SubscribeOptions{MaxPending: 3})
	for range 3 { // 2 events each: created, queued
		b.create(TaskInput{QueueID: "q"})
	}
	if got := sub.Pending(); got != 3 {
		t.Errorf("Pending = %d, want 3", got)
	}
	if got := sub.Dropped(); got != 3 {
		t.Errorf("Dropped = %d, want 3", got)
	}
	var got []string
	for {
		e, err := nextNow(t, sub)
		if err != nil {
			if !errors.Is(err, ErrSubscriberTooSlow) {
				t.Fatalf("Next = %v, want ErrSubscriberTooSlow", err)
			}
			break
		}
		got = append(got, fmt.Sprintf("%s %s", e.Type, e.TaskID))
	}
	want := []string{"task.created t1", "task.queued t1", "task.created t2"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("delivered (-want +got):\n%s", diff)
	}

	// Once cut off it stays cut off, even with room again.
	b.create(TaskInput{QueueID: "q"})
	if got := sub.Dropped(); got != 5 {
		t.Errorf("Dropped = %d, want 5", got)
	}
	if _, err := nextNow(t, sub); !errors.Is(err, ErrSubscriberTooSlow) {
		t.Errorf("Next = %v, want ErrSubscriberTooSlow", err)
	}
	sub.Close()
	if _, err := nextNow(t, sub); !errors.Is(err, ErrSubscriberTooSlow) {
		t.Errorf("Next after Close = %v, want ErrSubscriberTooSlow still", err)
	}
}

func TestSubscriptionMaxPendingDefault(t *testing.T) {
	for _, tc := range []struct {
		opts *SubscribeOptions
		want int
	}{
		{nil, DefaultMaxPending},
		{&SubscribeOptions{}, DefaultMaxPending},
		{&SubscribeOptions{MaxPending: -1}, -1},
		{&SubscribeOptions{MaxPending: 7}, 7},
	} {
		if got := newSubscription(nil, tc.opts).max; got != tc.want {
			t.Errorf("MaxPending %+v: max = %d, want %d", tc.opts, got, tc.want)
		}
	}
}

// Close delivers what is held, then ErrClosed; the router stops publishing
// to it.
func TestSubscriptionClose(t *testing.T) {
	b := newBench(t, nil)
	b.queue("q")
	sub := b.r.Subscribe(nil)
	b.create(TaskInput{QueueID: "q"})
	sub.Close()
	sub.Close() // idempotent
	b.create(TaskInput{QueueID: "q"})
	if got := sub.Pending(); got != 2 {
		t.Errorf("Pending = %d, want the 2 events from before Close", got)
	}
	for _, want := range []EventType{EventTaskCreated, EventTaskQueued} {
		e, err := nextNow(t, sub)
		if err != nil || e.Type != want {
			t.Fatalf("Next = %v, %v; want %s", e.Type, err, want)
		}
	}
	if _, err := nextNow(t, sub); !errors.Is(err, ErrClosed) {
		t.Errorf("Next after Close = %v, want ErrClosed", err)
	}
	if got := sub.Dropped(); got != 0 {
		t.Errorf("Dropped = %d, want 0 (a closed subscription is not published to)", got)
	}
}

// Router.Close ends every subscription, waking a blocked Next; Subscribe on
// a closed router returns an ended subscription.
func TestRouterCloseEndsSubscriptions(t *testing.T) {
	r, err := NewRouter(context.Background(), nil, &Config{Clock: NewManualClock(t0)})
	if err != nil {
		t.Fatal(err)
	}
	sub := r.Subscribe(nil)
	done := make(chan error, 1)
	go func() {
		_, err := sub.Next(context.Background())
		done <- err
	}()
	time.Sleep(10 * time.Millisecond) // let Next block (not required for correctness)
	r.Close(context.Background())
	select {
	case err := <-done:
		if !errors.Is(err, ErrClosed) {
			t.Errorf("Next = %v, want ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Next still blocked after Router.Close")
	}
	late := r.Subscribe(nil)
	if _, err := nextNow(t, late); !errors.Is(err, ErrClosed) {
		t.Errorf("Next on a subscription made after Close = %v, want ErrClosed", err)
	}
	late.Close() // harmless
	if err := r.Close(context.Background()); err != nil {
		t.Errorf("second Close = %v", err)
	}
}

func TestSubscriptionNextHonoursContext(t *testing.T) {
	b := newBench(t, nil)
	sub := b.r.Subscribe(nil)
	defer sub.Close()

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := sub.Next(ctx)
		done <- err
	}()
	time.Sleep(10 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Next = %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Next ignored the cancelled context")
	}

	ctx, cancel2 := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel2()
	if _, err := sub.Next(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Next = %v, want context.DeadlineExceeded", err)
	}

	// The subscription still works afterwards.
	b.queue("q")
	b.create(TaskInput{QueueID: "q"})
	if e, err := nextNow(t, sub); err != nil || e.Type != EventQueueUpdated {
		t.Errorf("Next = %+v, %v; want queue.updated", e, err)
	}
	if e, err := nextNow(t, sub); err != nil || e.Type != EventTaskCreated {
		t.Errorf("Next = %+v, %v; want task.created", e, err)
	}
}

// A subscriber reading concurrently receives every event once, in order.
func TestSubscriptionConcurrentReader(t *testing.T) {
	r, err := NewRouter(context.Background(), nil, &Config{Clock: NewManualClock(t0)})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close(context.Background())
	ctx := context.Background()
	if err := r.PutQueue(ctx, Queue{ID: "q", Name: "q"}); err != nil {
		t.Fatal(err)
	}
	sub := r.Subscribe(nil)
	const n = 2000
	var wg sync.WaitGroup
	wg.Add(1)
	var got []Event
	go func() {
		defer wg.Done()
		for len(got) < 2*n {
			e, err := sub.Next(ctx)
			if err != nil {
				t.Errorf("Next: %v", err)
				return
			}
			got = append(got, e)
		}
	}()
	for range n {
		if _, err := r.CreateTask(ctx, TaskInput{Name: "x", QueueID: "q"}); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	for i := 1; i < len(got); i++ {
		if got[i].Seq != got[i-1].Seq+1 {
			t.Fatalf("event %d has Seq %d after %d", i, got[i].Seq, got[i-1].Seq)
		}
	}
}

// A subscriber that never reads never blocks the router.
func TestSlowSubscriberNeverBlocksRouter(t *testing.T) {
	r, err := NewRouter(context.Background(), nil, &Config{Clock: NewManualClock(t0)})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close(context.Background())
	ctx := context.Background()
	if err := r.PutQueue(ctx, Queue{ID: "q", Name: "q"}); err != nil {
		t.Fatal(err)
	}
	sub := r.Subscribe(&SubscribeOptions{MaxPending: -1})
	cut := r.Subscribe(&SubscribeOptions{MaxPending: 10})
	const n = 10_000
	done := make(chan error, 1)
	go func() {
		for range n {
			if _, err := r.CreateTask(ctx, TaskInput{Name: "x", QueueID: "q"}); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("router blocked by a subscriber that does not read")
	}
	if got := mustStats(r).TasksByState[StateQueued]; got != n {
		t.Errorf("%d tasks queued, want %d", got, n)
	}
	if got := sub.Pending(); got != 2*n {
		t.Errorf("unlimited subscription holds %d events, want %d", got, 2*n)
	}
	if got := cut.Pending(); got != 10 {
		t.Errorf("limited subscription holds %d events, want 10", got)
	}
	if got := cut.Dropped(); got != 2*n-10 {
		t.Errorf("limited subscription dropped %d events, want %d", got, 2*n-10)
	}
}

// BUG: a subscriber that keeps up but is never completely drained (always at
// least one event pending when the next is published) makes the
// subscription's buffer grow without bound: publish only compacts the buffer
// when head == len(buf), so consumed slots at the front are never reclaimed.
// Memory grows with every event ever published although Pending stays at 1.
func TestSubscriptionBufferBoundedForLaggingReader(t *testing.T) {
	s := newSubscription(nil, &SubscribeOptions{MaxPending: -1})
	ctx := context.Background()
	s.publish(&Event{Seq: 0})
	for i := range 100_000 {
		s.publish(&Event{Seq: uint64(i + 1)})
		e, err := s.Next(ctx)
		if err != nil || e.Seq != uint64(i) {
			t.Fatalf("Next = %d, %v; want %d", e.Seq, err, i)
		}
	}
	if got := s.Pending(); got != 1 {
		t.Fatalf("Pending = %d, want 1", got)
	}
	s.mu.Lock()
	n, c := len(s.buf), cap(s.buf)
	s.mu.Unlock()
	if c > 1024 {
		t.Errorf("after 100000 events with 1 pending, the buffer holds len %d cap %d (%d KiB of Events)",
			n, c, c*int(unsafe.Sizeof(Event{}))/1024)
	}
}

// After Subscription.Close, Next says the subscription closed, not the
// router (which still runs), and the error still matches ErrClosed.
func TestSubscriptionClosedSaysSo(t *testing.T) {
	b := newBench(t, nil)
	sub := b.r.Subscribe(nil)
	sub.Close()
	_, err := sub.Next(b.ctx)
	if !errors.Is(err, ErrClosed) || err.Error() != "switchboard: subscription closed" {
		t.Errorf("Next after Subscription.Close = %v, want \"switchboard: subscription closed\" matching ErrClosed", err)
	}
	b.r.Close(b.ctx)
	sub = b.r.Subscribe(nil)
	if _, err := sub.Next(b.ctx); !errors.Is(err, ErrClosed) || err.Error() != ErrClosed.Error() {
		t.Errorf("Next after Router.Close = %v, want ErrClosed itself", err)
	}
}
