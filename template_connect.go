package switchboard

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// ConnectTaskTemplate is a task template in the JSON form of Amazon
// Connect's task-template API: the body of CreateTaskTemplate and
// UpdateTaskTemplate, and the answer of GetTaskTemplate (which adds Arn, Id,
// InstanceId, times and tags). A host moving from Connect loads the
// templates it exported with LoadConnectTaskTemplate and puts them with
// Router.PutTaskTemplate; ConnectTaskTemplateOf writes one back.
//
// Members this type does not name (ContactHooks, SnapshotVersion, ...) are
// ignored when loading. ContactFlowId and SelfAssignFlowId are kept as they
// are, for the host to map to its own flows; the TaskTemplate routes by
// queue (TaskTemplate.QueueID), which Connect templates do not carry.
type ConnectTaskTemplate struct {
	Arn              string                          `json:",omitempty"`
	Id               string                          `json:",omitempty"`
	InstanceId       string                          `json:",omitempty"`
	Name             string                          `json:",omitempty"`
	Description      string                          `json:",omitempty"`
	ContactFlowId    string                          `json:",omitempty"`
	SelfAssignFlowId string                          `json:",omitempty"`
	Constraints      *ConnectTaskTemplateConstraints `json:",omitempty"`
	Defaults         *ConnectTaskTemplateDefaults    `json:",omitempty"`
	Fields           []ConnectTaskTemplateField      `json:",omitempty"`
	Status           string                          `json:",omitempty"`
	CreatedTime      json.RawMessage                 `json:",omitempty"` // epoch seconds, kept verbatim
	LastModifiedTime json.RawMessage                 `json:",omitempty"`
	Tags             map[string]string               `json:",omitempty"`
}

// ConnectFieldIdentifier is Connect's TaskTemplateFieldIdentifier.
type ConnectFieldIdentifier struct {
	Name string
}

// ConnectTaskTemplateField is Connect's TaskTemplateField.
type ConnectTaskTemplateField struct {
	Id                  ConnectFieldIdentifier
	Description         string   `json:",omitempty"`
	Type                string   `json:",omitempty"`
	SingleSelectOptions []string `json:",omitempty"`
}

// ConnectTaskTemplateConstraints is Connect's TaskTemplateConstraints.
type ConnectTaskTemplateConstraints struct {
	RequiredFields  []ConnectFieldRef `json:",omitempty"`
	ReadOnlyFields  []ConnectFieldRef `json:",omitempty"`
	InvisibleFields []ConnectFieldRef `json:",omitempty"`
}

// ConnectFieldRef names a field in a constraint or a default.
type ConnectFieldRef struct {
	Id ConnectFieldIdentifier
}

// ConnectTaskTemplateDefaults is Connect's TaskTemplateDefaults.
type ConnectTaskTemplateDefaults struct {
	DefaultFieldValues []ConnectDefaultFieldValue `json:",omitempty"`
}

// ConnectDefaultFieldValue is Connect's TaskTemplateDefaultFieldValue.
type ConnectDefaultFieldValue struct {
	Id           ConnectFieldIdentifier
	DefaultValue string
}

// LoadConnectTaskTemplate reads a template Connect exported
// (GetTaskTemplate's answer, or a CreateTaskTemplate body) and returns it
// as a TaskTemplate, validated as PutTaskTemplate validates it. The ID is
// the template's Id, else the last part of its Arn, else id (pass "" to
// require one of the first two). Malformed JSON is a *JSONError naming the
// path; a template this package cannot represent (a SELF_ASSIGN field, a
// default or constraint for a field that does not exist, a default given
// twice) or one that breaks a limit is a *ValidationError naming the
// Connect member ("Fields[2].Type").
func LoadConnectTaskTemplate(data []byte, id string) (TaskTemplate, error) {
	var ct ConnectTaskTemplate
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&ct); err != nil {
		return TaskTemplate{}, connectJSONError(err)
	}
	if dec.More() {
		return TaskTemplate{}, &JSONError{Err: errors.New("more than one JSON value")}
	}
	return ct.TaskTemplate(id)
}

func connectJSONError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return &JSONError{Path: te.Field, Err: fmt.Errorf("want %s, got JSON %s", te.Type, te.Value)}
	}
	return &JSONError{Err: err}
}

// TaskTemplate converts ct; see LoadConnectTaskTemplate.
func (ct *ConnectTaskTemplate) TaskTemplate(id string) (TaskTemplate, error) {
	t := TaskTemplate{ID: ct.Id, Name: ct.Name, Description: ct.Description}
	if t.ID == "" && ct.Arn != "" {
		t.ID = ct.Arn[strings.LastIndexByte(ct.Arn, '/')+1:]
	}
	if t.ID == "" {
		t.ID = id
	}
	if t.ID == "" {
		return TaskTemplate{}, invalid("Id", "", "required: the template has no Id or Arn, and no ID was given")
	}
	switch ct.Status {
	case "", string(TemplateActive), string(TemplateInactive):
		t.Status = TemplateStatus(ct.Status)
	default:
		return TaskTemplate{}, invalid("Status", ct.Status, "ACTIVE or INACTIVE")
	}
	names := make(map[string]bool, len(ct.Fields))
	for i, f := range ct.Fields {
		field := "Fields[" + strconv.Itoa(i) + "]"
		if f.Type == "SELF_ASSIGN" {
			return TaskTemplate{}, invalid(field+".Type", f.Type, "not supported: tasks are assigned by routing, a quick connect or TaskInput.AgentID")
		}
		if !slices.Contains(FieldTypes, FieldType(f.Type)) {
			return TaskTemplate{}, invalid(field+".Type", f.Type, "one of Connect's TaskTemplateFieldType values")
		}
		names[f.Id.Name] = true
		t.Fields = append(t.Fields, TemplateField{
			Name: f.Id.Name, Description: f.Description, Type: FieldType(f.Type),
			SingleSelectOptions: slices.Clone(f.SingleSelectOptions),
		})
	}
	known := func(member, name string) error {
		if !names[name] {
			return invalid(member, name, "names no field of the template")
		}
		return nil
	}
	if c := ct.Constraints; c != nil {
		for _, l := range []struct {
			member string
			refs   []ConnectFieldRef
			dst    *[]string
		}{
			{"Constraints.RequiredFields", c.RequiredFields, &t.Constraints.Required},
			{"Constraints.ReadOnlyFields", c.ReadOnlyFields, &t.Constraints.ReadOnly},
			{"Constraints.InvisibleFields", c.InvisibleFields, &t.Constraints.Invisible},
		} {
			for i, ref := range l.refs {
				if err := known(l.member+"["+strconv.Itoa(i)+"].Id.Name", ref.Id.Name); err != nil {
					return TaskTemplate{}, err
				}
				*l.dst = append(*l.dst, ref.Id.Name)
			}
		}
	}
	if d := ct.Defaults; d != nil && len(d.DefaultFieldValues) > 0 {
		t.Defaults = make(map[string]string, len(d.DefaultFieldValues))
		for i, v := range d.DefaultFieldValues {
			member := "Defaults.DefaultFieldValues[" + strconv.Itoa(i) + "].Id.Name"
			if err := known(member, v.Id.Name); err != nil {
				return TaskTemplate{}, err
			}
			if _, dup := t.Defaults[v.Id.Name]; dup {
				return TaskTemplate{}, invalid(member, v.Id.Name, "a field has at most one default")
			}
			t.Defaults[v.Id.Name] = v.DefaultValue
		}
	}
	if err := t.Validate(); err != nil {
		var ve *ValidationError
		if errors.As(err, &ve) {
			ve.Field = connectMember(ve.Field)
		}
		return TaskTemplate{}, err
	}
	return t, nil
}

// connectMember turns a TaskTemplate field path into the Connect member it
// came from, so errors name what the user wrote: Fields[2].Name is
// Fields[2].Id.Name, Constraints.Required[0] is
// Constraints.RequiredFields[0].Id.Name, Defaults[x] is
// Defaults.DefaultFieldValues[x].
func connectMember(f string) string {
	f = strings.TrimPrefix(f, "TaskTemplate.")
	switch {
	case f == "ID":
		return "Id"
	case strings.HasPrefix(f, "Fields[") && strings.HasSuffix(f, "].Name"):
		return strings.TrimSuffix(f, "Name") + "Id.Name"
	case strings.HasPrefix(f, "Defaults["):
		return "Defaults.DefaultFieldValues" + strings.TrimPrefix(f, "Defaults")
	case strings.HasPrefix(f, "Constraints."):
		rest := strings.TrimPrefix(f, "Constraints.")
		name, idx, indexed := strings.Cut(rest, "[")
		if !indexed {
			return "Constraints." + name + "Fields"
		}
		return "Constraints." + name + "Fields[" + idx + ".Id.Name"
	}
	return f
}

// ConnectTaskTemplateOf returns t in Connect's form, as GetTaskTemplate
// answers (Id set, no Arn). Defaults are written in field order.
func ConnectTaskTemplateOf(t *TaskTemplate) ConnectTaskTemplate {
	ct := ConnectTaskTemplate{Id: t.ID, Name: t.Name, Description: t.Description, Status: string(t.Status)}
	if ct.Status == "" {
		ct.Status = string(TemplateActive)
	}
	refs := func(names []string) []ConnectFieldRef {
		var out []ConnectFieldRef
		for _, n := range names {
			out = append(out, ConnectFieldRef{Id: ConnectFieldIdentifier{Name: n}})
		}
		return out
	}
	if c := t.Constraints; len(c.Required)+len(c.ReadOnly)+len(c.Invisible) > 0 {
		ct.Constraints = &ConnectTaskTemplateConstraints{
			RequiredFields: refs(c.Required), ReadOnlyFields: refs(c.ReadOnly), InvisibleFields: refs(c.Invisible),
		}
	}
	for _, f := range t.Fields {
		ct.Fields = append(ct.Fields, ConnectTaskTemplateField{
			Id: ConnectFieldIdentifier{Name: f.Name}, Description: f.Description, Type: string(f.Type),
			SingleSelectOptions: slices.Clone(f.SingleSelectOptions),
		})
		if v, ok := t.Defaults[f.Name]; ok {
			if ct.Defaults == nil {
				ct.Defaults = &ConnectTaskTemplateDefaults{}
			}
			ct.Defaults.DefaultFieldValues = append(ct.Defaults.DefaultFieldValues,
				ConnectDefaultFieldValue{Id: ConnectFieldIdentifier{Name: f.Name}, DefaultValue: v})
		}
	}
	return ct
}
