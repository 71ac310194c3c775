package replay

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/escalator/escalator/internal/event"
	"github.com/escalator/escalator/internal/kvsnapshot"
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
// role gate, ordering); "planner=kv" reads a key per event from a snapshot
// of the bucket loaded at the start of each run (the load is timed), as
// the escalation, insights and update Plans of `escalator replay --dry-run`
// do; "planner=kv-get" asks the bucket itself per event, a NATS round trip
// each, for comparison.
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
	// kvPlanner reads the incident's key in cases, as the handlers' Plans do.
	kvPlanner := func(cases interface {
		Get(ctx context.Context, key string) (jetstream.KeyValueEntry, error)
	}) Planner {
		return PlannerFunc(func(ctx context.Context, x *event.Event) (Decision, error) {
			_, err := cases.Get(ctx, x.Data.Incident.SysID)
			if errors.Is(err, jetstream.ErrKeyNotFound) {
				return Decision{Action: "open"}, nil
			}
			return Decision{Action: "already"}, err
		})
	}
	for _, bc := range []struct {
		name     string
		planners func(ctx context.Context) (Planner, error)
	}{
		{"planner=none", func(context.Context) (Planner, error) { return okPlanner, nil }},
		{"planner=kv", func(ctx context.Context) (Planner, error) {
			snap, err := kvsnapshot.Load(ctx, e.res.Cases)
			return kvPlanner(snap), err
		}},
		{"planner=kv-get", func(context.Context) (Planner, error) { return kvPlanner(e.res.Cases), nil }},
	} {
		b.Run(bc.name, func(b *testing.B) {
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
				p, err := bc.planners(ctx)
				if err != nil {
					b.Fatal(err)
				}
				planners := map[string]Planner{}
				for _, typ := range types {
					planners[typ] = p
				}
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
