package switchboard

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
)

func TestLogValueOfEventAndTask(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}}))
	log.Info("ev", "e", Event{Seq: 7, Type: EventTaskOffered, TaskID: "t1", AgentID: "ana", State: StateOffered, Err: errors.New("boom")})
	log.Info("task", "t", &Task{ID: "t1", State: StateQueued, QueueID: "billing", Priority: 5, Version: 2,
		Attributes: map[string]string{"ssn": "secret"}})
	got := buf.String()
	for _, want := range []string{"e.seq=7", "e.type=task.offered", "e.task=t1", "e.agent=ana", "e.state=OFFERED", "e.err=boom",
		"t.id=t1", "t.state=QUEUED", "t.queue=billing", "t.priority=5", "t.version=2"} {
		if !strings.Contains(got, want) {
			t.Errorf("log lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "secret") || strings.Contains(got, "e.queue") {
		t.Errorf("log shows attributes or an empty field:\n%s", got)
	}
}
