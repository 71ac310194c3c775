package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/escalator/escalator/internal/streams"
	"github.com/escalator/escalator/internal/testkit/testserver"
)

func TestRunCountsEveryEventOnce(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
	}{
		{"send only", Config{Mode: ModeIngest, SendOnly: true}},
		{"ingest batches", Config{Mode: ModeIngest, Batch: 30}},
		{"ingest single events", Config{Mode: ModeIngest, Batch: 1, Concurrency: 4}},
		{"ingest signed", Config{Mode: ModeIngest, Batch: 20, SigningSecret: "load-signing-secret"}},
		{"direct", Config{Mode: ModeDirect, Batch: 25}},
		{"direct at a fixed rate", Config{Mode: ModeDirect, Batch: 10, Rate: 2000, RawDoubleAck: true}},
		{"direct, the raw loop decoding", Config{Mode: ModeDirect, RawDecode: true}},
		{"direct, prefetch 64: the raw loop at 64 and at 500, two rounds", Config{Mode: ModeDirect, Prefetch: 64, Rounds: 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := testserver.NATS(t)
			cfg := tt.cfg
			cfg.NATSURL = srv.ClientURL()
			cfg.Events, cfg.Workers, cfg.WorkerConcurrency = 200, 2, 8
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			rep, err := Run(ctx, cfg)
			if err != nil {
				t.Fatalf("run: %v", err)
			}
			if cfg.SendOnly {
				checkSendOnly(t, rep, 200)
				return
			}
			checkReport(t, rep, 200)
			if rep.Compare.RawDecode != cfg.RawDecode {
				t.Errorf("raw decode %v, want %v", rep.Compare.RawDecode, cfg.RawDecode)
			}
		})
	}
}

func checkSendOnly(t *testing.T, rep *Report, n int) {
	t.Helper()
	if !rep.Complete() || rep.Sent != n || rep.Handled != 0 || rep.Latency.Count != 0 || rep.Compare.Events != n {
		t.Errorf("send only: sent %d, handled %d, latency samples %d, compared %d",
			rep.Sent, rep.Handled, rep.Latency.Count, rep.Compare.Events)
	}
	if rep.SendRate <= 0 || rep.Compare.Ratio <= 0 {
		t.Errorf("send rate %g, ratio %g", rep.SendRate, rep.Compare.Ratio)
	}
}

func checkReport(t *testing.T, rep *Report, n int) {
	t.Helper()
	if !rep.Complete() || rep.Sent != n || rep.Handled != n || rep.Compare.Events != n {
		t.Errorf("sent %d, handled %d, compared %d; want %d each", rep.Sent, rep.Handled, rep.Compare.Events, n)
	}
	if rep.Duplicates != 0 || rep.Compare.WorkerDups != 0 || rep.Compare.RawDups != 0 {
		t.Errorf("duplicates: end to end %d, worker %d, raw %d", rep.Duplicates, rep.Compare.WorkerDups, rep.Compare.RawDups)
	}
	if rep.Latency.Count != n {
		t.Errorf("latency samples %d, want %d", rep.Latency.Count, n)
	}
	l := rep.Latency
	if !(0 < l.P50 && l.P50 <= l.P90 && l.P90 <= l.P99 && l.P99 <= l.P999 && l.P999 <= l.Max) {
		t.Errorf("percentiles out of order: %+v", l)
	}
	if rep.Throughput <= 0 || rep.SendRate <= 0 || rep.Compare.Ratio <= 0 {
		t.Errorf("rates: throughput %g, send %g, ratio %g", rep.Throughput, rep.SendRate, rep.Compare.Ratio)
	}
	c := rep.Compare
	if c.DefaultPrefetch != 500 || c.Prefetch <= 0 {
		t.Errorf("prefetch %d, default %d", c.Prefetch, c.DefaultPrefetch)
	}
	if c.RatioDefault <= 0 || c.CPURatioDefault <= 0 || c.RawDefaultRate <= 0 || c.RawDefaultDups != 0 {
		t.Errorf("against the default prefetch: ratio %g, by cpu %g, raw %g events/s, %d duplicates",
			c.RatioDefault, c.CPURatioDefault, c.RawDefaultRate, c.RawDefaultDups)
	}
	if len(c.RoundRatios) != c.Rounds || len(c.RoundRatiosDefault) != c.Rounds || c.Rounds < 1 {
		t.Errorf("%d rounds, ratios %v and %v", c.Rounds, c.RoundRatios, c.RoundRatiosDefault)
	}
	if c.Prefetch == c.DefaultPrefetch && (c.RawDefaultRate != c.RawRate || c.RatioDefault != c.Ratio) {
		t.Errorf("prefetch %d is the default: one raw phase should serve both, got %g and %g events/s", c.Prefetch, c.RawRate, c.RawDefaultRate)
	}
	if rep.CPUPerEvent <= 0 || rep.Compare.WorkerCPU <= 0 || rep.Compare.RawCPU <= 0 || rep.Compare.CPURatio <= 0 {
		t.Errorf("cpu per event: end to end %g, worker %g, raw %g", rep.CPUPerEvent, rep.Compare.WorkerCPU, rep.Compare.RawCPU)
	}
	if rep.PeakRSS == 0 || rep.NumCPU == 0 {
		t.Errorf("peak RSS %d, cpus %d", rep.PeakRSS, rep.NumCPU)
	}
}

func TestRunRefusesAStreamInUse(t *testing.T) {
	srv := testserver.NATS(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg := Config{NATSURL: srv.ClientURL(), Events: 20, Workers: 1}
	if _, err := Run(ctx, cfg); err != nil {
		t.Fatalf("first run: %v", err)
	}
	// The first run deleted the stream it created; make one that is not ours.
	_, js := testserver.Connect(t, srv)
	if _, err := js.CreateStream(ctx, streams.StreamConfig(streams.Config{}.WithDefaults())); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(ctx, cfg); err == nil || !strings.Contains(err.Error(), "--delete-existing") {
		t.Fatalf("want a refusal naming --delete-existing, got %v", err)
	}
	cfg.DeleteExisting = true
	rep, err := Run(ctx, cfg)
	if err != nil {
		t.Fatalf("run with --delete-existing: %v", err)
	}
	checkReport(t, rep, 20)
}

func TestMainOutputAndExitCodes(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"-n", "50", "-workers", "1", "-output", "json"}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	var rep Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("json output: %v\n%s", err, out.String())
	}
	checkReport(t, &rep, 50)
	if !rep.Embedded {
		t.Error("want the embedded server")
	}

	for _, args := range [][]string{{"-mode", "carrier-pigeon"}, {"-b", "501"}, {"-output", "xml"}, {"-prefetch", "-1"}, {"-rounds", "-1"}, {"extra"}} {
		out.Reset()
		errOut.Reset()
		if code := run(args, &out, &errOut); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
}

// TestIngestSenderSigns: with a secret the in-process ingest refuses an
// unsigned or wrongly signed request, and the sender's own are accepted.
func TestIngestSenderSigns(t *testing.T) {
	srv := testserver.NATS(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg := Config{NATSURL: srv.ClientURL(), SigningSecret: "load-signing-secret"}.withDefaults()
	e, err := openEnv(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer e.close(context.Background())
	tmpl, err := newTemplate("sign-")
	if err != nil {
		t.Fatal(err)
	}
	s, stop, err := newSender(e, cfg, tmpl)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	if err := s.send(ctx, 0, 5); err != nil {
		t.Fatalf("signed batch: %v", err)
	}
	is := s.(*ingestSender)
	for _, secret := range []string{"", "not-the-secret"} {
		is.secret = secret
		if err := s.send(ctx, 5, 6); err == nil || !strings.Contains(err.Error(), "401") {
			t.Fatalf("secret %q: %v, want a 401", secret, err)
		}
	}
}
