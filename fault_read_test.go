package switchboard

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
)

// readPanicStore is a memory store whose reads (Task, TaskByClientToken,
// Chain, Load, Templates) panic while armed.
type readPanicStore struct {
	*MemoryStore
	armed atomic.Bool
}

func (s *readPanicStore) boom(method string) {
	if s.armed.Load() {
		panic("store bug in " + method)
	}
}

func (s *readPanicStore) Task(ctx context.Context, id string) (*Task, error) {
	s.boom("Task")
	return s.MemoryStore.Task(ctx, id)
}

func (s *readPanicStore) TaskByClientToken(ctx context.Context, token string) (*Task, error) {
	s.boom("TaskByClientToken")
	return s.MemoryStore.TaskByClientToken(ctx, token)
}

func (s *readPanicStore) Chain(ctx context.Context, id string) ([]*Task, error) {
	s.boom("Chain")
	return s.MemoryStore.Chain(ctx, id)
}

func (s *readPanicStore) Load(ctx context.Context) (*Snapshot, error) {
	s.boom("Load")
	return s.MemoryStore.Load(ctx)
}

func (s *readPanicStore) Templates(ctx context.Context) ([]*TaskTemplate, error) {
	s.boom("Templates")
	return s.MemoryStore.Templates(ctx)
}

// wantStorePanic fails t unless err is a *StoreError matching
// ErrStorePanicked.
func wantStorePanic(t *testing.T, what string, err error) {
	t.Helper()
	var se *StoreError
	if !errors.As(err, &se) || !errors.Is(err, ErrStorePanicked) {
		t.Fatalf("%s: err = %v (%T), want a *StoreError matching ErrStorePanicked", what, err, err)
	}
}

// A store whose reads panic is host code like one whose writes panic: every
// read the router makes on a caller's behalf is recovered into a
// *StoreError, nothing changes, and the router answers afterwards.
func TestStoreReadsThatPanicAreRecovered(t *testing.T) {
	runParallel(t)
	ctx := context.Background()
	s := &readPanicStore{MemoryStore: NewMemoryStore()}
	clock := NewManualClock(t0)
	r, err := NewRouter(ctx, s, &Config{Clock: clock, Test: TestConfig{CheckInvariants: true}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close(ctx)
	for _, err := range []error{
		r.PutQueue(ctx, Queue{ID: "billing", Name: "Billing"}),
		r.PutRoutingProfile(ctx, RoutingProfile{ID: "desk", Queues: []QueueConfig{{QueueID: "billing", Priority: 1}},
			Concurrency: []MediaConcurrency{{Channel: ChannelTask, Concurrency: 1}}}),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	// A finished call-back, so that chains and reads reach the store.
	done, err := r.CreateTask(ctx, TaskInput{Name: "call back Mrs Smith", QueueID: "billing"})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Stop(ctx, done.ID); err != nil {
		t.Fatal(err)
	}
	stored := s.Len()

	s.armed.Store(true)
	_, err = r.Task(ctx, "nope")
	wantStorePanic(t, "Task of an unknown ID", err)
	_, err = r.CreateTask(ctx, TaskInput{Name: "follow-up", QueueID: "billing", ClientToken: "crm-4411"})
	wantStorePanic(t, "CreateTask with a ClientToken the router does not know", err)
	_, err = r.CreateTask(ctx, TaskInput{Name: "follow-up", QueueID: "billing", PreviousTaskID: done.ID})
	wantStorePanic(t, "CreateTask linked to a finished task", err)
	// A token the validation refuses is not looked up at all (PostgreSQL
	// could not be asked for one holding NUL): the caller gets the
	// *ValidationError, not the store's failure.
	_, err = r.CreateTask(ctx, TaskInput{Name: "follow-up", QueueID: "billing", ClientToken: "crm\x004411"})
	var ve *ValidationError
	if !errors.As(err, &ve) || ve.Field != "ClientToken" {
		t.Errorf("CreateTask with a NUL in its ClientToken = %v, want a *ValidationError for ClientToken", err)
	}
	if n := s.Len(); n != stored {
		t.Errorf("the store holds %d tasks after the refused calls, want %d", n, stored)
	}

	s.armed.Store(false)
	if _, err := r.Stats(); err != nil {
		t.Fatalf("Stats after the panics: %v", err)
	}
	if _, err := r.CreateTask(ctx, TaskInput{Name: "follow-up", QueueID: "billing", PreviousTaskID: done.ID, ClientToken: "crm-4411"}); err != nil {
		t.Fatalf("CreateTask once the store behaves: %v", err)
	}
}

// NewRouter over a store whose Load or Templates panics, or over a nil
// *MemoryStore, returns a *StoreError and starts nothing.
func TestNewRouterOverAPanickingStoreReturnsAnError(t *testing.T) {
	runParallel(t)
	ctx := context.Background()
	loadPanics := &readPanicStore{MemoryStore: NewMemoryStore()}
	loadPanics.armed.Store(true)
	for what, store := range map[string]Store{
		"Load panics":        loadPanics,
		"Templates panics":   templatesPanic{NewMemoryStore()},
		"a nil *MemoryStore": (*MemoryStore)(nil),
	} {
		r, err := NewRouter(ctx, store, &Config{Clock: NewManualClock(t0)})
		if r != nil {
			r.Close(ctx)
		}
		wantStorePanic(t, "NewRouter, "+what, err)
	}
}

type templatesPanic struct{ *MemoryStore }

func (templatesPanic) Templates(context.Context) ([]*TaskTemplate, error) { panic("templates bug") }
