package main

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/escalator/escalator/internal/event"
	"github.com/escalator/escalator/internal/streams"
	"github.com/escalator/escalator/internal/testkit/testserver"
)

// Ways a hand-written Consume loop runs its per-message work.
const (
	inline = iota // in the Consume callback
	spawn         // in a fresh goroutine per message (the worker before its pool)
	pool          // in one of a fixed set of long-lived goroutines
)

// handlers of one message, cheapest first.
func handleAck(_ context.Context, m jetstream.Msg, tr *tracker) {
	tr.see(m.Headers().Get(jetstream.MsgIDHeader))
	_ = m.Ack()
}

func handleDoubleAck(ctx context.Context, m jetstream.Msg, tr *tracker) {
	tr.see(m.Headers().Get(jetstream.MsgIDHeader))
	_ = m.DoubleAck(ctx)
}

func handleDecodeAck(_ context.Context, m jetstream.Msg, tr *tracker) {
	ev, _ := event.Decode(m.Data())
	tr.see(ev.ID)
	_ = m.Ack()
}

func handleDecodeDoubleAck(ctx context.Context, m jetstream.Msg, tr *tracker) {
	ev, _ := event.Decode(m.Data())
	tr.see(ev.ID)
	_ = m.DoubleAck(ctx)
}

// BenchmarkConsume splits the worker runtime's cost per message into its
// parts, by adding them one at a time to the raw consume+ack loop: a
// DoubleAck instead of an Ack, event.Decode, a goroutine per message (whose
// fresh stack grows during the decode) or a pool of goroutines. Each
// reports msgs/s and the process's CPU µs per message (embedded
// nats-server included), over the same stored events and consumer
// configuration as escalator-load uses, with 2 consumers.
func BenchmarkConsume(b *testing.B) {
	variants := []struct {
		name string
		run  int
		f    func(context.Context, jetstream.Msg, *tracker)
	}{
		{"ack", inline, handleAck},
		{"doubleack", inline, handleDoubleAck},
		{"decode+ack", inline, handleDecodeAck},
		{"goroutine+ack", spawn, handleAck},
		{"goroutine+doubleack", spawn, handleDoubleAck},
		{"goroutine+decode+ack", spawn, handleDecodeAck},
		{"goroutine+decode+doubleack", spawn, handleDecodeDoubleAck},
		{"pool+decode+ack", pool, handleDecodeAck},
		{"pool+decode+doubleack", pool, handleDecodeDoubleAck},
	}
	for _, v := range variants {
		b.Run(v.name, func(b *testing.B) {
			e, tr := benchEnv(b)
			ctx := b.Context()
			cpu0 := cpuTime()
			b.ResetTimer()
			var wg sync.WaitGroup
			for i := range 2 {
				_, js, err := e.connect(fmt.Sprint("bench ", i))
				if err != nil {
					b.Fatal(err)
				}
				cons, err := js.Consumer(ctx, streams.StreamName, "bench")
				if err != nil {
					b.Fatal(err)
				}
				sem := make(chan struct{}, streams.DefaultConcurrency)
				work := make(chan jetstream.Msg)
				if v.run == pool {
					defer close(work)
					for range streams.DefaultConcurrency {
						wg.Go(func() {
							for m := range work {
								v.f(ctx, m, tr)
							}
						})
					}
				}
				cc, err := cons.Consume(func(m jetstream.Msg) {
					switch v.run {
					case inline:
						v.f(ctx, m, tr)
					case spawn:
						sem <- struct{}{}
						wg.Go(func() { defer func() { <-sem }(); v.f(ctx, m, tr) })
					case pool:
						work <- m
					}
				}, jetstream.PullMaxMessages(streams.DefaultConcurrency))
				if err != nil {
					b.Fatal(err)
				}
				defer cc.Stop()
			}
			<-tr.done
			b.StopTimer()
			reportRate(b, tr, cpu0)
		})
	}
	b.Run("worker", func(b *testing.B) {
		e, tr := benchEnv(b)
		cfg := Config{Workers: 2}.withDefaults()
		cpu0 := cpuTime()
		b.ResetTimer()
		ws, err := startWorkers(b.Context(), e, cfg, "bench", tr)
		if err != nil {
			b.Fatal(err)
		}
		<-tr.done
		b.StopTimer()
		if err := ws.stop(); err != nil {
			b.Fatal(err)
		}
		reportRate(b, tr, cpu0)
	})
}

// benchEnv stores b.N events and makes the consumer "bench" for them.
func benchEnv(b *testing.B) (*env, *tracker) {
	b.Helper()
	srv := testserver.NATS(b)
	cfg := Config{NATSURL: srv.ClientURL(), Events: b.N, Mode: ModeDirect}.withDefaults()
	e, err := openEnv(b.Context(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { e.close(context.Background()) })
	tmpl, err := newTemplate("bench-")
	if err != nil {
		b.Fatal(err)
	}
	s, stop, err := newSender(e, cfg, tmpl)
	if err != nil {
		b.Fatal(err)
	}
	defer stop()
	if err := sendAll(b.Context(), cfg, newTracker("bench-", b.N, false), s); err != nil {
		b.Fatal(err)
	}
	if _, err := e.consumer(b.Context(), "bench"); err != nil {
		b.Fatal(err)
	}
	tr := newTracker("bench-", b.N, false)
	tr.markSent(0, 0)
	return e, tr
}

func reportRate(b *testing.B, tr *tracker, cpu0 time.Duration) {
	b.Helper()
	b.ReportMetric(float64(b.N)/tr.span().Seconds(), "msgs/s")
	b.ReportMetric(perEvent(cpuTime()-cpu0, b.N), "cpu-µs/msg")
	b.ReportMetric(0, "ns/op") // wall time per message is msgs/s's inverse
}
