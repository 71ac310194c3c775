package worker

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/escalator/escalator/internal/event"
	"github.com/escalator/escalator/internal/streams"
)

// fill publishes n events asynchronously and waits for every PubAck.
func fill(b *testing.B, e *env, n int) {
	b.Helper()
	body, err := testEvent("bench").Marshal()
	if err != nil {
		b.Fatal(err)
	}
	for i := range n {
		if _, err := e.js.PublishAsync(event.SubjectInsights, body, jetstream.WithMsgID("bench-"+itoa(i))); err != nil {
			b.Fatal(err)
		}
	}
	select {
	case <-e.js.PublishAsyncComplete():
	case <-time.After(time.Minute):
		b.Fatal("publish did not complete")
	}
}

func itoa(i int) string {
	return string(appendInt(nil, i))
}

func appendInt(b []byte, i int) []byte {
	if i >= 10 {
		b = appendInt(b, i/10)
	}
	return append(b, byte('0'+i%10))
}

// BenchmarkWorkerNoop measures the runtime's throughput with a handler that
// does nothing: decode, span, metrics, Ack.
func BenchmarkWorkerNoop(b *testing.B) {
	e := newEnv(b, streams.Config{Concurrency: DefaultConcurrency})
	fill(b, e, b.N)
	var done atomic.Int64
	h := HandlerFunc(func(context.Context, *Message) error { done.Add(1); return nil })
	b.ResetTimer()
	start := time.Now()
	e.start(b, map[string]Handler{event.SubjectInsights: h}, Config{})
	for done.Load() < int64(b.N) || !e.settledAll(b) {
		time.Sleep(time.Millisecond)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
}

// BenchmarkRawConsumeAck is the floor to compare with: a hand-written
// Consume loop that acks each message without decoding or tracing.
func BenchmarkRawConsumeAck(b *testing.B) {
	e := newEnv(b, streams.Config{Concurrency: DefaultConcurrency})
	fill(b, e, b.N)
	var done atomic.Int64
	b.ResetTimer()
	start := time.Now()
	cc, err := e.res.Consumer.Consume(func(m jetstream.Msg) {
		_ = m.Ack()
		done.Add(1)
	}, jetstream.PullMaxMessages(DefaultConcurrency))
	if err != nil {
		b.Fatal(err)
	}
	defer cc.Stop()
	for done.Load() < int64(b.N) || !e.settledAll(b) {
		time.Sleep(time.Millisecond)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
}
