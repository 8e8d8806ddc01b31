package main

import (
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	var out strings.Builder
	if err := run(&out); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	for _, want := range []string{
		"1. a new urgent ticket (webhook event schema)\n   200 OK\n   matched: urgent-tickets\n   task-1 \"Ticket #141: Printer on fire\" in queue support, created by rule:urgent-tickets\n",
		"2. Zendesk retries the same event\n   200 OK\n   matched: urgent-tickets\n   task-1 ",
		"3. a low-priority ticket: no rule matches\n   200 OK\n   no task: no rule matched\n",
		"task-2 \"Reopened ticket #99: Invoice shows the wrong address\"",
		"task-3 \"Ticket #35436: Cannot log in to the portal\"",
		"ignored: Zendesk event type \"zen:event-type:ticket.comment_added\" is not a rule source",
		"401 Unauthorized\n   refused: signature does not match\n",
		"7 deliveries, 3 tasks\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
}
