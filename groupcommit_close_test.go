package switchboard

import (
	"context"
	"testing"
	"time"
)

// Two Closes while a group is being written: the second does not return
// before the first has written the group and the consumers have its events
// (it used to skip the pipeline, end the event log and return nil, and the
// flusher then published the acknowledged task's events into a closed log).
func TestGroupCommitSecondCloseWaitsForTheGroupInFlight(t *testing.T) {
	runParallel(t)
	ctx := context.Background()
	s := newGroupStore()
	rec := &eventRecorder{}
	r, err := NewRouter(ctx, s, &Config{Clock: NewManualClock(t0), Consumers: []Consumer{rec}})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.PutQueue(ctx, Queue{ID: "billing", Name: "Billing"}); err != nil {
		t.Fatal(err)
	}
	for len(s.started) > 0 {
		<-s.started
	}
	s.hold()
	created := async(func() error {
		_, err := r.CreateTask(ctx, TaskInput{QueueID: "billing", Name: "Call back Mrs Smith"})
		return err
	})
	<-s.started // the task's group is being written
	// The first Close's ctx ends while it lets the consumers catch up (they
	// wait for the group): it closes the router and waits for the flusher.
	short, cancel := context.WithTimeout(ctx, 5*time.Millisecond)
	defer cancel()
	closeA := async(func() error { return r.Close(short) })
	for !r.isClosed() {
		time.Sleep(100 * time.Microsecond)
	}
	closeB := async(func() error { return r.Close(ctx) })
	stillWaiting(t, "the second Close, with a group in flight", closeB)
	s.release()
	if err := <-closeB; err != nil {
		t.Fatalf("second Close: %v", err)
	}
	snap, err := s.MemoryStore.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	evs := rec.all()
	if len(evs) == 0 || evs[len(evs)-1].Seq != snap.LastEventSeq {
		t.Fatalf("the second Close returned with the consumer at %d events, the store at Seq %d", len(evs), snap.LastEventSeq)
	}
	if err := <-created; err != nil {
		t.Fatal(err)
	}
	<-closeA // its ctx ended: it may report the consumer as behind
}

func (r *Router) isClosed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.closed
}

// WaitConsumers on the group-commit path waits for the changes queued
// before it to be durable and for the consumers to take their events.
func TestGroupCommitWaitConsumersWaitsForTheQueuedGroup(t *testing.T) {
	runParallel(t)
	ctx := context.Background()
	s := newGroupStore()
	rec := &eventRecorder{}
	r, err := NewRouter(ctx, s, &Config{Clock: NewManualClock(t0), Consumers: []Consumer{rec}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close(ctx)
	if err := r.PutQueue(ctx, Queue{ID: "billing", Name: "Billing"}); err != nil {
		t.Fatal(err)
	}
	for len(s.started) > 0 {
		<-s.started
	}
	s.hold()
	created := async(func() error {
		_, err := r.CreateTask(ctx, TaskInput{QueueID: "billing", Name: "Call back Mrs Smith"})
		return err
	})
	<-s.started
	waited := async(func() error { return r.WaitConsumers(ctx) })
	stillWaiting(t, "WaitConsumers, with a group in flight", waited)
	short, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancel()
	if err := r.WaitConsumers(short); err == nil {
		t.Error("WaitConsumers with a group in flight returned nil before its ctx ended")
	}
	s.release()
	if err := <-waited; err != nil {
		t.Fatal(err)
	}
	if err := <-created; err != nil {
		t.Fatal(err)
	}
	st, err := r.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if evs := rec.all(); len(evs) == 0 || evs[len(evs)-1].Seq != st.Events {
		t.Fatalf("after WaitConsumers the consumer holds %d events, the router published up to Seq %d", len(evs), st.Events)
	}
}
