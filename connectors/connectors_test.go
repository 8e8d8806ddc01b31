package connectors_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-go/switchboard"
	"github.com/switchboard-go/switchboard/connectors"
)

const secret = "dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ=="

var start = time.Date(2025, 1, 8, 10, 12, 30, 0, time.UTC)

// env is a router and rule engine on a manual clock behind the three
// handlers, each served over loopback.
type env struct {
	t            *testing.T
	clock        *switchboard.ManualClock
	router       *switchboard.Router
	eng          *switchboard.RuleEngine
	zd, sf, hook *httptest.Server
}

var testRules = []switchboard.Rule{
	{
		Name: "zendesk-urgent", On: switchboard.SourceZendeskTicketCreate,
		When: `event.ticket.priority in ["urgent", "high"]`,
		Actions: []switchboard.RuleAction{{CreateTask: &switchboard.CreateTaskAction{
			Name: "Ticket #{{ event.ticket.id }}: {{ event.ticket.subject }}", QueueID: "support",
			Attributes: map[string]string{"zendeskTicket": "{{ event.ticket.id }}"},
		}}},
	},
	{
		Name: "zendesk-opened", On: switchboard.SourceZendeskTicketStatusUpdate,
		When: `event.ticket.previous_status == "new" && event.ticket.status == "open"`,
		Actions: []switchboard.RuleAction{{CreateTask: &switchboard.CreateTaskAction{
			Name: "Work ticket #{{ event.ticket.id }}", QueueID: "support",
		}}},
	},
	{
		Name: "sf-high", On: switchboard.SourceSalesforceCaseCreate,
		When: `event.Priority == "High"`,
		Actions: []switchboard.RuleAction{{CreateTask: &switchboard.CreateTaskAction{
			Name: "Case {{ event.recordId }}: {{ event.Subject }}", QueueID: "support",
		}}},
	},
	{
		Name: "sf-escalated", On: connectors.SourceSalesforceCaseUpdate,
		When: `"IsEscalated" in event.ChangeEventHeader.changedFields && event.IsEscalated == true`,
		Actions: []switchboard.RuleAction{{CreateTask: &switchboard.CreateTaskAction{
			Name: "Escalated case {{ event.recordId }}", QueueID: "support", Priority: 1,
		}}},
	},
	{
		Name: "order-failed", On: "OnOrderFailed",
		Actions: []switchboard.RuleAction{{CreateTask: &switchboard.CreateTaskAction{
			Name: "Order {{ event.data.order.id }} failed", QueueID: "support",
		}}},
	},
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	clock := switchboard.NewManualClock(start)
	eng, err := switchboard.NewRuleEngine(testRules, &switchboard.RuleEngineOptions{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	n := 0
	r, err := switchboard.NewRouter(ctx, nil, &switchboard.Config{Clock: clock, Consumers: []switchboard.Consumer{eng},
		NewID: func() string { mu.Lock(); defer mu.Unlock(); n++; return fmt.Sprintf("task-%d", n) }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close(ctx) })
	if err := eng.Bind(r); err != nil {
		t.Fatal(err)
	}
	if err := r.PutQueue(ctx, switchboard.Queue{ID: "support", Name: "Support"}); err != nil {
		t.Fatal(err)
	}
	zd, err := connectors.NewZendesk(eng, connectors.ZendeskOptions{SigningSecret: secret, Options: connectors.Options{Clock: clock}})
	if err != nil {
		t.Fatal(err)
	}
	sf, err := connectors.NewSalesforce(eng, connectors.SalesforceOptions{Options: connectors.Options{APIKeyHeader: "X-Api-Key", APIKey: "k3y"}})
	if err != nil {
		t.Fatal(err)
	}
	hook, err := connectors.NewWebhook(eng, connectors.WebhookOptions{
		IDPath: "id", TypePath: "event", Sources: map[string]string{"order.failed": "OnOrderFailed"}, Secret: "hook-secret",
	})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, clock: clock, router: r, eng: eng, zd: httptest.NewServer(zd), sf: httptest.NewServer(sf), hook: httptest.NewServer(hook)}
	t.Cleanup(e.zd.Close)
	t.Cleanup(e.sf.Close)
	t.Cleanup(e.hook.Close)
	return e
}

func testdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type answer struct {
	Status  int
	Created []string `json:"created"`
	Matched []string `json:"matched"`
	Ignored string   `json:"ignored"`
	Error   string   `json:"error"`
}

func post(t *testing.T, url string, body []byte, header map[string]string) answer {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	return do(t, req)
}

func do(t *testing.T, req *http.Request) answer {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q, body %s", ct, raw)
	}
	a := answer{Status: resp.StatusCode}
	if err := json.Unmarshal(raw, &a); err != nil {
		t.Fatalf("answer %d is not JSON: %v: %s", resp.StatusCode, err, raw)
	}
	return a
}

// signed returns Zendesk's headers for body, signed at the clock's time
// plus skew.
func (e *env) signed(body []byte, skew time.Duration) map[string]string {
	ts := e.clock.Now().Add(skew).UTC().Format(time.RFC3339)
	return map[string]string{
		connectors.ZendeskSignatureHeader:          connectors.SignZendesk(secret, ts, body),
		connectors.ZendeskSignatureTimestampHeader: ts,
		"X-Zendesk-Webhook-Id":                     "01HZX4T9VQ8Y5F1B9C3D7E2A6G",
	}
}

func (e *env) tasks() []*switchboard.Task {
	e.t.Helper()
	var out []*switchboard.Task
	for t, err := range e.router.Tasks(switchboard.TaskQuery{}) {
		if err != nil {
			e.t.Fatal(err)
		}
		out = append(out, t)
	}
	return out
}

func (e *env) wantTasks(names ...string) {
	e.t.Helper()
	var got []string
	for _, t := range e.tasks() {
		got = append(got, t.Name)
	}
	slices.Sort(got)
	slices.Sort(names)
	if !slices.Equal(got, names) {
		e.t.Errorf("tasks %q, want %q", got, names)
	}
}

func wantOK(t *testing.T, a answer, created, matched []string) {
	t.Helper()
	if a.Status != http.StatusOK || !slices.Equal(a.Created, created) || !slices.Equal(a.Matched, matched) || a.Error != "" {
		t.Errorf("answer %+v, want 200 created %q matched %q", a, created, matched)
	}
}

func wantError(t *testing.T, a answer, status int, msg string) {
	t.Helper()
	if a.Status != status || !strings.Contains(a.Error, msg) || len(a.Created) != 0 {
		t.Errorf("answer %+v, want %d with an error containing %q", a, status, msg)
	}
}

func TestZendeskWebhookCreatesTask(t *testing.T) {
	e := newEnv(t)
	body := testdata(t, "zendesk_ticket_created.json")
	wantOK(t, post(t, e.zd.URL, body, e.signed(body, 0)), []string{"task-1"}, []string{"zendesk-urgent"})
	tasks := e.tasks()
	if len(tasks) != 1 {
		t.Fatalf("%d tasks", len(tasks))
	}
	tk := tasks[0]
	if tk.Name != "Ticket #141: Printer on fire" || tk.QueueID != "support" || tk.InitiationMethod != switchboard.InitiatedByRule ||
		tk.Attributes["zendeskTicket"] != "141" {
		t.Errorf("task %+v", tk)
	}
}

func TestZendeskDuplicateDelivery(t *testing.T) {
	e := newEnv(t)
	body := testdata(t, "zendesk_ticket_created.json")
	wantOK(t, post(t, e.zd.URL, body, e.signed(body, 0)), []string{"task-1"}, []string{"zendesk-urgent"})
	// Zendesk retries: the same event, signed again a minute later.
	e.clock.Advance(time.Minute)
	wantOK(t, post(t, e.zd.URL, body, e.signed(body, 0)), []string{"task-1"}, []string{"zendesk-urgent"})
	// The same signed request replayed within the tolerance window.
	h := e.signed(body, 0)
	wantOK(t, post(t, e.zd.URL, body, h), []string{"task-1"}, []string{"zendesk-urgent"})
	wantOK(t, post(t, e.zd.URL, body, h), []string{"task-1"}, []string{"zendesk-urgent"})
	e.wantTasks("Ticket #141: Printer on fire")
}

func TestZendeskSignature(t *testing.T) {
	body := func(t *testing.T) []byte { return testdata(t, "zendesk_ticket_created.json") }
	tests := []struct {
		name   string
		header func(e *env, b []byte) map[string]string
		body   func(b []byte) []byte
		msg    string
	}{
		{name: "tampered body", msg: "signature does not match",
			header: func(e *env, b []byte) map[string]string { return e.signed(b, 0) },
			body:   func(b []byte) []byte { return bytes.Replace(b, []byte(`"URGENT"`), []byte(`"HIGH"  `), 1) }},
		{name: "wrong secret", msg: "signature does not match",
			header: func(e *env, b []byte) map[string]string {
				h := e.signed(b, 0)
				h[connectors.ZendeskSignatureHeader] = connectors.SignZendesk("another secret", h[connectors.ZendeskSignatureTimestampHeader], b)
				return h
			}},
		{name: "body + timestamp order", msg: "signature does not match",
			header: func(e *env, b []byte) map[string]string {
				h := e.signed(b, 0)
				ts := h[connectors.ZendeskSignatureTimestampHeader]
				h[connectors.ZendeskSignatureHeader] = connectors.SignZendesk(secret, "", append(slices.Clip(b), ts...))
				return h
			}},
		{name: "timestamp changed", msg: "signature does not match",
			header: func(e *env, b []byte) map[string]string {
				h := e.signed(b, 0)
				h[connectors.ZendeskSignatureTimestampHeader] = e.clock.Now().Add(time.Second).Format(time.RFC3339)
				return h
			}},
		{name: "no signature", msg: "missing X-Zendesk-Webhook-Signature",
			header: func(e *env, b []byte) map[string]string {
				h := e.signed(b, 0)
				delete(h, connectors.ZendeskSignatureHeader)
				return h
			}},
		{name: "no timestamp", msg: "missing X-Zendesk-Webhook-Signature",
			header: func(e *env, b []byte) map[string]string {
				h := e.signed(b, 0)
				delete(h, connectors.ZendeskSignatureTimestampHeader)
				return h
			}},
		{name: "garbage signature", msg: "signature does not match",
			header: func(e *env, b []byte) map[string]string {
				h := e.signed(b, 0)
				h[connectors.ZendeskSignatureHeader] = "not base64 at all!"
				return h
			}},
		{name: "timestamp not ISO-8601", msg: "is not an ISO-8601 time",
			header: func(e *env, b []byte) map[string]string {
				ts := "1736331150"
				return map[string]string{connectors.ZendeskSignatureHeader: connectors.SignZendesk(secret, ts, b), connectors.ZendeskSignatureTimestampHeader: ts}
			}},
		{name: "stale: 6 minutes old", msg: "outside the tolerance of 5m0s",
			header: func(e *env, b []byte) map[string]string { return e.signed(b, -6*time.Minute) }},
		{name: "stale: 6 minutes ahead", msg: "outside the tolerance of 5m0s",
			header: func(e *env, b []byte) map[string]string { return e.signed(b, 6*time.Minute) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			b := body(t)
			h := tt.header(e, b)
			if tt.body != nil {
				b = tt.body(b)
			}
			wantError(t, post(t, e.zd.URL, b, h), http.StatusUnauthorized, tt.msg)
			e.wantTasks()
		})
	}
}

func TestZendeskReplayAfterWindow(t *testing.T) {
	e := newEnv(t)
	body := testdata(t, "zendesk_ticket_created.json")
	h := e.signed(body, 0)
	e.clock.Advance(4*time.Minute + 59*time.Second)
	wantOK(t, post(t, e.zd.URL, body, h), []string{"task-1"}, []string{"zendesk-urgent"})
	e.clock.Advance(2 * time.Second) // 5m01s after signing: the captured request no longer works
	wantError(t, post(t, e.zd.URL, body, h), http.StatusUnauthorized, "outside the tolerance")
	e.wantTasks("Ticket #141: Printer on fire")
}

func TestZendeskShapes(t *testing.T) {
	tests := []struct {
		file, created, matched, task string
	}{
		{"zendesk_ticket_created.json", "task-1", "zendesk-urgent", "Ticket #141: Printer on fire"},
		{"zendesk_ticket_status_changed.json", "task-1", "zendesk-opened", "Work ticket #141"},
		{"zendesk_eventbridge_ticket_created.json", "task-1", "zendesk-urgent", "Ticket #35436: Cannot log in to the portal"},
		{"zendesk_eventbridge_status_changed.json", "task-1", "zendesk-opened", "Work ticket #35436"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			e := newEnv(t)
			body := testdata(t, tt.file)
			wantOK(t, post(t, e.zd.URL, body, e.signed(body, 0)), []string{tt.created}, []string{tt.matched})
			e.wantTasks(tt.task)
		})
	}
}

func TestZendeskRejects(t *testing.T) {
	e := newEnv(t)
	huge := append([]byte(`{"type":"zen:event-type:ticket.created","id":"x","detail":{"id":"1","subject":"`), bytes.Repeat([]byte("a"), 2<<20)...)
	huge = append(huge, `","priority":"URGENT"}}`...)
	tests := []struct {
		name   string
		body   []byte
		status int
		msg    string
	}{
		{"2 MiB body", huge, http.StatusRequestEntityTooLarge, "body larger than the limit of 1048576 bytes"},
		{"invalid JSON", []byte(`{"type": "zen:event-type:ticket.created", "id": `), http.StatusBadRequest, "malformed JSON"},
		{"not an object", []byte(`["zen:event-type:ticket.created"]`), http.StatusBadRequest, "not a JSON object"},
		{"trailing data", []byte(`{"type":"zen:event-type:ticket.created"} {}`), http.StatusBadRequest, "data after the top-level value"},
		{"no type", []byte(`{"id":"1","detail":{}}`), http.StatusBadRequest, `no "type"`},
		{"no id", []byte(`{"type":"zen:event-type:ticket.created","detail":{"id":"1"}}`), http.StatusBadRequest, `without an "id"`},
		{"no detail", []byte(`{"type":"zen:event-type:ticket.created","id":"e1"}`), http.StatusBadRequest, `without a "detail"`},
		{"EventBridge without ticket", []byte(`{"detail-type":"Support Ticket: Ticket Created","id":"e1","detail":{}}`), http.StatusBadRequest, "without \"detail.ticket_event.ticket\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantError(t, post(t, e.zd.URL, tt.body, e.signed(tt.body, 0)), tt.status, tt.msg)
		})
	}
	t.Run("2 MiB body, chunked", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, e.zd.URL, io.MultiReader(bytes.NewReader(huge))) // no ContentLength
		for k, v := range e.signed(huge, 0) {
			req.Header.Set(k, v)
		}
		if req.ContentLength != 0 {
			t.Fatal("want a request of unknown length")
		}
		wantError(t, do(t, req), http.StatusRequestEntityTooLarge, "body larger than the limit")
	})
	t.Run("GET", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodGet, e.zd.URL, nil)
		wantError(t, do(t, req), http.StatusMethodNotAllowed, "deliveries are POSTed")
	})
	e.wantTasks()
}

func TestZendeskUnknownEventType(t *testing.T) {
	e := newEnv(t)
	for _, body := range [][]byte{
		testdata(t, "zendesk_comment_added.json"),
		[]byte(`{"version":"0","id":"e2","detail-type":"Support Ticket: Agent Assignment Changed","detail":{"ticket_event":{"ticket":{"id":1}}}}`),
	} {
		a := post(t, e.zd.URL, body, e.signed(body, 0))
		if a.Status != http.StatusOK || len(a.Created) != 0 || !strings.Contains(a.Ignored, "is not a rule source") {
			t.Errorf("answer %+v, want 200 ignored", a)
		}
	}
	e.wantTasks()
}

func TestSalesforce(t *testing.T) {
	key := map[string]string{"X-Api-Key": "k3y"}
	e := newEnv(t)
	create := testdata(t, "salesforce_cdc_case_create.json")
	wantOK(t, post(t, e.sf.URL, create, key), []string{"task-1"}, []string{"sf-high"})
	// Duplicate, and the same change through AppFlow → EventBridge: the
	// transaction key and sequence number make them one event.
	wantOK(t, post(t, e.sf.URL, create, key), []string{"task-1"}, []string{"sf-high"})
	wantOK(t, post(t, e.sf.URL, testdata(t, "salesforce_appflow_case_create.json"), key), []string{"task-1"}, []string{"sf-high"})
	wantOK(t, post(t, e.sf.URL, testdata(t, "salesforce_cdc_case_update.json"), key), []string{"task-2"}, []string{"sf-escalated"})
	wantOK(t, post(t, e.sf.URL, testdata(t, "salesforce_cdc_case_create_batch.json"), key), []string{"task-3", "task-4"}, []string{"sf-high"})
	a := post(t, e.sf.URL, testdata(t, "salesforce_cdc_case_delete.json"), key)
	if a.Status != http.StatusOK || a.Ignored != `ignored: changeType "DELETE" is not a rule source` {
		t.Errorf("delete: %+v", a)
	}
	wantError(t, post(t, e.sf.URL, create, nil), http.StatusUnauthorized, "missing or wrong X-Api-Key header")
	wantError(t, post(t, e.sf.URL, create, map[string]string{"X-Api-Key": "k3x"}), http.StatusUnauthorized, "X-Api-Key")
	wantError(t, post(t, e.sf.URL, []byte(`{"payload":`), key), http.StatusBadRequest, "malformed JSON")
	wantError(t, post(t, e.sf.URL, bytes.Repeat([]byte(" "), 2<<20), key), http.StatusRequestEntityTooLarge, "limit of 1048576 bytes")
	e.wantTasks("Case 5003000000D8cuIQAA: Shipment arrived damaged", "Escalated case 5003000000D8cuIQAA",
		"Case 5003000000D8cvAAAR: Bulk import: warranty claim", "Case 5003000000D8cvBAAR: Bulk import: warranty claim")
	for _, tk := range e.tasks() {
		if tk.Name == "Escalated case 5003000000D8cuIQAA" && tk.Priority != 1 {
			t.Errorf("escalation priority %d", tk.Priority)
		}
	}
}

func TestDecodeSalesforceIDs(t *testing.T) {
	raw, err := connectors.DecodeSalesforce(testdata(t, "salesforce_cdc_case_create.json"))
	if err != nil {
		t.Fatal(err)
	}
	flow, err := connectors.DecodeSalesforce(testdata(t, "salesforce_appflow_case_create.json"))
	if err != nil {
		t.Fatal(err)
	}
	const id = "sf:0002343d-9d90-e395-ed20-cf416ba652ad:1:5003000000D8cuIQAA"
	if len(raw) != 1 || len(flow) != 1 || raw[0].ID != id || flow[0].ID != id || raw[0].Source != switchboard.SourceSalesforceCaseCreate {
		t.Fatalf("raw %+v\nappflow %+v", raw, flow)
	}
	if raw[0].Payload["replayId"] != "6012" || raw[0].Payload["recordId"] != "5003000000D8cuIQAA" || raw[0].Payload["Priority"] != "High" {
		t.Errorf("raw payload %v", raw[0].Payload)
	}
	evs, err := connectors.DecodeSalesforce([]byte(`{"payload":{"ChangeEventHeader":{"entityName":"Case","changeType":"GAP_UPDATE","recordIds":["500A"]}},"event":{"replayId":77}}`))
	if err != nil || len(evs) != 1 || evs[0].ID != "sf-replay:77:500A" || evs[0].Source != connectors.SourceSalesforceCaseUpdate {
		t.Errorf("gap update: %+v %v", evs, err)
	}
	for body, msg := range map[string]string{
		`{"payload":{"ChangeEventHeader":{"entityName":"Case","changeType":"CREATE","recordIds":["500A"]}}}`:   "without an ID",
		`{"payload":{"ChangeEventHeader":{"entityName":"Case","changeType":"CREATE"}},"event":{"replayId":1}}`: "without \"recordIds\"",
		`{"payload":{"ChangeEventHeader":{"entityName":"Case","recordIds":["500A"]}},"event":{"replayId":1}}`:  "without a \"changeType\"",
		`{"payload":{"Subject":"x"}}`:                "without a \"ChangeEventHeader\"",
		`{"schema":"x"}`:                             "not a Change Data Capture event",
		`{"detail-type":"CaseChangeEvent","id":"e"}`: "without a \"detail\"",
		`{"payload":{"ChangeEventHeader":{"entityName":"Case","changeType":"CREATE","recordIds":[5]}},"event":{"replayId":1}}`: "not a record ID",
	} {
		if _, err := connectors.DecodeSalesforce([]byte(body)); err == nil || !strings.Contains(err.Error(), msg) || errors.Is(err, connectors.ErrIgnored) {
			t.Errorf("%s: %v, want %q", body, err, msg)
		}
	}
	for _, body := range []string{
		`{"detail-type":"AccountChangeEvent","id":"e","detail":{}}`,
		`{"payload":{"ChangeEventHeader":{"entityName":"Account","changeType":"CREATE","recordIds":["001A"]}}}`,
		`{"payload":{"ChangeEventHeader":{"entityName":"Case","changeType":"UNDELETE","recordIds":["500A"]}}}`,
	} {
		if _, err := connectors.DecodeSalesforce([]byte(body)); !errors.Is(err, connectors.ErrIgnored) {
			t.Errorf("%s: %v, want ErrIgnored", body, err)
		}
	}
}

func TestDecodeZendeskNormalTicket(t *testing.T) {
	native, err := connectors.DecodeZendesk(testdata(t, "zendesk_ticket_status_changed.json"))
	if err != nil {
		t.Fatal(err)
	}
	eb, err := connectors.DecodeZendesk(testdata(t, "zendesk_eventbridge_status_changed.json"))
	if err != nil {
		t.Fatal(err)
	}
	nt, et := native.Payload["ticket"].(map[string]any), eb.Payload["ticket"].(map[string]any)
	for k, want := range map[string][2]any{
		"id": {"141", "35436"}, "status": {"open", "open"}, "previous_status": {"new", "new"},
		"priority": {"urgent", "high"}, "type": {"incident", "problem"}, "requester_id": {"8447388090494", "20978392"},
		"assignee_id": {"8447388090494", "8447388090494"},
	} {
		if nt[k] != want[0] || et[k] != want[1] {
			t.Errorf("ticket.%s = %v / %v, want %v", k, nt[k], et[k], want)
		}
	}
	if native.ID != "5d6f1a2e-0b7c-4a43-9a57-6a1d2c7e9f10" || eb.ID != "1a2b3c4d-5e6f-7a8b-9c0d-e1f2a3b4c5d6" ||
		native.Source != switchboard.SourceZendeskTicketStatusUpdate || eb.Source != switchboard.SourceZendeskTicketStatusUpdate {
		t.Errorf("native %s %s, EventBridge %s %s", native.Source, native.ID, eb.Source, eb.ID)
	}
	// The delivery itself is kept as it came.
	if d := native.Payload["detail"].(map[string]any); d["status"] != "OPEN" {
		t.Errorf("detail.status %v", d["status"])
	}
}

func hmacHex(key string, body []byte) string {
	return "sha256=" + fmt.Sprintf("%x", hmacSum(key, body))
}

func TestWebhook(t *testing.T) {
	e := newEnv(t)
	body := []byte(`{"id": 90210, "event": "order.failed", "data": {"order": {"id": "A-17", "reason": "card declined"}}}`)
	sig := map[string]string{connectors.DefaultSignatureHeader: hmacHex("hook-secret", body)}
	wantOK(t, post(t, e.hook.URL, body, sig), []string{"task-1"}, []string{"order-failed"})
	wantOK(t, post(t, e.hook.URL, body, sig), []string{"task-1"}, []string{"order-failed"})
	// base64 works too.
	b64 := map[string]string{connectors.DefaultSignatureHeader: base64Sum("hook-secret", body)}
	wantOK(t, post(t, e.hook.URL, body, b64), []string{"task-1"}, []string{"order-failed"})

	wantError(t, post(t, e.hook.URL, body, nil), http.StatusUnauthorized, "missing or wrong X-Signature-256 header")
	wantError(t, post(t, e.hook.URL, append(slices.Clip(body), ' '), sig), http.StatusUnauthorized, "X-Signature-256")
	signed := func(b string) ([]byte, map[string]string) {
		return []byte(b), map[string]string{connectors.DefaultSignatureHeader: hmacHex("hook-secret", []byte(b))}
	}
	b, h := signed(`{"id": "x", "event": "order.shipped"}`)
	if a := post(t, e.hook.URL, b, h); a.Status != http.StatusOK || a.Ignored != `ignored: event type "order.shipped" is not mapped to a source` {
		t.Errorf("unmapped: %+v", a)
	}
	b, h = signed(`{"event": "order.failed"}`)
	wantError(t, post(t, e.hook.URL, b, h), http.StatusBadRequest, `no event ID at "id"`)
	b, h = signed(`{"id": "y"}`)
	wantError(t, post(t, e.hook.URL, b, h), http.StatusBadRequest, `no event type at "event"`)
	b, h = signed(`{"id": "y", `)
	wantError(t, post(t, e.hook.URL, b, h), http.StatusBadRequest, "malformed JSON")
	e.wantTasks("Order A-17 failed")
}

// A Stripe-style signed webhook: the signature covers "<unix seconds>.<body>",
// so a delivery captured and sent again after the window answers 401 even
// though its signature is still right.
func TestWebhookReplayWindow(t *testing.T) {
	e := newEnv(t)
	h, err := connectors.NewWebhook(e.eng, connectors.WebhookOptions{
		IDPath: "id", TypePath: "event", Sources: map[string]string{"order.failed": "OnOrderFailed"},
		Secret: "hook-secret", SignatureHeader: "X-Hook-Signature", TimestampHeader: "X-Hook-Timestamp", TimestampSeparator: ".",
		Options: connectors.Options{Clock: e.clock},
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	body := []byte(`{"id": "evt_1", "event": "order.failed", "data": {"order": {"id": "B-9"}}}`)
	sign := func(at time.Time, b []byte) map[string]string {
		ts := strconv.FormatInt(at.Unix(), 10)
		return map[string]string{"X-Hook-Timestamp": ts, "X-Hook-Signature": "sha256=" + connectors.SignWebhook("hook-secret", ts, ".", b)}
	}
	captured := sign(e.clock.Now(), body)
	wantOK(t, post(t, srv.URL, body, captured), []string{"task-1"}, []string{"order-failed"})

	// Within the window the captured delivery is a harmless duplicate.
	e.clock.Advance(4 * time.Minute)
	wantOK(t, post(t, srv.URL, body, captured), []string{"task-1"}, []string{"order-failed"})
	// Past it, the same bytes are a replay.
	e.clock.Advance(2 * time.Minute)
	wantError(t, post(t, srv.URL, body, captured), http.StatusUnauthorized, "outside the tolerance of 5m0s")
	// A timestamp from the future is refused the same way (a skewed sender).
	wantError(t, post(t, srv.URL, body, sign(e.clock.Now().Add(6*time.Minute), body)), http.StatusUnauthorized, "outside the tolerance")
	// The timestamp is signed: moving it forward breaks the signature.
	moved := sign(e.clock.Now().Add(-time.Hour), body)
	moved["X-Hook-Timestamp"] = strconv.FormatInt(e.clock.Now().Unix(), 10)
	wantError(t, post(t, srv.URL, body, moved), http.StatusUnauthorized, "missing or wrong X-Hook-Signature header")
	// No timestamp, or one that is not a time.
	wantError(t, post(t, srv.URL, body, map[string]string{"X-Hook-Signature": captured["X-Hook-Signature"]}), http.StatusUnauthorized, "missing X-Hook-Timestamp header")
	bad := map[string]string{"X-Hook-Timestamp": "yesterday", "X-Hook-Signature": connectors.SignWebhook("hook-secret", "yesterday", ".", body)}
	wantError(t, post(t, srv.URL, body, bad), http.StatusUnauthorized, "neither Unix seconds nor an RFC 3339 time")
	// RFC 3339 timestamps work too; a fresh signature of the same event creates nothing new.
	ts := e.clock.Now().UTC().Format(time.RFC3339)
	wantOK(t, post(t, srv.URL, body, map[string]string{"X-Hook-Timestamp": ts, "X-Hook-Signature": connectors.SignWebhook("hook-secret", ts, ".", body)}),
		[]string{"task-1"}, []string{"order-failed"})
	e.wantTasks("Order B-9 failed")
}

func TestWebhookPaths(t *testing.T) {
	h, err := connectors.NewWebhook(nopEval{}, connectors.WebhookOptions{IDPath: "items.1.id", TypePath: "meta.kind", Source: "OnAnything"})
	if err != nil {
		t.Fatal(err)
	}
	ev, err := h.Decode([]byte(`{"meta":{"kind":3},"items":[{"id":"a"},{"id":12.5}]}`))
	if err != nil || ev.ID != "12.5" || ev.Source != "OnAnything" {
		t.Errorf("%+v %v", ev, err)
	}
	for _, body := range []string{`{"meta":{"kind":3},"items":[{"id":"a"}]}`, `{"meta":{"kind":3},"items":{"1":{"id":""}}}`, `{"meta":{"kind":3},"items":[{},{"id":{}}]}`} {
		if _, err := h.Decode([]byte(body)); err == nil || !strings.Contains(err.Error(), "no event ID") {
			t.Errorf("%s: %v", body, err)
		}
	}
}

func TestOptionsErrors(t *testing.T) {
	ev := nopEval{}
	for name, f := range map[string]func() error{
		"zendesk nil evaluator": func() error {
			_, err := connectors.NewZendesk(nil, connectors.ZendeskOptions{SigningSecret: "s"})
			return err
		},
		"zendesk no secret": func() error { _, err := connectors.NewZendesk(ev, connectors.ZendeskOptions{}); return err },
		"zendesk negative window": func() error {
			_, err := connectors.NewZendesk(ev, connectors.ZendeskOptions{SigningSecret: "s", Tolerance: -1})
			return err
		},
		"negative body limit": func() error {
			_, err := connectors.NewSalesforce(ev, connectors.SalesforceOptions{Options: connectors.Options{MaxBodyBytes: -1}})
			return err
		},
		"api key without header": func() error {
			_, err := connectors.NewSalesforce(ev, connectors.SalesforceOptions{Options: connectors.Options{APIKey: "k"}})
			return err
		},
		"webhook no id path": func() error { _, err := connectors.NewWebhook(ev, connectors.WebhookOptions{Source: "S"}); return err },
		"webhook no source":  func() error { _, err := connectors.NewWebhook(ev, connectors.WebhookOptions{IDPath: "id"}); return err },
		"webhook no type path": func() error {
			_, err := connectors.NewWebhook(ev, connectors.WebhookOptions{IDPath: "id", Sources: map[string]string{"a": "S"}})
			return err
		},
		"webhook timestamp without secret": func() error {
			_, err := connectors.NewWebhook(ev, connectors.WebhookOptions{IDPath: "id", Source: "S", TimestampHeader: "X-Ts"})
			return err
		},
		"webhook tolerance without timestamp": func() error {
			_, err := connectors.NewWebhook(ev, connectors.WebhookOptions{IDPath: "id", Source: "S", Secret: "s", Tolerance: time.Minute})
			return err
		},
		"webhook negative tolerance": func() error {
			_, err := connectors.NewWebhook(ev, connectors.WebhookOptions{IDPath: "id", Source: "S", Secret: "s", TimestampHeader: "X-Ts", Tolerance: -1})
			return err
		},
		"webhook empty source": func() error {
			_, err := connectors.NewWebhook(ev, connectors.WebhookOptions{IDPath: "id", TypePath: "t", Sources: map[string]string{"a": ""}})
			return err
		},
	} {
		if err := f(); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if _, err := connectors.NewZendesk(ev, connectors.ZendeskOptions{Unsigned: true}); err != nil {
		t.Errorf("unsigned: %v", err)
	}
}

// nopEval and blockingEval stand in for the engine.
type nopEval struct{}

func (nopEval) Evaluate(context.Context, switchboard.RuleEvent) (switchboard.RuleResult, error) {
	return switchboard.RuleResult{}, nil
}

type blockingEval struct{}

func (blockingEval) Evaluate(ctx context.Context, _ switchboard.RuleEvent) (switchboard.RuleResult, error) {
	<-ctx.Done()
	return switchboard.RuleResult{}, ctx.Err()
}

type failingEval struct{}

func (failingEval) Evaluate(context.Context, switchboard.RuleEvent) (switchboard.RuleResult, error) {
	return switchboard.RuleResult{Matched: []string{"r"}}, &switchboard.RuleError{Rule: "r", Op: "createTask", Err: errors.New("store down: secret internals")}
}

func TestHandlerHonoursRequestContext(t *testing.T) {
	h, err := connectors.NewZendesk(blockingEval{}, connectors.ZendeskOptions{Unsigned: true})
	if err != nil {
		t.Fatal(err)
	}
	body := testdata(t, "zendesk_ticket_created.json")
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/zendesk", bytes.NewReader(body))
	rec := httptest.NewRecorder()
	began := time.Now()
	h.ServeHTTP(rec, req)
	if d := time.Since(began); d > 2*time.Second {
		t.Errorf("handler returned after %s", d)
	}
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "deliver it again") {
		t.Errorf("%d %s", rec.Code, rec.Body)
	}

	// Options.Timeout bounds it further.
	h, err = connectors.NewZendesk(blockingEval{}, connectors.ZendeskOptions{Unsigned: true, Options: connectors.Options{Timeout: 20 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/zendesk", bytes.NewReader(body)))
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("%d %s", rec.Code, rec.Body)
	}
}

func TestRuleFailureAnswers500(t *testing.T) {
	h, err := connectors.NewZendesk(failingEval{}, connectors.ZendeskOptions{Unsigned: true})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/zendesk", bytes.NewReader(testdata(t, "zendesk_ticket_created.json"))))
	if rec.Code != http.StatusInternalServerError || strings.Contains(rec.Body.String(), "secret internals") ||
		!strings.Contains(rec.Body.String(), `"matched":["r"]`) || !strings.Contains(rec.Body.String(), "retried safely") {
		t.Errorf("%d %s", rec.Code, rec.Body)
	}
}
