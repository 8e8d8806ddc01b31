package prometheus_test

import (
	"context"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/switchboard-go/switchboard"
	sbprom "github.com/switchboard-go/switchboard/adapters/prometheus"
)

// Register the collectors with a registry (promhttp.HandlerFor(reg, ...)
// serves it); here a task waits a minute with nobody online.
func Example() {
	ctx := context.Background()
	clock := switchboard.NewManualClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	rt := switchboard.NewRealTimeMetrics(nil)
	hm := switchboard.NewHistoricalMetrics(nil)
	r, err := switchboard.NewRouter(ctx, nil, &switchboard.Config{Clock: clock, Consumers: []switchboard.Consumer{rt, hm}})
	if err != nil {
		panic(err)
	}
	r.PutQueue(ctx, switchboard.Queue{ID: "billing", Name: "Billing"})
	r.CreateTask(ctx, switchboard.TaskInput{Name: "Refund", QueueID: "billing"})
	clock.Advance(time.Minute)
	r.Close(ctx) // here only to wait until the consumers took every event

	reg := prometheus.NewRegistry()
	reg.MustRegister(sbprom.NewRealTime(rt, &sbprom.RealTimeOptions{Clock: clock}), sbprom.NewHistorical(hm, nil))
	for _, name := range []string{"switchboard_contacts_in_queue", "switchboard_oldest_contact_age_seconds", "switchboard_contacts_created_total"} {
		v, err := testutil.GatherAndCount(reg, name)
		fmt.Println(name, v, err)
	}
	mfs, _ := reg.Gather()
	for _, mf := range mfs {
		if mf.GetName() == "switchboard_oldest_contact_age_seconds" {
			fmt.Println("oldest contact age:", mf.Metric[0].GetGauge().GetValue(), "s")
		}
	}
	// Output:
	// switchboard_contacts_in_queue 1 <nil>
	// switchboard_oldest_contact_age_seconds 1 <nil>
	// switchboard_contacts_created_total 1 <nil>
	// oldest contact age: 60 s
}
