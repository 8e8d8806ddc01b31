package sim

import (
	"errors"
	"flag"
	"fmt"
	"os"
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

// Limits of the flags: a run of the largest day creates about 20 million
// tasks (some minutes); beyond that a mistyped flag would run for hours.
const (
	MaxAgents   = 100000
	MaxRate     = 1000000 // tickets an hour
	MaxDuration = 7 * 24 * time.Hour
)

// Day returns the scenario the flags describe, or an error when one of
// -agents, -rate and -duration is not positive or past its limit, or when
// -out cannot be written (checked before the run, not after it).
func (f *Flags) Day() (*Scenario, error) {
	switch {
	case f.Agents < 1 || !(f.Rate > 0) || f.Duration <= 0: // !(> 0) refuses NaN too
		return nil, errors.New("simulate: -agents, -rate and -duration must be positive")
	case f.Agents > MaxAgents || f.Rate > MaxRate || f.Duration > MaxDuration:
		return nil, fmt.Errorf("simulate: -agents at most %d, -rate at most %d, -duration at most %s", MaxAgents, MaxRate, MaxDuration)
	case f.Rate*f.Duration.Hours() > 20e6:
		return nil, fmt.Errorf("simulate: -rate %g for -duration %s is about %.0f tickets; at most 20 million", f.Rate, f.Duration, f.Rate*f.Duration.Hours())
	}
	if f.Out != "" {
		out, err := os.OpenFile(f.Out, os.O_WRONLY|os.O_CREATE, 0o644)
		if err != nil {
			return nil, fmt.Errorf("simulate: -out: %w", err)
		}
		out.Close()
	}
	return Day(DayOptions{Agents: f.Agents, Rate: f.Rate, Duration: f.Duration}), nil
}
