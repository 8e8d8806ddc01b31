//go:build race

package switchboard_test

// metricsRace is true under -race, where TestErlangC runs an eighth of its
// tasks with tolerances widened to match.
const metricsRace = true
