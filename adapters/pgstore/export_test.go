package pgstore

// StopRenewing makes l's process look paused (a GC pause, a stopped VM):
// it stops renewing the lease without knowing it lost it.
func StopRenewing(l *Lease) { l.stopRenewing() }
