package switchboard

import (
	"encoding/json"
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
