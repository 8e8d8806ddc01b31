package storetest

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/switchboard-go/switchboard"
)

// testTemplateStore checks the optional switchboard.TemplateStore
// capability; a store without it skips the test.
func testTemplateStore(t *testing.T, s switchboard.Store) {
	ts, ok := s.(switchboard.TemplateStore)
	if !ok {
		t.Skip("the store does not implement switchboard.TemplateStore")
	}
	ctx := context.Background()
	tpl := func(id string) *switchboard.TaskTemplate {
		return &switchboard.TaskTemplate{
			ID: id, Name: "Template " + id, Description: "d", Status: switchboard.TemplateInactive,
			Fields: []switchboard.TemplateField{
				{Name: "Title", Description: "t", Type: switchboard.FieldName},
				{Name: "Pick", Type: switchboard.FieldSingleSelect, SingleSelectOptions: []string{"a", "b"}},
			},
			Constraints: switchboard.TemplateConstraints{Required: []string{"Title"}, ReadOnly: []string{"Pick"}, Invisible: []string{"Pick"}},
			Defaults:    map[string]string{"Pick": "a"},
			QueueID:     "q",
		}
	}
	qc := func(id string) *switchboard.QuickConnect {
		return &switchboard.QuickConnect{ID: id, Name: "QC " + id, Description: "d", Type: switchboard.QuickConnectUser,
			UserID: "ana", FlowID: "f", QueueIDs: []string{"q1", "q2"}}
	}
	// Empty at first.
	if got, err := ts.Templates(ctx); err != nil || len(got) != 0 {
		t.Fatalf("Templates of an empty store: %v, %v", got, err)
	}
	if got, err := ts.QuickConnects(ctx); err != nil || len(got) != 0 {
		t.Fatalf("QuickConnects of an empty store: %v, %v", got, err)
	}

	// Round trip, with every field set, and copy-what-you-keep: the router
	// may change a record after Put returns.
	a, b := tpl("a"), tpl("b")
	for _, x := range []*switchboard.TaskTemplate{a, b} {
		if err := ts.PutTemplate(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	a.Name = "changed"
	a.Fields[1].SingleSelectOptions[0] = "changed"
	a.Constraints.Required[0] = "changed"
	a.Defaults["Pick"] = "changed"
	q := qc("x")
	if err := ts.PutQuickConnect(ctx, q); err != nil {
		t.Fatal(err)
	}
	q.QueueIDs[0] = "changed"
	wantTemplates(t, ts, tpl("a"), tpl("b"))
	wantQuickConnects(t, ts, qc("x"))

	// Records returned belong to the caller.
	got, _ := ts.Templates(ctx)
	for _, x := range got {
		x.Fields[0].Name = "changed"
		x.Defaults["Pick"] = "changed"
	}
	gotQ, _ := ts.QuickConnects(ctx)
	gotQ[0].QueueIDs[0] = "changed"
	wantTemplates(t, ts, tpl("a"), tpl("b"))
	wantQuickConnects(t, ts, qc("x"))

	// Replace and delete; deleting a missing ID is not an error.
	b2 := tpl("b")
	b2.Status = switchboard.TemplateActive
	b2.Fields = b2.Fields[:1]
	b2.Constraints = switchboard.TemplateConstraints{Required: []string{"Title"}}
	b2.Defaults = nil
	if err := ts.PutTemplate(ctx, b2); err != nil {
		t.Fatal(err)
	}
	if err := ts.DeleteTemplate(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if err := ts.DeleteTemplate(ctx, "never"); err != nil {
		t.Errorf("DeleteTemplate of a missing ID: %v", err)
	}
	wantTemplates(t, ts, b2)
	y := qc("y")
	y.Type, y.UserID, y.QueueID, y.QueueIDs = switchboard.QuickConnectQueue, "", "q", nil
	if err := ts.PutQuickConnect(ctx, y); err != nil {
		t.Fatal(err)
	}
	if err := ts.DeleteQuickConnect(ctx, "x"); err != nil {
		t.Fatal(err)
	}
	if err := ts.DeleteQuickConnect(ctx, "never"); err != nil {
		t.Errorf("DeleteQuickConnect of a missing ID: %v", err)
	}
	wantQuickConnects(t, ts, y)

	// They survive nothing else: Load and Write do not touch them.
	if _, err := s.Load(ctx); err != nil {
		t.Fatal(err)
	}
	wantTemplates(t, ts, b2)
}

func wantTemplates(t *testing.T, ts switchboard.TemplateStore, want ...*switchboard.TaskTemplate) {
	t.Helper()
	got, err := ts.Templates(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got = sortedBy(got, func(x *switchboard.TaskTemplate) string { return x.ID })
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Templates (-want +got):\n%s", diff)
	}
}

func wantQuickConnects(t *testing.T, ts switchboard.TemplateStore, want ...*switchboard.QuickConnect) {
	t.Helper()
	got, err := ts.QuickConnects(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got = sortedBy(got, func(x *switchboard.QuickConnect) string { return x.ID })
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("QuickConnects (-want +got):\n%s", diff)
	}
}
