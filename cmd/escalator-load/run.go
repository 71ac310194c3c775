package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"time"

	"github.com/escalator/escalator/internal/ingest"
	"github.com/escalator/escalator/internal/streams"
	"github.com/escalator/escalator/internal/telemetry"
	"github.com/escalator/escalator/worker"
)

// Modes of sending.
const (
	ModeIngest = "ingest" // HTTP batches to the ingest server
	ModeDirect = "direct" // streams.Publisher straight to JetStream
)

// Config is one load run. Zero values take the defaults.
type Config struct {
	Events      int     // N; default 10000
	Workers     int     // K worker instances (and K raw loops); default 2
	Mode        string  // ModeIngest (default) or ModeDirect
	Concurrency int     // C senders; default 8
	Batch       int     // B events per request (ingest) or per fan-out (direct); default 100
	Rate        float64 // offered events/s; 0 sends flat out
	// WorkerConcurrency is worker.Config.Concurrency and streams.Config's;
	// default 32, as in production.
	WorkerConcurrency int
	// Rounds of the consume-only comparison, each reading the stored
	// events once per phase; default 1.
	Rounds int
	// Prefetch is worker.Config.Prefetch; default the worker's (500). The
	// first raw loop pulls as many (never fewer than WorkerConcurrency).
	Prefetch int
	// MaxAckPending of the consumers; default streams' (4×WorkerConcurrency,
	// shared by all K workers, as in production).
	MaxAckPending int
	// SendOnly runs no workers while sending: ingest's (or JetStream's)
	// rate alone. Latency is not measured; the comparison still runs.
	SendOnly bool
	// RawDoubleAck makes the raw loop wait for each ack's confirmation, as
	// the worker does, to separate that cost from the runtime's own.
	RawDoubleAck bool
	// RawDecode makes the raw loop decode every event with event.Decode,
	// as the worker does, to compare the runtime without the decode.
	RawDecode bool
	// NATSURL of an external server; empty runs an embedded one.
	NATSURL string
	// DeleteExisting lets a run delete ESCALATOR and ESCALATOR_DLQ on the
	// external server first.
	DeleteExisting bool
	// SigningSecret, in ingest mode, makes the ingest server require signed
	// requests (ESCALATOR_INGEST_SIGNING_SECRETS) and the senders sign
	// each one with it, so the run includes the signature's cost.
	SigningSecret string
	// StallTimeout fails the run when no event is seen for this long;
	// default 30s.
	StallTimeout time.Duration
	// Logger receives the workers' and ingest's warnings; default: discard.
	Logger *slog.Logger
	// Progress, if set, is called about four times a second.
	Progress func(Progress)
}

// Progress is a snapshot of the running phase.
type Progress struct {
	Phase   string
	Sent    int
	Seen    int
	Total   int
	Elapsed time.Duration
}

func (c Config) withDefaults() Config {
	c.Events = orDefault(c.Events, 10000)
	c.Workers = orDefault(c.Workers, 2)
	c.Concurrency = orDefault(c.Concurrency, 8)
	c.Batch = orDefault(c.Batch, 100)
	c.WorkerConcurrency = orDefault(c.WorkerConcurrency, streams.DefaultConcurrency)
	c.Rounds = orDefault(c.Rounds, 1)
	if c.Mode == "" {
		c.Mode = ModeIngest
	}
	if c.StallTimeout == 0 {
		c.StallTimeout = 30 * time.Second
	}
	c.Logger = telemetry.OrDiscard(c.Logger)
	return c
}

func orDefault(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

func (c Config) validate() error {
	switch {
	case c.Events < 1 || c.Workers < 1 || c.Concurrency < 1 || c.WorkerConcurrency < 1 || c.Rounds < 1:
		return errors.New("events, workers, concurrency, worker concurrency and rounds must be at least 1")
	case c.Batch < 1 || c.Batch > ingest.DefaultMaxEvents:
		return fmt.Errorf("batch %d: want 1 to %d (ingest's limit)", c.Batch, ingest.DefaultMaxEvents)
	case c.Mode != ModeIngest && c.Mode != ModeDirect:
		return fmt.Errorf("mode %q: want %s or %s", c.Mode, ModeIngest, ModeDirect)
	case c.Prefetch < 0:
		return fmt.Errorf("prefetch %d: want 0 (the worker's default, %d) or more", c.Prefetch, worker.DefaultPrefetch)
	case c.Rate < 0:
		return fmt.Errorf("rate %g: want 0 (flat out) or more", c.Rate)
	}
	return nil
}

// Report is the result of a run.
type Report struct {
	Mode              string  `json:"mode"`
	Events            int     `json:"events"`
	Workers           int     `json:"workers"`
	Concurrency       int     `json:"concurrency"`
	Batch             int     `json:"batch"`
	Rate              float64 `json:"rate"` // offered; 0 = flat out
	WorkerConcurrency int     `json:"worker_concurrency"`
	SendOnly          bool    `json:"send_only"`
	Embedded          bool    `json:"embedded_nats"`

	// End to end: events sent through ingest (or publish) while the K
	// workers consume them.
	Sent        int     `json:"sent"`         // acknowledged by ingest/JetStream
	SendSeconds float64 `json:"send_seconds"` // first send to last acknowledgement
	SendRate    float64 `json:"send_rate"`    // events/s accepted
	Handled     int     `json:"handled"`      // distinct events the handlers saw (0 with SendOnly)
	Duplicates  int     `json:"duplicates"`   // sightings beyond the first
	Seconds     float64 `json:"seconds"`      // first send to last first sighting
	Throughput  float64 `json:"events_per_second"`
	Latency     Latency `json:"latency"` // hand-off to handler
	// CPUPerEvent is the process's CPU time (senders, ingest, workers and
	// the embedded server together) per event, in µs: unlike the rates it
	// does not depend on what else the machine runs.
	CPUPerEvent float64 `json:"cpu_us_per_event"`

	// Consume only: the stored events read again through fresh consumers.
	Compare Compare `json:"compare"`

	PeakRSS       uint64 `json:"peak_rss_bytes"`
	PeakRSSSource string `json:"peak_rss_source"`
	// NumCPU and the one-minute load average at the start and the end.
	NumCPU    int     `json:"num_cpu"`
	LoadStart float64 `json:"load_avg_start"`
	LoadEnd   float64 `json:"load_avg_end"`
}

// Compare is the worker runtime against a minimal consume+ack loop, each
// over the same stored events with the same consumer configuration: the
// raw loop once at the worker's prefetch and once at nats.go's default
// (one phase serves both when they are equal).
type Compare struct {
	Events        int     `json:"events"`
	Prefetch      int     `json:"prefetch"` // the worker's, and the first raw loop's
	WorkerSeconds float64 `json:"worker_seconds"`
	WorkerRate    float64 `json:"worker_rate"`
	WorkerDups    int     `json:"worker_duplicates"`
	RawSeconds    float64 `json:"raw_seconds"`
	RawRate       float64 `json:"raw_rate"`
	RawDups       int     `json:"raw_duplicates"`
	RawDoubleAck  bool    `json:"raw_double_ack"`
	RawDecode     bool    `json:"raw_decode"`
	Ratio         float64 `json:"ratio"` // worker/raw events/s (median of the rounds')
	Rounds        int     `json:"rounds"`
	// RoundRatios and RoundRatiosDefault are each round's worker/raw
	// events/s, at the same prefetch and at the default.
	RoundRatios        []float64 `json:"round_ratios"`
	RoundRatiosDefault []float64 `json:"round_ratios_default"`
	// WorkerCPU and RawCPU are process CPU (user+sys) µs per event (the
	// embedded server's share included; rates, seconds and CPU are the
	// rounds' medians, duplicates their sum); CPURatio is RawCPU/WorkerCPU, the
	// ratio the rates would have on an otherwise idle, CPU-bound machine.
	WorkerCPU float64 `json:"worker_cpu_us_per_event"`
	RawCPU    float64 `json:"raw_cpu_us_per_event"`
	CPURatio  float64 `json:"cpu_ratio"`
	// The raw loop at nats.go's default prefetch (500) and the worker
	// against it.
	DefaultPrefetch   int     `json:"default_prefetch"`
	RawDefaultSeconds float64 `json:"raw_default_seconds"`
	RawDefaultRate    float64 `json:"raw_default_rate"`
	RawDefaultDups    int     `json:"raw_default_duplicates"`
	RawDefaultCPU     float64 `json:"raw_default_cpu_us_per_event"`
	RatioDefault      float64 `json:"ratio_default"`
	CPURatioDefault   float64 `json:"cpu_ratio_default"`
}

// Complete reports whether every event was handled, in both phases.
func (r *Report) Complete() bool {
	return (r.SendOnly || r.Handled == r.Events) && r.Sent == r.Events && r.Compare.Events == r.Events
}

// Run executes the scenario: the end-to-end phase, then the comparison.
// It returns the report so far along with any error.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	rep := &Report{
		Mode: cfg.Mode, Events: cfg.Events, Workers: cfg.Workers, Concurrency: cfg.Concurrency,
		Batch: cfg.Batch, Rate: cfg.Rate, WorkerConcurrency: cfg.WorkerConcurrency, SendOnly: cfg.SendOnly, Embedded: cfg.NATSURL == "",
		NumCPU: runtime.NumCPU(), LoadStart: loadAvg(),
	}
	defer func() {
		rep.PeakRSS, rep.PeakRSSSource = peakRSS()
		rep.LoadEnd = loadAvg()
	}()

	e, err := openEnv(ctx, cfg)
	if err != nil {
		return rep, err
	}
	defer e.close(context.WithoutCancel(ctx))

	prefix, err := runPrefix()
	if err != nil {
		return rep, err
	}
	if err := endToEnd(ctx, e, cfg, prefix, rep); err != nil {
		return rep, err
	}
	if err := compare(ctx, e, cfg, prefix, rep); err != nil {
		return rep, err
	}
	return rep, nil
}

// runPrefix makes this run's event ids unique, so a rerun against the same
// server is not swallowed by the duplicate window.
func runPrefix() (string, error) {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("run id: %w", err)
	}
	return "load-" + hex.EncodeToString(b) + "-", nil
}

func endToEnd(ctx context.Context, e *env, cfg Config, prefix string, rep *Report) error {
	tmpl, err := newTemplate(prefix)
	if err != nil {
		return err
	}
	s, stopSender, err := newSender(e, cfg, tmpl)
	if err != nil {
		return err
	}
	defer stopSender()

	tr := newTracker(prefix, cfg.Events, true)
	cpu0 := cpuTime()
	ws := &consumers{}
	if !cfg.SendOnly {
		ws, err = startWorkers(ctx, e, cfg, streams.ConsumerName, tr)
		if err != nil {
			return errors.Join(err, ws.stop())
		}
	}
	var sendErr error
	sendCtx, stopSending := context.WithCancel(ctx)
	defer stopSending()
	sendDone := make(chan struct{})
	go func() { defer close(sendDone); sendErr = sendAll(sendCtx, cfg, tr, s) }()

	phase, finished, sending := "end to end", (<-chan struct{})(tr.done), (<-chan struct{})(sendDone)
	if cfg.SendOnly {
		phase, finished, sending = "send only", sendDone, nil
	}
	waitErr := wait(ctx, cfg, phase, tr, finished, sending)
	if waitErr != nil {
		stopSending()
	}
	<-sendDone // the handlers may see the last batch before ingest answers
	if sendErr != nil && waitErr == nil {
		waitErr = fmt.Errorf("send: %w", sendErr)
	}
	cpu := cpuTime() - cpu0
	stopErr := ws.stop()

	rep.CPUPerEvent = perEvent(cpu, int(max(tr.unique.Load(), tr.nSent.Load())))
	rep.Sent = int(tr.nSent.Load())
	rep.SendSeconds = tr.sendSpan().Seconds()
	if rep.SendSeconds > 0 {
		rep.SendRate = float64(rep.Sent) / rep.SendSeconds
	}
	rep.Handled = int(tr.unique.Load())
	rep.Duplicates = int(tr.dups.Load())
	rep.Seconds = tr.span().Seconds()
	if rep.Seconds > 0 {
		rep.Throughput = float64(rep.Handled) / rep.Seconds
	}
	lat := make([]time.Duration, 0, rep.Handled)
	for i := range tr.latency {
		if tr.seen[i].Load() > 0 {
			lat = append(lat, tr.latency[i])
		}
	}
	rep.Latency = summarize(lat)
	return errors.Join(waitErr, stopErr)
}

// newSender builds the ingest server and its HTTP client, or the direct
// publisher, each on its own connection.
func newSender(e *env, cfg Config, tmpl *template) (sender, func(), error) {
	_, js, err := e.connect("escalator-load publisher")
	if err != nil {
		return nil, nil, err
	}
	pub := streams.NewPublisher(js, nil)
	if cfg.Mode == ModeDirect {
		return &directSender{pub: pub, tmpl: tmpl}, func() {}, nil
	}
	token, err := runPrefix()
	if err != nil {
		return nil, nil, err
	}
	icfg := ingest.Config{Tokens: []string{token}, Logger: cfg.Logger}
	if cfg.SigningSecret != "" {
		icfg.SigningSecrets = []string{cfg.SigningSecret}
	}
	srv, err := ingest.New(icfg, pub)
	if err != nil {
		return nil, nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, fmt.Errorf("ingest listener: %w", err)
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	tr := &http.Transport{MaxIdleConnsPerHost: cfg.Concurrency, MaxConnsPerHost: cfg.Concurrency}
	stop := func() {
		tr.CloseIdleConnections()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = hs.Shutdown(ctx)
	}
	return &ingestSender{
		client: &http.Client{Transport: tr, Timeout: time.Minute},
		url:    "http://" + ln.Addr().String(),
		token:  token,
		secret: cfg.SigningSecret,
		tmpl:   tmpl,
	}, stop, nil
}

// wait blocks until every event was seen, the senders failed, ctx ended or
// nothing was seen for StallTimeout, reporting progress meanwhile.
func wait(ctx context.Context, cfg Config, phase string, tr *tracker, finished, sendDone <-chan struct{}) error {
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	start := time.Now()
	last, lastChange := int64(-1), time.Now()
	report := func() {
		if cfg.Progress != nil {
			cfg.Progress(Progress{Phase: phase, Sent: int(tr.nSent.Load()), Seen: int(tr.unique.Load()),
				Total: tr.total, Elapsed: time.Since(start)})
		}
	}
	defer report()
	for {
		select {
		case <-finished:
			return nil
		case <-sendDone:
			if tr.nSent.Load() < int64(tr.total) {
				return nil // the senders failed: endToEnd reports why
			}
			sendDone = nil // all sent; keep waiting for the handlers
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
			report()
			if n := tr.unique.Load() + tr.nSent.Load(); n != last {
				last, lastChange = n, time.Now()
			} else if time.Since(lastChange) > cfg.StallTimeout {
				return fmt.Errorf("%s stalled: %d sent, %d of %d handled, no progress for %s",
					phase, tr.nSent.Load(), tr.unique.Load(), tr.total, cfg.StallTimeout)
			}
		}
	}
}
