//go:build unix

package switchboard_test

import "syscall"

// processCPU returns the CPU time the process has used so far (user and
// system, every thread: the garbage collector's work included), in
// nanoseconds, or -1 if it cannot be read.
func processCPU() int64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return -1
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
