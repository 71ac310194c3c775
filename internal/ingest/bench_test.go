package ingest

import (
	"bytes"
	"fmt"
	"net/http"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// BenchmarkIngestBatch100 posts batches of 100 new events over HTTP to a
// real in-process JetStream (file storage) and reports the events stored per
// second. Several requests are in flight at once, as from several ServiceNow
// nodes.
func BenchmarkIngestBatch100(b *testing.B) {
	const batch = 100
	f := newFixture(b, fixtureOpts{discardSpans: true})
	client := f.client
	client.Transport.(*http.Transport).MaxIdleConnsPerHost = 64
	// Bodies are made before the clock starts: only ingest is measured.
	bodies := make([][]byte, b.N)
	for i := range bodies {
		bodies[i] = batchOf(b, fmt.Sprintf("bench-%d", i), batch)
	}
	var n atomic.Int64
	b.SetParallelism(8)
	b.ReportAllocs()
	cpu0 := cpuTime(b)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			body := bodies[n.Add(1)-1]
			req, _ := http.NewRequest(http.MethodPost, f.url+EventsPath, bytes.NewReader(body))
			req.Header.Set("Content-Type", contentBatch)
			req.Header.Set("Authorization", "Bearer "+tokenA)
			resp, err := client.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusAccepted {
				b.Fatalf("status %d", resp.StatusCode)
			}
		}
	})
	b.StopTimer()
	events := float64(n.Load() * batch)
	cpu := cpuTime(b) - cpu0
	b.ReportMetric(events/b.Elapsed().Seconds(), "events/s")
	// CPU per event of the whole process (ingest, HTTP client, NATS server)
	// holds when the machine is shared; 2 cores divided by it is the
	// throughput two dedicated cores would reach.
	b.ReportMetric(float64(cpu.Microseconds())/events, "cpu-µs/event")
	b.ReportMetric(2*float64(time.Second)/(float64(cpu)/events), "events/s@2cpu")
}

// cpuTime is the user+system CPU time the process has used.
func cpuTime(b *testing.B) time.Duration {
	b.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
