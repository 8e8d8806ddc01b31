package pgstore_test

import (
	"testing"

	"github.com/switchboard-go/switchboard"
	"github.com/switchboard-go/switchboard/storetest"
)

func TestStore(t *testing.T) {
	needDB(t)
	storetest.Run(t, func(t *testing.T) switchboard.Store { return openStore(t) })
}

func BenchmarkStoreWrite(b *testing.B) {
	storetest.Benchmark(b, func(b *testing.B) switchboard.Store { return openStore(b) })
}
