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
	"log"
	"os"

	"github.com/switchboard-go/switchboard/examples/internal/noflags"
	"github.com/switchboard-go/switchboard/examples/quickstart/story"
)

func main() {
	noflags.Parse()
	if err := story.Run(context.Background(), nil, os.Stdout); err != nil {
		log.Fatal(err)
	}
}
