// Command zendesk-rules replays a file of Zendesk webhook deliveries
// through the connectors.Zendesk handler, over HTTP on loopback, into a
// rule engine and a router, and prints which tasks were created and why.
//
//	go run ./examples/zendesk-rules
package main

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"time"

	"github.com/switchboard-go/switchboard"
	"github.com/switchboard-go/switchboard/connectors"
	"github.com/switchboard-go/switchboard/examples/internal/noflags"
)

//go:embed deliveries.json
var deliveriesJSON []byte

// The webhook's signing secret, as Zendesk's Admin Center shows it.
const signingSecret = "3sjxm5hVd1tVZTRbQ8wQ5Y2yWnqv4bJz0pKcC7LmNaE="

var rules = []switchboard.Rule{
	{
		Name: "urgent-tickets",
		On:   switchboard.SourceZendeskTicketCreate,
		When: `event.ticket.priority in ["urgent", "high"]`,
		Actions: []switchboard.RuleAction{{CreateTask: &switchboard.CreateTaskAction{
			Name:        "Ticket #{{ event.ticket.id }}: {{ event.ticket.subject }}",
			Description: "Zendesk {{ event.ticket.priority }} ticket",
			QueueID:     "support",
			Attributes:  map[string]string{"zendeskTicket": "{{ event.ticket.id }}"},
			References: map[string]switchboard.Reference{"ticket": {Type: switchboard.ReferenceURL,
				Value: "https://example.zendesk.com/agent/tickets/{{ event.ticket.id }}"}},
		}}},
	},
	{
		Name: "reopened-tickets",
		On:   switchboard.SourceZendeskTicketStatusUpdate,
		When: `event.ticket.previous_status == "solved" && event.ticket.status == "open"`,
		Actions: []switchboard.RuleAction{{CreateTask: &switchboard.CreateTaskAction{
			Name: "Reopened ticket #{{ event.ticket.id }}: {{ event.ticket.subject }}", QueueID: "support", Priority: 1,
		}}},
	},
}

type delivery struct {
	Note   string          `json:"note"`
	Tamper bool            `json:"tamper"`
	Body   json.RawMessage `json:"body"`
}

func main() {
	noflags.Parse()
	if err := run(os.Stdout); err != nil {
		log.Fatal(err)
	}
}

func run(out io.Writer) error {
	ctx := context.Background()
	clock := switchboard.NewManualClock(time.Date(2025, 1, 8, 10, 16, 0, 0, time.UTC))
	eng, err := switchboard.NewRuleEngine(rules, &switchboard.RuleEngineOptions{Clock: clock})
	if err != nil {
		return err
	}
	n := 0
	r, err := switchboard.NewRouter(ctx, nil, &switchboard.Config{Clock: clock, Consumers: []switchboard.Consumer{eng},
		NewID: func() string { n++; return fmt.Sprintf("task-%d", n) }})
	if err != nil {
		return err
	}
	defer r.Close(ctx)
	if err := eng.Bind(r); err != nil {
		return err
	}
	if err := r.PutQueue(ctx, switchboard.Queue{ID: "support", Name: "Support"}); err != nil {
		return err
	}
	h, err := connectors.NewZendesk(eng, connectors.ZendeskOptions{SigningSecret: signingSecret, Options: connectors.Options{Clock: clock}})
	if err != nil {
		return err
	}
	srv := httptest.NewServer(h) // 127.0.0.1, a free port
	defer srv.Close()

	var ds []delivery
	if err := json.Unmarshal(deliveriesJSON, &ds); err != nil {
		return err
	}
	for i, d := range ds {
		ts := clock.Now().Format(time.RFC3339)
		sig := connectors.SignZendesk(signingSecret, ts, d.Body)
		body := d.Body
		if d.Tamper {
			body = bytes.Replace(body, []byte(`"Refund me now"`), []byte(`"Refund me NOW"`), 1)
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/zendesk", bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(connectors.ZendeskSignatureHeader, sig)
		req.Header.Set(connectors.ZendeskSignatureTimestampHeader, ts)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		var a connectors.Response
		err = json.NewDecoder(resp.Body).Decode(&a)
		resp.Body.Close()
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "%d. %s\n   %d %s\n", i+1, d.Note, resp.StatusCode, http.StatusText(resp.StatusCode))
		switch {
		case a.Error != "":
			fmt.Fprintf(out, "   refused: %s\n", a.Error)
		case a.Ignored != "":
			fmt.Fprintf(out, "   %s\n", a.Ignored)
		case len(a.Created) == 0:
			fmt.Fprintf(out, "   no task: no rule matched\n")
		}
		if len(a.Matched) > 0 {
			fmt.Fprintf(out, "   matched: %s\n", strings.Join(a.Matched, ", "))
		}
		for _, id := range a.Created {
			t, err := r.Task(ctx, id)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "   %s %q in queue %s, created by %s\n", t.ID, t.Name, t.QueueID, t.CreatedBy)
		}
		clock.Advance(5 * time.Second)
	}
	page, err := r.ListTasks(switchboard.TaskQuery{})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "%d deliveries, %d tasks\n", len(ds), len(page.Tasks))
	return nil
}
