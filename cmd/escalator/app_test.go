package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spf13/pflag"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/escalator/escalator/internal/event"
	"github.com/escalator/escalator/internal/telemetry"
	"github.com/escalator/escalator/internal/testkit/testserver"
	"github.com/escalator/escalator/internal/testkit/wait"
	"github.com/escalator/escalator/worker"
)

const testIngestToken = "test-token-0123456789abcdef"

// startApp runs an App on loopback :0 ports against a private NATS server
// (or cfg.nats.URL when set) with the given handlers, and stops it when the
// test ends.
func startApp(t *testing.T, cfg appConfig, handlers handlerSet) *App {
	t.Helper()
	return startAppTraced(t, cfg, handlers, nil)
}

// startAppTraced is startApp with the spans going to tp (nil: none).
func startAppTraced(t *testing.T, cfg appConfig, handlers handlerSet, tp trace.TracerProvider) *App {
	t.Helper()
	return startAppLogged(t, cfg, handlers.worker, tp, nil)
}

// startAppLogged is startApp with the worker's parts from build, the spans
// going to tp (nil: none) and the log lines to log (nil: discarded).
func startAppLogged(t *testing.T, cfg appConfig, build workerBuilder, tp trace.TracerProvider, log *slog.Logger) *App {
	t.Helper()
	if cfg.nats.URL == "" {
		cfg.nats.URL = testserver.NATS(t).ClientURL()
	}
	cfg.ingest.Addr, cfg.adminAddr = "127.0.0.1:0", "127.0.0.1:0"
	if len(cfg.ingest.Tokens) == 0 {
		cfg.ingest.Tokens = []string{testIngestToken}
	}
	if cfg.worker.Concurrency == 0 {
		cfg.worker = defaultWorker()
	}
	cfg.log = logConfig{Level: "info", Format: "text"}
	cfg.runIngest, cfg.runWorker = true, true
	tel, err := telemetry.Setup(context.Background(), telemetry.Options{Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	if tp != nil {
		tel.TracerProvider = tp
	}
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	ctx, cancel := context.WithCancel(context.Background())
	app, err := NewApp(ctx, cfg, log, tel, build)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- app.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("app.Run: %v", err)
		}
		_ = app.Close(context.Background())
	})
	return app
}

// defaultWorker is the worker configuration of the flags' defaults, as
// serve runs it, with 8 messages in flight and minute-long ticks.
func defaultWorker() workerConfig {
	var w workerConfig
	w.flags(pflag.NewFlagSet("defaults", pflag.ContinueOnError))
	w.Concurrency, w.HealthInterval, w.CaseSyncInterval = 8, time.Minute, time.Minute
	return w
}

// handlerSet is a test's handlers by subject, built over the spine: a
// worker with nothing else (no remotes, reporters or background jobs).
type handlerSet func(ctx context.Context, s spine) (map[string]worker.Handler, error)

func (h handlerSet) worker(ctx context.Context, s spine) (workerParts, error) {
	hs, err := h(ctx, s)
	return workerParts{handlers: hs}, err
}

// handledSubjects are the subjects the worker handles.
func handledSubjects() []string {
	return []string{
		event.SubjectInsights, event.SubjectEscalation, event.SubjectUpdate,
		event.SubjectTickHealth, event.SubjectTickCases, event.SubjectTickOutbox,
	}
}

// everySubject is h for every handled subject.
func everySubject(h worker.Handler) map[string]worker.Handler {
	out := map[string]worker.Handler{}
	for _, s := range handledSubjects() {
		out[s] = h
	}
	return out
}

// recorder is a handler set that records the events each subject received.
type recorder struct {
	mu   sync.Mutex
	seen map[string][]string // subject → event ids
}

func (r *recorder) handlers(context.Context, spine) (map[string]worker.Handler, error) {
	return everySubject(worker.HandlerFunc(func(_ context.Context, m *worker.Message) error {
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.seen == nil {
			r.seen = map[string][]string{}
		}
		r.seen[m.Subject] = append(r.seen[m.Subject], m.Event.ID)
		return nil
	})), nil
}

func (r *recorder) count(subject string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.seen[subject])
}

// postEvent posts the example file to the ingest at url.
func postEvent(t *testing.T, url, file string) *http.Response {
	t.Helper()
	body, err := os.ReadFile("examples/" + file)
	if err != nil {
		t.Fatal(err)
	}
	return postIngest(t, url, testIngestToken, string(body))
}

// postIngest posts the CloudEvent body to the ingest at url with token
// (and each name, value pair of header) and returns the answer, whose body
// is closed when the test ends.
func postIngest(t *testing.T, url, token, body string, header ...string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url+"/v1/events", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/cloudevents+json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("post to %s: %v", url, err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	wait.For(t, 15*time.Second, what, cond)
}

func TestAppSpineIngestToWorker(t *testing.T) {
	var rec recorder
	app := startApp(t, appConfig{}, rec.handlers)

	for _, f := range []string{"insights-requested.json", "escalation-requested.json", "incident-updated.json", "insights-requested.json"} {
		if resp := postEvent(t, app.IngestURL(), f); resp.StatusCode != http.StatusAccepted {
			t.Fatalf("%s: status %d", f, resp.StatusCode)
		}
	}
	waitFor(t, "three events handled", func() bool {
		return rec.count("escalator.incident.insights") == 1 && rec.count("escalator.incident.escalate") == 1 &&
			rec.count("escalator.incident.update") == 1
	})

	resp, err := http.Get(app.AdminURL() + "/readyz")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("readyz: %v %v", resp, err)
	}
	resp.Body.Close()
	resp, err = http.Get(app.AdminURL() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{"escalator_messages_total", "messaging_process_duration", "escalator_ingest_events_total"} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// TestAppTraceFromIngestToWorker: one trace from the caller through ingest's
// PRODUCER span to the worker's CONSUMER span, whether the caller sends a
// traceparent header or only the CloudEvent traceparent extension.
func TestAppTraceFromIngestToWorker(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	var rec recorder
	app := startAppTraced(t, appConfig{}, rec.handlers, tp)

	const headerTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
	const extensionTrace = "0af7651916cd43dd8448eb211c80319c"
	body, _ := os.ReadFile("examples/insights-requested.json")
	send := func(id, header, extension string) {
		t.Helper()
		b := strings.Replace(string(body), `"id": "0c2a6e5d8b7f4a1e9c3d5b7a9e1f2c40",`,
			`"id": "`+id+`",`+extension, 1)
		var traceparent []string
		if header != "" {
			traceparent = []string{"traceparent", header}
		}
		if resp := postIngest(t, app.IngestURL(), testIngestToken, b, traceparent...); resp.StatusCode != http.StatusAccepted {
			t.Fatalf("post %s: status %d", id, resp.StatusCode)
		}
	}
	send("traced-by-header", "00-"+headerTrace+"-00f067aa0ba902b7-01", "")
	send("traced-by-extension", "", `"traceparent": "00-`+extensionTrace+`-b7ad6b7169203331-01",`)

	for _, traceID := range []string{headerTrace, extensionTrace} {
		waitFor(t, "producer and consumer spans of trace "+traceID, func() bool {
			var producer, consumer bool
			for _, s := range exp.GetSpans() {
				if s.SpanContext.TraceID().String() != traceID {
					continue
				}
				switch {
				case s.Name == "send escalator.incident.insights" && s.SpanKind == trace.SpanKindProducer:
					producer = true
				case s.Name == "process escalator.incident.insights" && s.SpanKind == trace.SpanKindConsumer:
					consumer = true
				}
			}
			return producer && consumer
		})
	}
}
