package worker

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/escalator/escalator/internal/event"
	"github.com/escalator/escalator/internal/streams"
	"github.com/escalator/escalator/internal/testkit/eventtest"
)

// The benchmarks read b.N stored events (valid CloudEvents of about 512 B,
// as escalator-load sends) once through the consumer, so one op is one
// message: B/op and allocs/op are per message, and include the in-process
// nats-server's share, as cpu-µs/msg (the process's user+sys time) does.
// Compare variants of one run, not figures across runs: the machine is
// shared.

// benchBody is a valid event of about 512 bytes.
func benchBody(b *testing.B) []byte {
	b.Helper()
	ev := eventtest.Insights("bench")
	ev.DataContentType = "application/json"
	ev.Data.Incident.ShortDescription = "Outlook cannot connect to Exchange Online for the finance floor since the 09:00 change"
	ev.Data.Incident.Priority, ev.Data.Incident.State = "1", "2"
	ev.Data.Change = &event.Change{WorkNote: "escalator benchmark " + strings.Repeat("x", 40), Fields: []string{"state", "priority"}}
	body, err := ev.Marshal()
	if err != nil {
		b.Fatal(err)
	}
	return body
}

// fill stores n events, waiting for every PubAck a thousand at a time.
func fill(b *testing.B, e *env, n int) {
	b.Helper()
	body := benchBody(b)
	for i := 0; i < n; {
		for end := min(i+1000, n); i < end; i++ {
			if _, err := e.js.PublishAsync(event.SubjectInsights, body, jetstream.WithMsgID("bench-"+strconv.Itoa(i))); err != nil {
				b.Fatal(err)
			}
		}
		select {
		case <-e.js.PublishAsyncComplete():
		case <-time.After(time.Minute):
			b.Fatal("publish did not complete")
		}
	}
}

// cpuTime is the process's user+sys time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// counter counts handled messages and closes done at the n-th.
type counter struct {
	n    int64
	seen atomic.Int64
	done chan struct{}
}

func (c *counter) see() {
	if c.seen.Add(1) == c.n {
		close(c.done)
	}
}

// benchConsume stores b.N events, then times start's consumer reading them
// all: msgs/s, cpu-µs/msg and allocations per message.
func benchConsume(b *testing.B, start func(b *testing.B, e *env, c *counter) (stop func())) {
	e := newEnv(b, streams.Config{Concurrency: DefaultConcurrency})
	fill(b, e, b.N)
	c := &counter{n: int64(b.N), done: make(chan struct{})}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0, t0 := cpuTime(), time.Now()
	stop := start(b, e, c)
	for last := int64(-1); ; {
		select {
		case <-c.done:
		case <-time.After(10 * time.Second):
			if n := c.seen.Load(); n != last {
				last = n
				continue
			}
			ci, err := e.res.Consumer.Info(context.Background())
			if err != nil {
				b.Fatalf("stalled at %d of %d; consumer info: %v", c.seen.Load(), b.N, err)
			}
			b.Fatalf("stalled at %d of %d: consumer has %d pending, %d unacked, %d pull requests waiting; %d reconnects",
				c.seen.Load(), b.N, ci.NumPending, ci.NumAckPending, ci.NumWaiting, e.nc.Stats().Reconnects)
		}
		break
	}
	wall, cpu := time.Since(t0), cpuTime()-cpu0
	b.StopTimer()
	stop()
	b.ReportMetric(float64(b.N)/wall.Seconds(), "msgs/s")
	b.ReportMetric(float64(cpu)/float64(time.Microsecond)/float64(b.N), "cpu-µs/msg")
}

// raw is the floor to compare with: a hand-written Consume loop that acks
// each message in the callback, without decoding, tracing or metrics. Like
// the worker it asks for heartbeats every second, so a refill nats.go skips
// under CPU contention (see prefetch.go) costs it two seconds, not thirty.
func raw(prefetch int) func(*testing.B, *env, *counter) func() {
	return consumeLoop(prefetch, func(jetstream.Msg) {})
}

// rawDecode is raw with event.Decode of every body: the loop a consumer
// that reads its events would write, still without tracing or metrics.
func rawDecode(prefetch int) func(*testing.B, *env, *counter) func() {
	return consumeLoop(prefetch, func(m jetstream.Msg) {
		if _, err := event.Decode(m.Data()); err != nil {
			panic(err) // the benchmark stores only valid events
		}
	})
}

// consumeLoop is the Consume loop of raw and rawDecode: read does what the
// loop does with a message before it acks it.
func consumeLoop(prefetch int, read func(jetstream.Msg)) func(*testing.B, *env, *counter) func() {
	return func(b *testing.B, e *env, c *counter) func() {
		cc, err := e.res.Consumer.Consume(func(m jetstream.Msg) {
			read(m)
			_ = m.Ack()
			c.see()
		}, jetstream.PullMaxMessages(prefetch), jetstream.PullHeartbeat(time.Second))
		if err != nil {
			b.Fatal(err)
		}
		return cc.Stop
	}
}

// runWorker runs a Worker with cfg and a handler that does nothing.
func runWorker(cfg Config) func(*testing.B, *env, *counter) func() {
	return func(b *testing.B, e *env, c *counter) func() {
		h := HandlerFunc(func(context.Context, *Message) error { c.see(); return nil })
		_, stop := e.start(b, map[string]Handler{event.SubjectInsights: h}, cfg)
		return stop
	}
}

// BenchmarkConsume compares the worker with no-op handlers (defaults) with
// the raw loop at the old worker's prefetch (one per handler) and at
// nats.go's default, which is the worker's now, and with a raw loop that
// also decodes every event.
func BenchmarkConsume(b *testing.B) {
	b.Run("raw/prefetch=32", func(b *testing.B) { benchConsume(b, raw(DefaultConcurrency)) })
	b.Run("raw/prefetch=500", func(b *testing.B) { benchConsume(b, raw(jetstream.DefaultMaxMessages)) })
	b.Run("raw+decode/prefetch=500", func(b *testing.B) { benchConsume(b, rawDecode(jetstream.DefaultMaxMessages)) })
	b.Run("worker", func(b *testing.B) { benchConsume(b, runWorker(Config{})) })
	// As escalator serve runs it with OTEL_TRACES_EXPORTER=none: spans are
	// made and recorded (their ids go into the log lines) but not
	// exported, and the metrics go to a Prometheus-style reader.
	b.Run("worker+telemetry", func(b *testing.B) {
		tp := sdktrace.NewTracerProvider()
		b.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
		mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
		benchConsume(b, runWorker(Config{TracerProvider: tp, MeterProvider: mp}))
	})
}

// BenchmarkLittlesLaw runs handlers that take 100 ms at Concurrency 32 and
// 1,000 over b.N rounds (at least 3) of Concurrency stored messages each, and measures
// the steady state: from the end of the first round's worth of messages to
// the start of the last's. littles-law is that throughput over
// Concurrency/100ms; occupancy is the throughput times the handlers'
// measured mean duration over Concurrency (Little's law L = λW), which a
// sleep that oversleeps on a busy machine does not lower. Run it with
// -benchtime 10x or more.
func BenchmarkLittlesLaw(b *testing.B) {
	const work = 100 * time.Millisecond
	for _, conc := range []int{32, 1000} {
		b.Run(fmt.Sprintf("c=%d", conc), func(b *testing.B) {
			rounds := max(b.N, 3) // the first, the steady state, the last
			n := conc * rounds
			e := newEnv(b, streams.Config{Concurrency: conc})
			fill(b, e, n)
			var (
				seen     atomic.Int64
				busy     atomic.Int64 // ns of handler time
				from, to atomic.Int64 // ns since t0 of completion conc and n-conc
			)
			done := make(chan struct{})
			t0 := time.Now()
			h := HandlerFunc(func(ctx context.Context, _ *Message) error {
				start := time.Now()
				select {
				case <-time.After(work):
				case <-ctx.Done():
					return ctx.Err()
				}
				end := time.Now()
				busy.Add(int64(end.Sub(start)))
				switch seen.Add(1) {
				case int64(conc):
					from.Store(int64(end.Sub(t0)))
				case int64(n - conc):
					to.Store(int64(end.Sub(t0)))
					close(done)
				}
				return nil
			})
			b.ResetTimer()
			t0 = time.Now()
			_, stop := e.start(b, map[string]Handler{event.SubjectInsights: h}, Config{Concurrency: conc})
			select {
			case <-done:
			case <-time.After(time.Duration(rounds)*work*10 + time.Minute):
				b.Fatalf("handled %d of %d", seen.Load(), n)
			}
			b.StopTimer()
			stop()
			rate := float64(n-2*conc) / time.Duration(to.Load()-from.Load()).Seconds()
			b.ReportMetric(rate/(float64(conc)/work.Seconds()), "littles-law")
			b.ReportMetric(rate*(time.Duration(busy.Load()/seen.Load())).Seconds()/float64(conc), "occupancy")
			b.ReportMetric(0, "ns/op")
		})
	}
}
