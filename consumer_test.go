package switchboard

import (
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"
)

// Tests of a feed, the queue between the router and one consumer: events
// pushed in batches of any size, across chunk boundaries, reach the
// consumer once and in order; a sleeping consumer is woken without further
// pushes; a consumer that keeps up costs no new chunks.

// seqConsumer checks that Seqs arrive in order from 1, without gap.
type seqConsumer struct {
	mu   sync.Mutex
	next uint64
	bad  string
}

func (c *seqConsumer) Consume(e Event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e.Seq != c.next+1 && c.bad == "" {
		c.bad = fmt.Sprintf("got Seq %d after %d", e.Seq, c.next)
	}
	c.next = e.Seq
}

func (c *seqConsumer) seen() (uint64, string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.next, c.bad
}

// waitSeen waits until c has seen Seq n.
func (c *seqConsumer) waitSeen(t *testing.T, n uint64) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Microsecond) {
		got, bad := c.seen()
		if bad != "" {
			t.Fatal(bad)
		}
		if got >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the consumer has seen up to Seq %d after 5 s, want %d", got, n)
		}
	}
}

func pushRun(f *feed, seq *uint64, n int) {
	batch := make([]Event, n)
	for i := range batch {
		*seq++
		batch[i] = Event{Seq: *seq, Type: EventTaskCreated, TaskID: "t"}
	}
	f.push(batch)
}

func TestFeedDeliversBatchesOfAnySizeInOrder(t *testing.T) {
	c := &seqConsumer{}
	f := newFeed(c, 0, slog.Default())
	var seq uint64
	// Batches smaller than, equal to and larger than a chunk, and one
	// larger than feedWakeBatch (woken at once rather than by the timer).
	for _, n := range []int{1, feedChunkLen - 1, 1, feedChunkLen, feedChunkLen + 1, 3*feedChunkLen + 7, feedWakeBatch + 5, 2} {
		pushRun(f, &seq, n)
	}
	c.waitSeen(t, seq)
	// Now the consumer sleeps: each lone event must still reach it (the
	// delayed wake-up), whatever chunk position it lands on.
	for range feedChunkLen + 3 {
		pushRun(f, &seq, 1)
		c.waitSeen(t, seq)
	}
	pushRun(f, &seq, 10)
	f.close()
	<-f.done
	if got, bad := c.seen(); got != seq || bad != "" {
		t.Fatalf("after close the consumer saw up to %d (%s), want %d", got, bad, seq)
	}
	if p := f.pending(); p != 0 {
		t.Errorf("pending = %d after close, want 0", p)
	}
}

func TestFeedThatKeepsUpReusesItsChunks(t *testing.T) {
	// A consumer that keeps up hands its chunks back: however many events
	// pass, the feed never has more chunks than its largest backlog needs
	// (here a round of 20 batches, the consumer catching up after each
	// round), where a queue without reuse would make one per 64 events.
	c := &seqConsumer{}
	f := newFeed(c, 0, slog.Default())
	defer func() { f.close(); <-f.done }()
	var seq uint64
	const batch, batches, rounds = feedChunkLen/2 + 3, 20, 50
	for range rounds {
		for range batches {
			pushRun(f, &seq, batch)
		}
		c.waitSeen(t, seq)
	}
	f.freeMu.Lock()
	made, free := f.allocated, len(f.free)
	f.freeMu.Unlock()
	if most := batch*batches/feedChunkLen + 2; made > most {
		t.Errorf("%d chunks made for %d events in rounds of %d, want at most %d", made, seq, batch*batches, most)
	}
	if free > feedFreeChunks {
		t.Errorf("%d chunks kept for reuse, want at most %d", free, feedFreeChunks)
	}
}

// ptrConsumer takes runs of events by pointer (eventConsumer).
type ptrConsumer struct{ seqConsumer }

func (c *ptrConsumer) Consume(e Event) { panic("the feed must use consumeEvents") }
func (c *ptrConsumer) consumeEvents(es []Event, at *int) {
	for ; *at < len(es); *at++ {
		if es[*at].Seq == 3 {
			panic("consumer bug")
		}
		c.seqConsumer.Consume(es[*at])
	}
}

func TestFeedGivesItsOwnConsumersPointersAndSurvivesTheirPanics(t *testing.T) {
	c := &ptrConsumer{}
	f := newFeed(c, 0, slog.New(slog.DiscardHandler))
	var seq uint64
	pushRun(f, &seq, 5)
	f.close()
	<-f.done
	if got, bad := c.seen(); got != 5 || bad != "got Seq 4 after 2" {
		t.Errorf("consumer saw up to %d (%q), want 5 with only Seq 3 lost to the panic", got, bad)
	}
}

// BenchmarkFeedPush measures the router's side of handing events to a
// consumer that keeps up: pushing batches of two task events (a typical
// change) to one feed. ns/event is the cost per event and consumer.
func BenchmarkFeedPush(b *testing.B) {
	f := newFeed(ConsumerFunc(func(Event) {}), 0, slog.Default())
	at := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	es := []Event{
		{Type: EventTaskCreated, Time: at, TaskID: "task-1", QueueID: "q", Channel: ChannelTask, InitiationMethod: InitiatedByAPI, State: StateQueued},
		{Type: EventTaskQueued, Time: at, TaskID: "task-1", QueueID: "q", Channel: ChannelTask, InitiationMethod: InitiatedByAPI, State: StateQueued},
	}
	var seq uint64
	for b.Loop() {
		for i := range es {
			seq++
			es[i].Seq = seq
		}
		f.push(es)
	}
	b.StopTimer()
	f.close()
	<-f.done
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(seq), "ns/event")
}
