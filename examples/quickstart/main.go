// Command quickstart sets up two queues, a routing profile and three agents
// on switchboard's in-memory default, creates tasks, and prints who got what,
// in order. Time is a manual clock, so every run prints the same story (its
// code is package story; adapters/pgstore/examples/quickstart tells it on
// PostgreSQL).
//
//	go run ./examples/quickstart
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"

	"github.com/switchboard-go/switchboard/examples/quickstart/story"
)

func main() {
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: %s (no flags: it prints its story to stdout)\n", os.Args[0])
	}
	flag.Parse() // -h prints the usage; anything else is refused
	if flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}
	if err := story.Run(context.Background(), nil, os.Stdout); err != nil {
		log.Fatal(err)
	}
}
