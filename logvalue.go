package switchboard

import "log/slog"

// LogValue makes an Event log as a group of its set fields, so that
// logger.Info("event", "e", e) is readable in text and JSON handlers.
func (e Event) LogValue() slog.Value {
	attrs := make([]slog.Attr, 0, 12)
	attrs = append(attrs, slog.Uint64("seq", e.Seq), slog.String("type", string(e.Type)))
	attrs = appendStr(attrs, "task", e.TaskID)
	attrs = appendStr(attrs, "agent", e.AgentID)
	attrs = appendStr(attrs, "queue", e.QueueID)
	attrs = appendStr(attrs, "channel", string(e.Channel))
	attrs = appendStr(attrs, "from", string(e.PreviousState))
	attrs = appendStr(attrs, "state", string(e.State))
	attrs = appendStr(attrs, "status", string(e.Status))
	attrs = appendStr(attrs, "related", e.RelatedTaskID)
	if e.Err != nil {
		attrs = append(attrs, slog.String("err", e.Err.Error()))
	}
	return slog.GroupValue(attrs...)
}

// LogValue makes a Task log as a group of its identity and routing state,
// never its attributes or description, which may hold customer data.
func (t *Task) LogValue() slog.Value {
	if t == nil {
		return slog.StringValue("<nil>")
	}
	attrs := make([]slog.Attr, 0, 8)
	attrs = append(attrs, slog.String("id", t.ID), slog.String("state", string(t.State)))
	attrs = appendStr(attrs, "queue", t.QueueID)
	attrs = appendStr(attrs, "targetAgent", t.TargetAgentID)
	attrs = appendStr(attrs, "agent", t.AgentID)
	attrs = appendStr(attrs, "channel", string(t.Channel))
	attrs = append(attrs, slog.Int("priority", t.Priority), slog.Int64("version", t.Version))
	return slog.GroupValue(attrs...)
}

func appendStr(attrs []slog.Attr, key, v string) []slog.Attr {
	if v == "" {
		return attrs
	}
	return append(attrs, slog.String(key, v))
}
