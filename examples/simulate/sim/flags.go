package sim

import (
	"errors"
	"flag"
	"time"
)

// Flags are the command-line settings of a simulated day, shared by the
// simulator programs (in memory and on PostgreSQL).
type Flags struct {
	Agents   int
	Rate     float64
	Seed     uint64
	Duration time.Duration
	Out      string
}

// RegisterFlags defines -agents, -rate, -seed, -duration and -out on fs and
// returns where their values land once fs is parsed.
func RegisterFlags(fs *flag.FlagSet) *Flags {
	f := &Flags{}
	fs.IntVar(&f.Agents, "agents", 50, "number of agents")
	fs.Float64Var(&f.Rate, "rate", 200, "tickets per hour, averaged over 24 hours (the day's curve peaks at about twice that)")
	fs.Uint64Var(&f.Seed, "seed", 1, "random seed: the same seed gives the same report")
	fs.DurationVar(&f.Duration, "duration", 24*time.Hour, "how long tickets arrive, from midnight; the run goes on until every task ended")
	fs.StringVar(&f.Out, "out", "switchboard-day.html", "where to write the HTML report")
	return f
}

// Day returns the scenario the flags describe, or an error when one of
// -agents, -rate and -duration is not positive.
func (f *Flags) Day() (*Scenario, error) {
	if f.Agents < 1 || f.Rate <= 0 || f.Duration <= 0 {
		return nil, errors.New("simulate: -agents, -rate and -duration must be positive")
	}
	return Day(DayOptions{Agents: f.Agents, Rate: f.Rate, Duration: f.Duration}), nil
}
