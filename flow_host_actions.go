package switchboard

import (
	"context"
	"fmt"
	"time"

	"github.com/switchboard-go/switchboard/internal/flow"
)

// The taskHost's optional capabilities (internal/flow/actions.go): routing
// criteria, linked tasks, TransferToFlow, hours of operation.

var (
	_ flow.CriteriaSetter = (*taskHost)(nil)
	_ flow.TaskCreator    = (*taskHost)(nil)
	_ flow.FlowSwitcher   = (*taskHost)(nil)
	_ flow.HoursChecker   = (*taskHost)(nil)
)

// SetRoutingCriteria replaces the task's routing criteria
// (UpdateContactRoutingCriteria): an attribute condition is a proficiency of
// at least its level (1 when the export leaves it empty), a Match condition
// the preferred agents; the criteria activate when the flow enqueues the
// task.
func (h *taskHost) SetRoutingCriteria(ctx context.Context, steps []flow.CriteriaStep) error {
	rc := &RoutingCriteria{Steps: make([]RoutingStep, len(steps))}
	for i, s := range steps {
		rc.Steps[i] = RoutingStep{Requirement: requirementOf(s.Expr), Expiry: s.Expiry}
	}
	if err := h.fr.r.UpdateRouting(ctx, h.task.ID, RoutingUpdate{Criteria: rc}); err != nil {
		return err
	}
	h.refresh(ctx)
	return nil
}

func requirementOf(e flow.CriteriaExpr) Requirement {
	switch {
	case len(e.Agents) > 0:
		return Requirement{Preferred: e.Agents}
	case e.And != nil:
		r := Requirement{And: make([]Requirement, len(e.And))}
		for i, x := range e.And {
			r.And[i] = requirementOf(x)
		}
		return r
	case e.Or != nil:
		r := Requirement{Or: make([]Requirement, len(e.Or))}
		for i, x := range e.Or {
			r.Or[i] = requirementOf(x)
		}
		return r
	}
	return Requirement{Attribute: &AttributeCondition{Name: e.Name, Value: e.Value, MinLevel: max(e.Level, 1)}}
}

// CreateTask creates the action's task, linked to this one (RelatedTaskID:
// it starts with a copy of this task's attributes), initiated by FLOW, in
// its own flow when the action names one and otherwise in this run's
// working queue. The ClientToken is derived from this task, the action and
// the run's step count, so a run replayed after a restart finds the task it
// created instead of creating another.
func (h *taskHost) CreateTask(ctx context.Context, nt flow.NewTask) (string, error) {
	rec := &h.run.rec
	in := TaskInput{
		Name: nt.Name, Description: nt.Description, Attributes: nt.Attributes,
		RelatedTaskID: h.task.ID, InitiationMethod: InitiatedByFlow, TemplateID: resourceID(nt.Template),
		CreatedBy: "flow:" + rec.FlowID, ClientToken: shortToken(h.task.ID + "/" + rec.FlowID + "/" + nt.Token),
	}
	if nt.Flow != "" {
		id := resourceID(nt.Flow)
		if !h.fr.HasFlow(id) {
			return "", fmt.Errorf("ContactFlowId: %w", notFound("flow", nt.Flow))
		}
		in.FlowID = id
	} else if in.TemplateID == "" {
		in.QueueID, in.AgentID = rec.QueueID, rec.AgentID
	}
	if len(nt.References) > 0 {
		in.References = make(map[string]Reference, len(nt.References))
		for name, ref := range nt.References {
			in.References[name] = Reference{Type: ReferenceType(ref.Type), Value: ref.Value}
		}
	}
	switch {
	case nt.Delay > 0:
		in.ScheduledAt = h.fr.clock.Now().Add(nt.Delay)
	case !nt.Scheduled.IsZero():
		in.ScheduledAt = nt.Scheduled
	}
	t, err := h.fr.r.CreateTask(ctx, in)
	if err != nil {
		return "", err
	}
	return t.ID, nil
}

// shortToken keeps a ClientToken within its 500 bytes.
func shortToken(s string) string {
	if len(s) <= 500 {
		return s
	}
	return s[len(s)-500:]
}

// CheckFlow accepts a TransferToFlow to a flow the runner has.
func (h *taskHost) CheckFlow(_ context.Context, ref string) error {
	if !h.fr.HasFlow(ref) {
		return fmt.Errorf("ContactFlowId: %w", notFound("flow", ref))
	}
	return nil
}

// InHours answers CheckHoursOfOperation: the hours registered with
// FlowRunner.PutHours under the action's HoursOfOperationId, or, without
// one, those of the working queue (a queue without hours is always open).
func (h *taskHost) InHours(_ context.Context, ref string, t time.Time) (bool, error) {
	if ref != "" {
		id := resourceID(ref)
		h.fr.mu.Lock()
		hours, ok := h.fr.hours[id]
		h.fr.mu.Unlock()
		if !ok {
			return false, fmt.Errorf("HoursOfOperationId: %w", notFound("hours of operation", ref))
		}
		return hours.Open(t), nil
	}
	q := h.run.rec.QueueID
	if q == "" {
		return false, fmt.Errorf("no HoursOfOperationId and no working queue")
	}
	queue, err := h.fr.r.Queue(q)
	if err != nil {
		return false, err
	}
	return queue.Hours == nil || queue.Hours.Open(t), nil
}

// PutHours registers hours of operation for CheckHoursOfOperation actions
// that name them (by ID, or an ARN ending in /operating-hours/ID). The
// hours are validated as a queue's are.
func (fr *FlowRunner) PutHours(id string, hours HoursOfOperation) error {
	if id == "" || len(id) > MaxIDLen {
		return invalid("hours ID", id, fmt.Sprintf("1..%d bytes", MaxIDLen))
	}
	if err := hours.validate("hours"); err != nil {
		return err
	}
	fr.mu.Lock()
	defer fr.mu.Unlock()
	if fr.hours == nil {
		fr.hours = map[string]*HoursOfOperation{}
	}
	fr.hours[id] = &hours
	return nil
}
