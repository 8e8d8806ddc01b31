package switchboard

import (
	"encoding/json"
	"strings"
	"testing"
)

// BenchmarkJSON measures the JSON form of the records a durable store writes
// for every change: a task with every field set, and a task event. Stores
// such as adapters/pgstore encode each task version, agent and event of a
// change, so this is on the path of every durable write.
func BenchmarkJSON(b *testing.B) {
	task := goldenTask()
	ev := Event{Seq: 42, Type: EventTaskOffered, Time: task.OfferedAt, TaskID: task.ID, AgentID: "ana",
		QueueID: task.QueueID, Channel: task.Channel, State: StateOffered, PreviousState: StateQueued, Version: 3,
		OfferExpiresAt: task.OfferExpiresAt, InitiationMethod: task.InitiationMethod}
	body, err := json.Marshal(task)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("encode/task", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := task.MarshalJSON(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encode/event", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := ev.MarshalJSON(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decode/task", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var t Task
			if err := t.UnmarshalJSON(body); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// appendString must write every string exactly as encoding/json does: the
// JSON form is compared byte for byte (golden files, the simulator's
// report, stored bodies).
func TestAppendStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "t1", "Claim 77", `say "hi"`, `C:\path`, "<b>&</b>", "line\nbreak\ttab\b\f\r",
		"\x00\x1f\x7f", "Zoë", "日本語", "\u2028\u2029", "bad \xff utf-8", "caseId=4411", strings.Repeat("a", 300)} {
		checkAppendString(t, s)
	}
}

func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "ana", "a\"b", "\xff", "\u2028", "<&>"} {
		f.Add(s)
	}
	f.Fuzz(checkAppendString)
}

func checkAppendString(t *testing.T, s string) {
	want, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	if got := appendString([]byte("x"), s); string(got) != "x"+string(want) {
		t.Errorf("appendString(%q) = %s, encoding/json writes %s", s, got[1:], want)
	}
}
