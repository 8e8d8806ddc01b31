package switchboard

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// Tests of the event log, the one queue between the router and its
// consumers: events pushed in batches of any size, across chunk
// boundaries, reach every consumer once, in order and intact; a sleeping
// consumer is woken without further pushes; a chunk goes back for reuse
// only once the slowest consumer has passed it, so consumers that keep up
// cost no new chunks and a slow one never reads an overwritten event.

// seqConsumer checks that Seqs arrive in order from 1, without gap, each
// event carrying what logEvent put in it.
type seqConsumer struct {
	mu   sync.Mutex
	next uint64
	bad  string
}

func (c *seqConsumer) Consume(e Event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.bad == "" {
		if e.Seq != c.next+1 {
			c.bad = fmt.Sprintf("got Seq %d after %d", e.Seq, c.next)
		} else if want := logEvent(e.Seq).TaskID; e.TaskID != want {
			c.bad = fmt.Sprintf("Seq %d names task %q, want %q (overwritten)", e.Seq, e.TaskID, want)
		}
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

// logEvent is the event of Seq seq in these tests: each names a task of
// its own, so that an event overwritten before a consumer read it shows.
func logEvent(seq uint64) Event {
	return Event{Seq: seq, Type: EventTaskCreated, TaskID: "task-" + strconv.FormatUint(seq, 10)}
}

func pushRun(l *eventLog, seq *uint64, n int) {
	batch := make([]Event, n)
	for i := range batch {
		*seq++
		batch[i] = logEvent(*seq)
	}
	l.push(batch)
}

func closeLog(l *eventLog) {
	l.close()
	for _, f := range l.readers() {
		<-f.done
	}
}

func (l *eventLog) chunksMade() (made, free int) {
	l.freeMu.Lock()
	defer l.freeMu.Unlock()
	return l.allocated, len(l.free)
}

func TestEventLogDeliversBatchesOfAnySizeInOrderToEveryConsumer(t *testing.T) {
	// Three consumers, one of them taking events by pointer.
	cs := []*seqConsumer{{}, {}}
	p := &ptrConsumer{panicAt: -1}
	l := newEventLog([]Consumer{cs[0], cs[1], p}, slog.Default())
	cs = append(cs, &p.seqConsumer)
	waitAll := func(n uint64) {
		t.Helper()
		for _, c := range cs {
			c.waitSeen(t, n)
		}
	}
	var seq uint64
	// Batches smaller than, equal to and larger than a chunk, and one
	// larger than feedWakeBatch (woken at once rather than by the timer).
	for _, n := range []int{1, logChunkLen - 1, 1, logChunkLen, logChunkLen + 1, 3*logChunkLen + 7, feedWakeBatch + 5, 2} {
		pushRun(l, &seq, n)
	}
	waitAll(seq)
	// Now the consumers sleep: each lone event must still reach them (the
	// delayed wake-up), whatever chunk position it lands on.
	for range logChunkLen + 3 {
		pushRun(l, &seq, 1)
		waitAll(seq)
	}
	pushRun(l, &seq, 10)
	closeLog(l)
	for i, c := range cs {
		if got, bad := c.seen(); got != seq || bad != "" {
			t.Errorf("after close consumer %d saw up to %d (%s), want %d", i, got, bad, seq)
		}
		if p := l.feeds[i].pending(); p != 0 {
			t.Errorf("consumer %d: pending = %d after close, want 0", i, p)
		}
	}
}

func TestEventLogThatIsKeptUpWithReusesItsChunks(t *testing.T) {
	// Consumers that keep up hand the chunks back: however many events
	// pass, the log never has more chunks than its largest backlog needs
	// (here a round of 20 batches, the consumers catching up after each
	// round), where a log without reuse would make one per 64 events.
	// Two consumers make no more chunks than one would.
	cs := []*seqConsumer{{}, {}}
	l := newEventLog([]Consumer{cs[0], cs[1]}, slog.Default())
	defer closeLog(l)
	var seq uint64
	const batch, batches, rounds = logChunkLen/2 + 3, 20, 50
	for range rounds {
		for range batches {
			pushRun(l, &seq, batch)
		}
		for _, c := range cs {
			c.waitSeen(t, seq)
		}
	}
	made, free := l.chunksMade()
	if most := batch*batches/logChunkLen + 2; made > most {
		t.Errorf("%d chunks made for %d events in rounds of %d, want at most %d", made, seq, batch*batches, most)
	}
	if free > logFreeChunks {
		t.Errorf("%d chunks kept for reuse, want at most %d", free, logFreeChunks)
	}
}

// gatedConsumer holds its first event until released.
type gatedConsumer struct {
	seqConsumer
	release chan struct{}
}

func (c *gatedConsumer) Consume(e Event) {
	<-c.release
	c.seqConsumer.Consume(e)
}

func TestEventLogKeepsChunksUntilTheSlowestConsumerHasPassedThem(t *testing.T) {
	// A fast consumer races ahead through eleven chunks while a slow one
	// is stuck on the first event. The chunks the fast one leaves must not
	// be reused: the slow one, released, reads every event intact. Once
	// it has caught up the chunks go back, and the same backlog again
	// costs no new ones.
	fast, slow := &seqConsumer{}, &gatedConsumer{release: make(chan struct{})}
	l := newEventLog([]Consumer{fast, slow}, slog.Default())
	defer closeLog(l)
	var seq uint64
	const round = 10*logChunkLen + 5
	for range round / 5 {
		pushRun(l, &seq, 5)
	}
	fast.waitSeen(t, seq)
	if made, free := l.chunksMade(); made != 11 || free != 0 {
		t.Errorf("with a consumer stuck at Seq 1: %d chunks made, %d free; want 11 held for it, none free", made, free)
	}
	close(slow.release)
	slow.waitSeen(t, seq)
	// The slow consumer leaves the ten full chunks to the writer once it
	// is on the eleventh.
	deadline := time.Now().Add(5 * time.Second)
	for _, free := l.chunksMade(); free < 10 && time.Now().Before(deadline); _, free = l.chunksMade() {
		time.Sleep(50 * time.Microsecond)
	}
	for range round / 5 {
		pushRun(l, &seq, 5)
	}
	fast.waitSeen(t, seq)
	slow.waitSeen(t, seq)
	if made, _ := l.chunksMade(); made != 11 {
		t.Errorf("a second backlog of %d events: %d chunks made in all, want the first 11 reused", round, made)
	}
}

// ptrConsumer takes runs of events by pointer (eventConsumer) and panics
// at Seq panicAt.
type ptrConsumer struct {
	seqConsumer
	panicAt int
}

func (c *ptrConsumer) Consume(e Event) { panic("the feed must use consumeEvents") }
func (c *ptrConsumer) consumeEvents(es []Event, at *int) {
	for ; *at < len(es); *at++ {
		if es[*at].Seq == uint64(c.panicAt) {
			panic("consumer bug")
		}
		c.seqConsumer.Consume(es[*at])
	}
}

func TestEventLogGivesItsOwnConsumersPointersAndSurvivesTheirPanics(t *testing.T) {
	// The consumer that panics at Seq 3 loses that event alone; the one
	// beside it, reading the same chunk, sees all five.
	c, other := &ptrConsumer{panicAt: 3}, &seqConsumer{}
	l := newEventLog([]Consumer{c, other}, slog.New(slog.DiscardHandler))
	var seq uint64
	pushRun(l, &seq, 5)
	closeLog(l)
	if got, bad := c.seen(); got != 5 || bad != "got Seq 4 after 2" {
		t.Errorf("consumer saw up to %d (%q), want 5 with only Seq 3 lost to the panic", got, bad)
	}
	if got, bad := other.seen(); got != 5 || bad != "" {
		t.Errorf("the other consumer saw up to %d (%q), want all 5", got, bad)
	}
}

func TestConsumersOfDifferentSpeedsSeeTheSameLog(t *testing.T) {
	// Four goroutines create and stop tasks while three consumers read the
	// router's log: one that keeps up, one that lags (it sleeps now and
	// then, so that it is many chunks behind when it wakes) and a
	// RecordBuilder taking runs by pointer. Each sees every event exactly
	// once, in Seq order, and the same events.
	n := 200_000
	if testing.Short() || raceEnabled {
		n = 30_000
	}
	type seen struct {
		Seq    uint64
		Type   EventType
		TaskID string
		State  TaskState
	}
	var logs [3][]seen
	note := func(i int) ConsumerFunc {
		return func(e Event) { logs[i] = append(logs[i], seen{e.Seq, e.Type, e.TaskID, e.State}) }
	}
	lagging := note(1)
	records := 0
	ctx := context.Background()
	r, err := NewRouter(ctx, NewMemoryStore(), &Config{Clock: NewManualClock(t0), Consumers: []Consumer{
		note(0),
		ConsumerFunc(func(e Event) {
			if e.Seq%5000 == 0 {
				time.Sleep(2 * time.Millisecond)
			}
			lagging(e)
		}),
		Filtered(EventFilter{}, note(2)),
		NewRecordBuilder(RecordSinkFunc(func(ContactRecord) error { records++; return nil })),
	}})
	if err != nil {
		t.Fatal(err)
	}
	const producers = 4
	per := n / producers / 3 // create: 2 events, stop: 1
	createAndStop(t, r, producers, per)
	emitted := emittedEvents(r)
	if err := r.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if got := uint64(len(logs[0])); got != emitted {
		t.Fatalf("the first consumer saw %d events, the router emitted %d", got, emitted)
	}
	for i, e := range logs[0] {
		if e.Seq != uint64(i+1) {
			t.Fatalf("event %d has Seq %d", i, e.Seq)
		}
	}
	for i := 1; i < len(logs); i++ {
		if d := cmp.Diff(logs[0], logs[i]); d != "" {
			t.Errorf("consumer %d saw another log (-first +it):\n%s", i, d)
		}
	}
	if records != producers*per {
		t.Errorf("the RecordBuilder wrote %d records, want one per task, %d", records, producers*per)
	}
}

// BenchmarkFeedPush measures the router's side of handing events to
// consumers that keep up: pushing batches of two task events (a typical
// change) to the log, with one consumer and with three. ns/event is the
// router's cost per event, whatever the number of consumers.
func BenchmarkFeedPush(b *testing.B) {
	for _, n := range []int{1, 3} {
		b.Run(fmt.Sprintf("consumers=%d", n), func(b *testing.B) {
			cs := make([]Consumer, n)
			for i := range cs {
				cs[i] = ConsumerFunc(func(Event) {})
			}
			l := newEventLog(cs, slog.Default())
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
				l.push(es)
			}
			b.StopTimer()
			closeLog(l)
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(seq), "ns/event")
		})
	}
}

func TestCloseNamesTheOneConsumerBehindAndWaitsForTheOthers(t *testing.T) {
	// Three consumers share the log; the middle one is stuck on the first
	// event while the two others take all of them, from the chunks it
	// holds. Close, given a short deadline, names the stuck one alone, with
	// the events it has to take.
	release := make(chan struct{})
	fast, last := &eventRecorder{}, &eventRecorder{}
	stuck := ConsumerFunc(func(Event) { <-release })
	ctx := context.Background()
	r, err := NewRouter(ctx, nil, &Config{Clock: NewManualClock(t0), Consumers: []Consumer{fast, stuck, last}})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.PutQueue(ctx, Queue{ID: "q", Name: "q"}); err != nil {
		t.Fatal(err)
	}
	for range logChunkLen { // two events each: the log spans three chunks
		if _, err := r.CreateTask(ctx, TaskInput{Name: "x", QueueID: "q"}); err != nil {
			t.Fatal(err)
		}
	}
	emitted := emittedEvents(r)
	fast.waitLen(t, int(emitted))
	last.waitLen(t, int(emitted))
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	err = r.Close(short)
	if want := fmt.Sprintf("consumer 1 has %d events to take", emitted); err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "consumer 0") || strings.Contains(err.Error(), "consumer 2") {
		t.Fatalf("Close = %v, want only %q", err, want)
	}
	for _, f := range r.evlog.readers() {
		want := uint64(0)
		if f.index == 1 {
			want = emitted
		}
		if f.pending() != want {
			t.Errorf("consumer %d: pending = %d after the first Close, want %d", f.index, f.pending(), want)
		}
	}
	close(release)
	if err := r.Close(ctx); err != nil {
		t.Fatalf("second Close = %v", err)
	}
	for _, f := range r.evlog.readers() {
		if p := f.pending(); p != 0 {
			t.Errorf("consumer %d: pending = %d after the second Close, want 0", f.index, p)
		}
	}
}
