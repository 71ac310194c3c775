package explain

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/escalator/escalator/internal/event"
	"github.com/escalator/escalator/internal/eventindex"
	"github.com/escalator/escalator/internal/streams"
	"github.com/escalator/escalator/internal/testkit/testserver"
)

// benchEventsVar sets the size of the stream BenchmarkExplain reads:
// ESCALATOR_EXPLAIN_BENCH_EVENTS=1000000 for the figure in the README. The
// default keeps a plain `-bench .` run short.
const benchEventsVar = "ESCALATOR_EXPLAIN_BENCH_EVENTS"

// BenchmarkExplain explains one incident of a stream of N events (10 per
// incident, the incident's own 5 spread over it) and 1,000 dead letters,
// through the index and, for comparison, by a scan of the stream. The
// stream is filled with direct asynchronous publishes, the index with the
// entries the indexing publisher writes.
//
//	ESCALATOR_EXPLAIN_BENCH_EVENTS=1000000 go test -run '^$' -bench Explain -benchtime 20x ./cmd/escalator/internal/explain
func BenchmarkExplain(b *testing.B) {
	n := 100_000
	if v := os.Getenv(benchEventsVar); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1000 {
			b.Fatalf("%s=%q: want a number of events, at least 1000", benchEventsVar, v)
		}
	}
	js := fillStream(b, n)
	d := Deps{JS: js}
	for _, scanning := range []bool{false, true} {
		b.Run(fmt.Sprintf("events=%d/scan=%t", n, scanning), func(b *testing.B) {
			var r *Report
			for b.Loop() {
				r = explainT(b, d, Query{Incident: ourSysID, Scan: scanning})
			}
			if len(r.Events) != 5 || len(r.DeadLetters) != 2 {
				b.Fatalf("found %d events and %d dead letters, want 5 and 2", len(r.Events), len(r.DeadLetters))
			}
			b.ReportMetric(float64(r.Stats.MessagesRead), "msgs-read/op")
			b.ReportMetric(float64(r.Stats.DeadLettersRead), "dlq-read/op")
		})
	}
}

// fillStream stores n incident events (ours at 5 places), their index
// entries and 1,000 dead letters (2 of ours).
func fillStream(b *testing.B, n int) jetstream.JetStream {
	b.Helper()
	srv := testserver.NATS(b)
	nc, err := nats.Connect(srv.ClientURL())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(nc.Close)
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(8192))
	if err != nil {
		b.Fatal(err)
	}
	// Filling a million events takes minutes on a small machine.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	if _, err := streams.Ensure(ctx, js, streams.Config{}); err != nil {
		b.Fatal(err)
	}
	if _, err := eventindex.Ensure(ctx, js, eventindex.Config{}); err != nil {
		b.Fatal(err)
	}
	began := time.Now()
	ours := map[int]bool{n / 10: true, n / 3: true, n / 2: true, 2 * n / 3: true, n - 7: true}
	incidentOf := func(i int) (string, string) {
		if ours[i] {
			return ourSysID, ourNumber
		}
		k := i / 10
		return fmt.Sprintf("%032x", k+1), fmt.Sprintf("INC%07d", k+1)
	}
	flush := func() {
		select {
		case <-js.PublishAsyncComplete():
		case <-ctx.Done():
			b.Fatal("publishes not acknowledged in time")
		}
	}
	// async publishes msg, waiting for the acknowledgements in flight every
	// few thousand (the client holds at most 8192 unacknowledged).
	sent := 0
	async := func(msg *nats.Msg) {
		if sent++; sent%4096 == 0 {
			flush()
		}
		if _, err := js.PublishMsgAsync(msg); err != nil {
			b.Fatal(err)
		}
	}
	for i := range n {
		sysID, number := incidentOf(i)
		ev := testEvent("bench-"+strconv.Itoa(i), event.TypeUpdated, sysID, number)
		body, _ := ev.Marshal()
		async(&nats.Msg{Subject: ev.Subject(), Data: body, Header: nats.Header{jetstream.MsgIDHeader: {ev.ID}}})
	}
	flush()
	st, err := js.Stream(ctx, streams.StreamName)
	if err != nil {
		b.Fatal(err)
	}
	if got := st.CachedInfo().State.LastSeq; got != uint64(n) {
		b.Fatalf("stream holds %d events, want %d", got, n)
	}
	// One connection publishes in order: event i is at sequence i+1.
	for i := range n {
		sysID, _ := incidentOf(i)
		async(&nats.Msg{Subject: "$KV." + eventindex.Bucket + "." + eventindex.EventKey(sysID, uint64(i+1))})
	}
	flush()
	var dlqOurs []int
	for i := range ours {
		dlqOurs = append(dlqOurs, i)
	}
	dead := map[int]bool{dlqOurs[0]: true, dlqOurs[1]: true}
	for i := 1; len(dead) < 1000; i += n / 1000 {
		if !ours[i] {
			dead[i] = true
		}
	}
	f := &fixture{js: js}
	for i := range dead {
		sysID, number := incidentOf(i)
		f.deadLetter(b, testEvent("bench-"+strconv.Itoa(i), event.TypeUpdated, sysID, number), uint64(i+1), "ServiceNow answered 503")
	}
	b.Logf("stored %d events, %d index entries and %d dead letters in %s", n, n, len(dead), time.Since(began).Round(time.Millisecond))
	return js
}
