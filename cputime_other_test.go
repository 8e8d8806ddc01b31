//go:build !unix

package switchboard_test

// processCPU cannot read the process's CPU time on this platform.
func processCPU() int64 { return -1 }
