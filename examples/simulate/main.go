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
	day := sim.RegisterFlags(flag.CommandLine)
	flag.Parse()
	sc, err := day.Day()
	if err != nil {
		log.Fatal(err)
	}
	began := time.Now()
	res, err := sim.Run(context.Background(), sc, &sim.Options{Seed: day.Seed, Progress: os.Stderr})
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
	if err := rep.WriteHTMLFile(day.Out); err != nil {
		log.Fatal(err)
	}
	fmt.Fprintf(os.Stderr, "report written to %s (%.1fs)\n", day.Out, time.Since(began).Seconds())
}
