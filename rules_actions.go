package switchboard

// What a rule's actions do: create, update, stop and end tasks, notify the
// host, read the triggering task. The engine itself is in rules.go.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"

	"github.com/switchboard-go/switchboard/internal/rules"
)

var errNotBound = errors.New("switchboard: rule engine not bound to a router (RuleEngine.Bind)")

func (e *RuleEngine) readTask(ctx context.Context, id string) (*RuleTask, error) {
	r := e.router.Load()
	if r == nil {
		return &noTask, errNotBound
	}
	t, err := r.Task(ctx, id)
	if err != nil {
		return &noTask, err
	}
	return ruleTaskOf(t), nil
}

func renderMap(m map[string]*rules.Template, run *ruleRun) (map[string]string, error) {
	if len(m) == 0 {
		return nil, nil
	}
	out := make(map[string]string, len(m))
	for k, t := range m {
		s, err := t.Render(&run.vm, &run.env)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		out[k] = s
	}
	return out, nil
}

func (e *RuleEngine) act(ctx context.Context, run *ruleRun, ev *RuleEvent, cr *compiledRule, a *compiledAction, res *RuleResult) error {
	if a.op == "Notify" {
		topic, err := a.topic.Render(&run.vm, &run.env)
		if err != nil {
			return err
		}
		payload, err := renderMap(a.attrs, run)
		if err != nil {
			return err
		}
		return e.opts.Notify(ctx, RuleNotification{Rule: cr.name, Source: ev.Source, EventID: ev.ID, TaskID: ev.TaskID, Topic: topic, Payload: payload, Time: run.env.Now})
	}
	r := e.router.Load()
	if r == nil {
		return errNotBound
	}
	switch a.op {
	case "CreateTask":
		in := TaskInput{
			Priority: a.create.Priority, Expiry: a.create.Expiry, PreviousTaskID: ev.TaskID, TemplateID: a.create.TemplateID, FlowID: a.create.FlowID,
			RoutingCriteria:  a.create.RoutingCriteria,
			InitiationMethod: InitiatedByRule, CreatedBy: "rule:" + cr.name, ClientToken: ruleClientToken(cr.name, ev.ID),
		}
		var err error
		for _, f := range []struct {
			t   *rules.Template
			dst *string
		}{{a.name, &in.Name}, {a.desc, &in.Description}, {a.queue, &in.QueueID}, {a.agent, &in.AgentID}} {
			if *f.dst, err = f.t.Render(&run.vm, &run.env); err != nil {
				return err
			}
		}
		if in.Attributes, err = renderMap(a.attrs, run); err != nil {
			return err
		}
		if in.TemplateValues, err = renderMap(a.tvals, run); err != nil {
			return err
		}
		if inherited := run.env.Task.Attributes; len(inherited) > 0 {
			merged := maps.Clone(inherited)
			maps.Copy(merged, in.Attributes)
			in.Attributes = merged
		}
		vals, err := renderMap(a.refs, run)
		if err != nil {
			return err
		}
		if len(vals) > 0 {
			in.References = make(map[string]Reference, len(vals))
			for k, v := range vals {
				in.References[k] = Reference{Type: a.create.References[k].Type, Value: v}
			}
		}
		t, err := r.CreateTask(ctx, in)
		if err != nil {
			return err
		}
		res.Created = append(res.Created, RuleCreated{Rule: cr.name, Task: t})
		return nil
	case "EndAssociatedTasks":
		key, err := a.caseKey.Render(&run.vm, &run.env)
		if err != nil {
			return err
		}
		if key == "" {
			return errors.New("EndAssociatedTasks.Case rendered empty: the event names no case")
		}
		var ids []string
		for t, err := range r.Tasks(TaskQuery{Attributes: map[string]string{a.caseAttr: key}}) {
			if err != nil {
				return err
			}
			ids = append(ids, t.ID)
		}
		for _, id := range ids {
			if err := r.Stop(ctx, id); err != nil && !errors.Is(err, ErrInvalidState) && !errors.Is(err, ErrNotFound) {
				return fmt.Errorf("task %q: %w", shorten(id), err)
			}
			res.Ended = append(res.Ended, RuleEnded{Rule: cr.name, TaskID: id})
		}
	case "UpdateTasks", "StopTasks":
		ids, err := e.selected(run, ev, a)
		if err != nil {
			return err
		}
		var attrs map[string]string
		if a.op == "UpdateTasks" {
			if attrs, err = renderMap(a.attrs, run); err != nil {
				return err
			}
		}
		for _, id := range ids {
			if a.op == "UpdateTasks" {
				err = r.UpdateAttributes(ctx, id, attrs)
			} else {
				err = r.Stop(ctx, id)
			}
			if err != nil {
				return fmt.Errorf("task %q: %w", shorten(id), err)
			}
		}
	}
	return nil
}

// selected evaluates an action's selector: a task ID or a list of them.
func (e *RuleEngine) selected(run *ruleRun, ev *RuleEvent, a *compiledAction) ([]string, error) {
	if a.selector == nil {
		if ev.TaskID == "" {
			return nil, errors.New("the event has no task; set Tasks")
		}
		return []string{ev.TaskID}, nil
	}
	v, err := run.vm.Run(a.selector, &run.env)
	if err != nil {
		return nil, err
	}
	switch v := v.(type) {
	case nil:
		return nil, nil
	case string:
		if v == "" {
			return nil, nil
		}
		return []string{v}, nil
	case []string:
		return v, nil
	case []any:
		ids := make([]string, 0, len(v))
		for _, x := range v {
			s, ok := x.(string)
			if !ok {
				return nil, fmt.Errorf("Tasks returned a list holding %T, want task IDs", x)
			}
			if s != "" {
				ids = append(ids, s)
			}
		}
		return ids, nil
	}
	return nil, fmt.Errorf("Tasks returned %T, want a task ID or a list of them", v)
}

// ruleClientToken is the ClientToken of the task a rule creates for an
// event: readable when short, a hash when the parts are long.
func ruleClientToken(rule, eventID string) string {
	t := "rule:" + rule + ":" + eventID
	if len(t) <= 256 {
		return t
	}
	sum := sha256.Sum256([]byte(eventID))
	return "rule:" + rule + ":sha256:" + hex.EncodeToString(sum[:])
}

// decodePayload decodes a JSON payload; apart from Evaluate, so that
// Evaluate's own payload variable does not escape to the heap.
func decodePayload(b []byte) (map[string]any, error) {
	var m map[string]any
	err := json.Unmarshal(b, &m)
	return m, err
}
