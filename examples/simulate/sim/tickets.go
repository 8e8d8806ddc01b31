package sim

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"
)

// zendeskEvent is a ticket.created event in the Zendesk webhook event
// schema (the shape of connectors/testdata/zendesk_ticket_created.json).
type zendeskEvent struct {
	AccountID    int64         `json:"account_id"`
	Detail       zendeskDetail `json:"detail"`
	Event        struct{}      `json:"event"`
	ID           string        `json:"id"`
	Subject      string        `json:"subject"`
	Time         string        `json:"time"`
	Type         string        `json:"type"`
	EventVersion string        `json:"zendesk_event_version"`
}

type zendeskDetail struct {
	ActorID        string   `json:"actor_id"`
	AssigneeID     *string  `json:"assignee_id"`
	BrandID        string   `json:"brand_id"`
	CreatedAt      string   `json:"created_at"`
	CustomStatus   string   `json:"custom_status"`
	Description    string   `json:"description"`
	ExternalID     *string  `json:"external_id"`
	FormID         string   `json:"form_id"`
	GroupID        string   `json:"group_id"`
	ID             string   `json:"id"`
	IsPublic       bool     `json:"is_public"`
	OrganizationID string   `json:"organization_id"`
	Priority       string   `json:"priority"`
	RequesterID    string   `json:"requester_id"`
	Status         string   `json:"status"`
	Subject        string   `json:"subject"`
	SubmitterID    string   `json:"submitter_id"`
	Tags           []string `json:"tags"`
	Type           string   `json:"type"`
	UpdatedAt      string   `json:"updated_at"`
	Via            struct {
		Channel string `json:"channel"`
	} `json:"via"`
}

// What tickets are about, per queue: a subject, its Zendesk type and tags.
var ticketKinds = []struct {
	queue, subject, typ, tag string
	weight                   int
}{
	{QueueBilling, "Refund for order %d", "QUESTION", "refund", 14},
	{QueueBilling, "Charged twice for invoice %d", "PROBLEM", "invoice", 10},
	{QueueBilling, "Update card on account %d", "TASK", "payment", 6},
	{QueueTechnical, "Cannot log in to account %d", "INCIDENT", "login", 12},
	{QueueTechnical, "Sync fails with error %d", "PROBLEM", "sync", 9},
	{QueueTechnical, "API returns 500 for request %d", "INCIDENT", "api", 5},
	{QueueGeneral, "Where is parcel %d", "QUESTION", "shipping", 24},
	{QueueGeneral, "Change address on order %d", "TASK", "address", 20},
}

var ticketKindTotal = func() int {
	n := 0
	for _, k := range ticketKinds {
		n += k.weight
	}
	return n
}()

// Zendesk ticket priorities with their shares in percent.
var priorities = []struct {
	name  string
	share int
}{{"URGENT", 5}, {"HIGH", 15}, {"NORMAL", 60}, {"LOW", 20}}

var channels = []string{"web_form", "email", "email", "api", "mobile_sdk"}

// zendeskTicket returns the body of the n-th ticket.created event, as
// Zendesk's webhook posts it: one ticket of a random kind and priority, one
// in six tagged "french".
func zendeskTicket(rng *rand.Rand, n int, at time.Time) []byte {
	pick := rng.IntN(ticketKindTotal)
	k := ticketKinds[0]
	for _, kk := range ticketKinds {
		if pick < kk.weight {
			k = kk
			break
		}
		pick -= kk.weight
	}
	p, pct := priorities[0].name, rng.IntN(100)
	for _, pp := range priorities {
		if pct < pp.share {
			p = pp.name
			break
		}
		pct -= pp.share
	}
	id := strconv.Itoa(100000 + n)
	requester := strconv.FormatInt(8447388000000+rng.Int64N(1000000), 10)
	tags := []string{k.tag}
	if rng.IntN(6) == 0 {
		tags = append(tags, "french")
	}
	stamp := at.UTC().Format(time.RFC3339)
	ev := zendeskEvent{
		AccountID: 22129848,
		ID: fmt.Sprintf("%08x-%04x-4%03x-%04x-%012x", rng.Uint32(), rng.Uint32()&0xffff, rng.Uint32()&0xfff,
			0x8000|rng.Uint32()&0x3fff, rng.Uint64()&0xffffffffffff),
		Subject:      "zen:ticket:" + id,
		Time:         at.UTC().Format(time.RFC3339Nano),
		Type:         "zen:event-type:ticket.created",
		EventVersion: "2022-11-06",
		Detail: zendeskDetail{
			ActorID: requester, BrandID: "8447346621310", CreatedAt: stamp, UpdatedAt: stamp,
			CustomStatus: "8447320465790", FormID: "8646151517822", GroupID: groupOf[k.queue], ID: id, IsPublic: true,
			OrganizationID: "8447346622462", Priority: p, RequesterID: requester, SubmitterID: requester, Status: "NEW",
			Subject:     fmt.Sprintf(k.subject, 1000+rng.IntN(9000)),
			Description: "Sent from the help center.", Tags: tags, Type: k.typ,
		},
	}
	ev.Detail.Via.Channel = channels[rng.IntN(len(channels))]
	b, err := json.Marshal(&ev)
	if err != nil {
		panic(err) // a struct of strings always marshals
	}
	return b
}
