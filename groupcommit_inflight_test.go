package switchboard

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// createWhileHeld starts a router over a group store with a recording
// consumer and a billing queue, holds the store's writes, and creates a task
// whose group then waits; the channel gets CreateTask's error.
func createWhileHeld(t *testing.T) (*Router, *groupStore, *eventRecorder, <-chan error) {
	t.Helper()
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
	return r, s, rec, created
}

// Two Closes while a group is being written: the second does not return
// before the first has written the group and the consumers have its events
// (it used to skip the pipeline, end the event log and return nil, and the
// flusher then published the acknowledged task's events into a closed log).
func TestGroupCommitSecondCloseWaitsForTheGroupInFlight(t *testing.T) {
	runParallel(t)
	ctx := context.Background()
	r, s, rec, created := createWhileHeld(t)
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
	r, s, rec, created := createWhileHeld(t)
	defer r.Close(ctx)
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

// decided waits until the router has decided what cond checks (under its
// lock): the decision is made before its group is written.
func (f *groupFloor) decided(cond func() bool) {
	f.t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(100 * time.Microsecond) {
		f.r.mu.Lock()
		ok := cond()
		f.r.mu.Unlock()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			f.t.Fatal("the router did not decide in 5 s")
		}
	}
}

// A task stopped while its change waits behind a group in flight is read as
// stopped, not as the store's older version: an attribute update of it
// builds on the stopped version, and the stop, which a caller issued
// correctly, does not fail (it used to fail, with every change of its
// group, on a version conflict the update caused).
func TestGroupCommitReadsOfATaskFinishedInFlightSeeItFinished(t *testing.T) {
	f := newGroupFloor(t) // no agents: tasks wait in the queue
	call, err := f.r.CreateTask(f.ctx, TaskInput{QueueID: "billing", Name: "Call back Mrs Smith"})
	f.must(err)
	f.drainStarted()
	f.store.hold()
	other := async(func() error {
		_, err := f.r.CreateTask(f.ctx, TaskInput{QueueID: "billing", Name: "Refund order 4411"})
		return err
	})
	<-f.store.started // that group is in flight; what follows waits behind it
	stop := async(func() error { return f.r.Stop(f.ctx, call.ID) })
	f.decided(func() bool { return f.r.tasks[call.ID] == nil })

	read := make(chan *Task, 1)
	go func() {
		got, err := f.r.Task(f.ctx, call.ID)
		if err != nil {
			t.Error(err)
		}
		read <- got
	}()
	update := async(func() error { return f.r.UpdateAttributes(f.ctx, call.ID, map[string]string{"outcome": "stopped"}) })
	linked := make(chan error, 1)
	go func() {
		_, err := f.r.CreateTask(f.ctx, TaskInput{QueueID: "billing", Name: "Follow up", PreviousTaskID: call.ID})
		linked <- err
	}()
	stillWaiting(t, "Stop", stop)
	f.store.release()

	for what, ch := range map[string]<-chan error{"the other create": other, "Stop": stop, "the follow-up linked to it": linked} {
		if err := <-ch; err != nil {
			t.Errorf("%s: %v", what, err)
		}
	}
	if got := <-read; got == nil || got.State != StateStopped {
		t.Errorf("Task read while its stop was in flight: %+v, want STOPPED", got)
	}
	if err := <-update; err != nil {
		t.Errorf("UpdateAttributes of the stopped task: %v", err)
	}
	got, err := f.r.Task(f.ctx, call.ID)
	f.must(err)
	if got.State != StateStopped || got.Attributes["outcome"] != "stopped" {
		t.Errorf("stored task: %s %v, want STOPPED with outcome=stopped", got.State, got.Attributes)
	}
}

// A create retried with the same ClientToken while the first create and
// the task's stop are both in flight returns the same task.
func TestGroupCommitClientTokenRetryWhileCreateAndStopAreInFlight(t *testing.T) {
	f := newGroupFloor(t)
	f.drainStarted()
	f.store.hold()
	other := async(func() error {
		_, err := f.r.CreateTask(f.ctx, TaskInput{QueueID: "billing", Name: "Refund order 4411"})
		return err
	})
	<-f.store.started
	in := TaskInput{QueueID: "billing", Name: "Call back Mrs Smith", ClientToken: "crm-4411"}
	first := async(func() error { _, err := f.r.CreateTask(f.ctx, in); return err })
	var id string
	f.decided(func() bool { id = f.r.tokens["crm-4411"].taskID; return id != "" })
	stop := async(func() error { return f.r.Stop(f.ctx, id) })
	f.decided(func() bool { return f.r.tasks[id] == nil })
	retry := make(chan error, 1)
	go func() {
		task, err := f.r.CreateTask(f.ctx, in)
		if err == nil && task.ID != id {
			err = fmt.Errorf("the retry created %s, want the first create's %s", task.ID, id)
		}
		retry <- err
	}()
	stillWaiting(t, "the first create", first)
	f.store.release()
	for _, ch := range []<-chan error{other, first, stop, retry} {
		if err := <-ch; err != nil {
			t.Error(err)
		}
	}
}
