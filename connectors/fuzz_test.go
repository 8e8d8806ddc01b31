package connectors_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchboard-go/switchboard/connectors"
)

// FuzzDecoders feeds any body to the three decoders: none panics, and
// every event they return has a source and an ID (so the engine never
// refuses it as invalid).
func FuzzDecoders(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.json"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"id": 1, "event": "order.failed", "data": {"items": [{"id": "x"}]}}`))
	f.Add([]byte(`{"detail-type": "CaseChangeEvent", "id": "e", "detail": {"ChangeEventHeader": {"entityName": "Case", "changeType": "UPDATE", "recordIds": ["500A"]}}}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"type": "zen:event-type:ticket.created", "id": 1e400}`))
	hook, err := connectors.NewWebhook(nopEval{}, connectors.WebhookOptions{IDPath: "data.items.0.id", TypePath: "event", Source: "OnAny"})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if ev, err := connectors.DecodeZendesk(body); err == nil {
			if ev.Source == "" || ev.ID == "" || ev.Payload["ticket"] == nil {
				t.Fatalf("zendesk event %+v", ev)
			}
		} else if err.Error() == "" {
			t.Fatal("empty error")
		}
		if evs, err := connectors.DecodeSalesforce(body); err == nil {
			if len(evs) == 0 {
				t.Fatal("no events and no error")
			}
			for _, ev := range evs {
				if ev.Source == "" || !strings.HasPrefix(ev.ID, "sf") || ev.Payload["recordId"] == "" {
					t.Fatalf("salesforce event %+v", ev)
				}
			}
		} else if errors.Is(err, connectors.ErrIgnored) && evs != nil {
			t.Fatal("ignored with events")
		}
		if ev, err := hook.Decode(body); err == nil && (ev.Source == "" || ev.ID == "") {
			t.Fatalf("webhook event %+v", ev)
		}
	})
}
