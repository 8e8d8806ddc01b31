package switchboard

import (
	"flag"
	"testing"
	"time"
)

// seedFlag replays one seed of any seeded test: the differential and property
// routing runs, the JSON round trips, the concurrency stress. Every seeded
// test prints the seed it used and the command that replays it.
var seedFlag = flag.Uint64("switchboard.seed", 0, "replay one seed of a seeded test (0: the test's default seeds, or a new one)")

// testSeed returns the seed to use for a test that draws one seed per run:
// -switchboard.seed if set, otherwise a new one. It logs the seed and how to
// replay it.
func testSeed(t testing.TB) uint64 {
	t.Helper()
	seed := *seedFlag
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("seed %d (replay: go test -run '^%s$' -switchboard.seed=%d .)", seed, t.Name(), seed)
	return seed
}
