package replay

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/escalator/escalator/internal/event"
	"github.com/escalator/escalator/internal/streams"
)

// rawRead reads the whole stream with an ordered consumer and nothing
// else: the floor a replay cannot beat.
func rawRead(ctx context.Context, js jetstream.JetStream, last uint64) (int, error) {
	cons, err := js.OrderedConsumer(ctx, streams.StreamName, jetstream.OrderedConsumerConfig{})
	if err != nil {
		return 0, err
	}
	iter, err := cons.Messages(jetstream.PullMaxMessages(512))
	if err != nil {
		return 0, err
	}
	defer iter.Stop()
	n := 0
	for {
		msg, err := iter.Next()
		if err != nil {
			return n, err
		}
		n++
		meta, err := msg.Metadata()
		if err != nil {
			return n, err
		}
		if meta.Sequence.Stream >= last {
			return n, nil
		}
	}
}

// BenchmarkDryRun measures a dry run over a window of 10,000 mixed events
// against a raw ordered-consumer read of the same window, each iteration
// doing both; it reports both rates and their ratio (target ≥ 0.5).
// "planner=none" plans without I/O (the engine's own cost: decode, filter,
// role gate, ordering); "planner=kv" reads a KV key per event, as the
// escalation and insights Plans do.
func BenchmarkDryRun(b *testing.B) {
	const total = 10_000
	e := newEnv(b)
	types := []string{event.TypeInsights, event.TypeEscalation, event.TypeUpdated}
	var evs []*event.Event
	for i := 1; i <= total; i++ {
		evs = append(evs, ev(fmt.Sprintf("ev-%05d", i), types[i%3], i, roleInsights, roleAdmin))
	}
	e.publishAsync(b, evs)
	for i := 1; i <= total; i += 4 {
		if _, err := e.res.Cases.Put(context.Background(), sysID(i), []byte("CASE")); err != nil {
			b.Fatal(err)
		}
	}
	kvPlanner := PlannerFunc(func(ctx context.Context, x *event.Event) (Decision, error) {
		_, err := e.res.Cases.Get(ctx, x.Data.Incident.SysID)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			return Decision{Action: "open"}, nil
		}
		return Decision{Action: "already"}, err
	})
	for _, bc := range []struct {
		name    string
		planner Planner
	}{{"planner=none", okPlanner}, {"planner=kv", kvPlanner}} {
		b.Run(bc.name, func(b *testing.B) {
			planners := map[string]Planner{}
			for _, typ := range types {
				planners[typ] = bc.planner
			}
			ctx := context.Background()
			var raw, dry time.Duration
			for b.Loop() {
				start := time.Now()
				n, err := rawRead(ctx, e.js, total)
				if err != nil || n != total {
					b.Fatalf("raw read %d: %v", n, err)
				}
				raw += time.Since(start)

				start = time.Now()
				sum, err := Run(ctx, Options{Source: Source{Kind: SourceStream}, DryRun: true, Roles: testRoles},
					Deps{JS: e.js, Planners: planners})
				if err != nil || sum.Processed != total {
					b.Fatalf("dry run: %+v, %v", sum, err)
				}
				dry += time.Since(start)
			}
			rawRate := float64(total*b.N) / raw.Seconds()
			dryRate := float64(total*b.N) / dry.Seconds()
			b.ReportMetric(rawRate, "raw-events/s")
			b.ReportMetric(dryRate, "dryrun-events/s")
			b.ReportMetric(dryRate/rawRate, "ratio")
		})
	}
}
