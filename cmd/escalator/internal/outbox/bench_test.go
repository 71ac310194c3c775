package outbox

import (
	"fmt"
	"testing"

	"github.com/escalator/escalator/internal/streams"
)

// BenchmarkOutboxPoll takes b.N pending rows from the simulator to
// JetStream and marks them sent; it reports rows/s and the Table API
// calls per row (the goal: one page read shared by the page's rows, one
// write per row).
func BenchmarkOutboxPoll(b *testing.B) {
	for _, size := range []int{DefaultPageSize, 1000} {
		b.Run(fmt.Sprintf("page=%d", size), func(b *testing.B) {
			e := newEnv(b, streams.Config{})
			for i := range b.N {
				e.request(b, "beth.anglin", []string{"insights", "escalation", "update"}[i%3])
			}
			p := e.poller(b, func(c *PollerConfig) { c.PageSize = size; c.MaxPages = b.N/size + 2 })
			e.sim.ResetCalls()
			b.ResetTimer()
			res, err := p.RunOnce(ctxT(b), nil)
			b.StopTimer()
			if err != nil || res.Sent != b.N {
				b.Fatalf("run: %+v, %v", res, err)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(float64(e.sim.Calls(routeList))/float64(b.N), "reads/row")
			b.ReportMetric(float64(e.sim.Calls(routePatch))/float64(b.N), "writes/row")
		})
	}
}
