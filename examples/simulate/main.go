// Command simulate runs a contact-center day on switchboard and reports it:
// Zendesk ticket events arrive through the day, rules turn them into tasks,
// three queues and two routing profiles route them to agents who work
// shifts, take breaks and handle each task for a random time. Time is a
// manual clock, so a day takes seconds and the same seed gives the same
// report, byte for byte.
//
//	go run ./examples/simulate                       # 50 agents, 200 tickets an hour on average
//	go run ./examples/simulate -agents 80 -rate 500 -seed 7 -duration 12h -out day.html
//
// It prints an hourly table (created, handled, abandoned, service level at
// 60 s, average queue answer time, average handle time, occupancy) to
// stdout, a progress line to stderr while it runs, and writes an HTML
// report with charts (queue length and service level through the day, per
// queue) to -out.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/switchboard-go/switchboard/examples/simulate/sim"
)

func main() {
	agents := flag.Int("agents", 50, "number of agents")
	rate := flag.Float64("rate", 200, "tickets per hour, averaged over 24 hours (the day's curve peaks at about twice that)")
	seed := flag.Uint64("seed", 1, "random seed: the same seed gives the same report")
	duration := flag.Duration("duration", 24*time.Hour, "how long tickets arrive, from midnight; the run goes on until every task ended")
	out := flag.String("out", "switchboard-day.html", "where to write the HTML report")
	flag.Parse()
	if *agents < 1 || *rate <= 0 || *duration <= 0 {
		log.Fatal("simulate: -agents, -rate and -duration must be positive")
	}
	began := time.Now()
	sc := sim.Day(sim.DayOptions{Agents: *agents, Rate: *rate, Duration: *duration})
	res, err := sim.Run(context.Background(), sc, &sim.Options{Seed: *seed, Progress: os.Stderr})
	if err != nil {
		log.Fatal(err)
	}
	rep, err := sim.NewReport(res)
	if err != nil {
		log.Fatal(err)
	}
	if err := rep.WriteTable(os.Stdout); err != nil {
		log.Fatal(err)
	}
	if err := rep.WriteHTMLFile(*out); err != nil {
		log.Fatal(err)
	}
	fmt.Fprintf(os.Stderr, "report written to %s (%.1fs)\n", *out, time.Since(began).Seconds())
}
