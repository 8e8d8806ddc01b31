//go:build !race

package switchboard

// raceEnabled is true under -race, where long tests run a smaller size.
const raceEnabled = false
