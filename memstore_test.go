package switchboard_test

import (
	"testing"

	"github.com/switchboard-go/switchboard"
	"github.com/switchboard-go/switchboard/storetest"
)

func TestMemoryStoreConformance(t *testing.T) {
	storetest.Run(t, func(*testing.T) switchboard.Store { return switchboard.NewMemoryStore() })
}

func BenchmarkMemoryStore(b *testing.B) {
	storetest.Benchmark(b, func(*testing.B) switchboard.Store { return switchboard.NewMemoryStore() })
}

// The zero MemoryStore is ready to use and passes the same suite.
func TestZeroMemoryStoreConformance(t *testing.T) {
	storetest.Run(t, func(*testing.T) switchboard.Store { return &switchboard.MemoryStore{} })
}
