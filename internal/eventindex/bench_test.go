package eventindex

import (
	"context"
	"fmt"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/escalator/escalator/internal/streams"
)

// BenchmarkPublish is the hot-path cost of the index: one event published
// as ingest does, without and with the index writes.
func BenchmarkPublish(b *testing.B) {
	for _, indexed := range []bool{false, true} {
		b.Run(fmt.Sprintf("indexed=%t", indexed), func(b *testing.B) {
			publish := benchPublisher(b, indexed)
			ctx := ctxT(b)
			b.ResetTimer()
			for i := range b.N {
				if err := publish(ctx, int64(i)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkPublishParallel publishes from 64 goroutines, as ingest
// publishes the events of a batch: the index's cost on throughput.
func BenchmarkPublishParallel(b *testing.B) {
	for _, indexed := range []bool{false, true} {
		b.Run(fmt.Sprintf("indexed=%t", indexed), func(b *testing.B) {
			publish := benchPublisher(b, indexed)
			ctx := ctxT(b)
			var n atomic.Int64
			b.SetParallelism(32)
			cpu0 := cpuTime(b)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := publish(ctx, n.Add(1)); err != nil {
						b.Error(err)
						return
					}
				}
			})
			// CPU time (client and in-process server) is steadier than
			// wall time on a shared machine.
			b.ReportMetric(float64((cpuTime(b)-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
		})
	}
}

// benchPublisher provisions the streams and the index and returns what
// publishes benchmark event i: through the index when indexed, straight to
// the stream otherwise.
func benchPublisher(b *testing.B, indexed bool) func(ctx context.Context, i int64) error {
	js, _, pub := setup(b)
	plain := streams.NewPublisher(js, nil)
	return func(ctx context.Context, i int64) error {
		ev := testEvent(fmt.Sprintf("bench-%d", i), sysA, fmt.Sprintf("INC%07d", i%1000))
		var err error
		if indexed {
			_, err = pub.Publish(ctx, ev)
		} else {
			_, err = plain.Publish(ctx, ev)
		}
		return err
	}
}

// cpuTime is the CPU time the process has used.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
