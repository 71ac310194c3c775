package telemetry

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestSetupConsoleTracesAndMetrics(t *testing.T) {
	var console bytes.Buffer
	ctx := context.Background()
	p, err := Setup(ctx, Options{DefaultTraces: "console", Console: &console, Getenv: env(nil)})
	if err != nil {
		t.Fatal(err)
	}
	_, span := p.TracerProvider.Tracer("test").Start(ctx, "process escalator.incident.escalate")
	span.End()
	counter, _ := p.MeterProvider.Meter("test").Int64Counter("escalator.test.events")
	counter.Add(ctx, 3)

	families, err := p.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, f := range families {
		if strings.HasPrefix(f.GetName(), "escalator_test_events") {
			found = true
		}
	}
	if !found {
		t.Fatal("counter not exported to the Prometheus registry")
	}
	if err := p.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(console.String(), "process escalator.incident.escalate") {
		t.Fatalf("console exporter did not print the span: %q", console.String())
	}
}

func TestSetupExporterFromEnv(t *testing.T) {
	var console bytes.Buffer
	p, err := Setup(context.Background(), Options{DefaultTraces: "console", Console: &console,
		Getenv: env(map[string]string{"OTEL_TRACES_EXPORTER": "none"})})
	if err != nil {
		t.Fatal(err)
	}
	_, span := p.TracerProvider.Tracer("test").Start(context.Background(), "quiet")
	span.End()
	_ = p.Shutdown(context.Background())
	if console.Len() != 0 {
		t.Fatalf("OTEL_TRACES_EXPORTER=none still printed: %q", console.String())
	}
	_, err = Setup(context.Background(), Options{Getenv: env(map[string]string{"OTEL_TRACES_EXPORTER": "zipkin"})})
	if err == nil || !strings.Contains(err.Error(), "OTEL_TRACES_EXPORTER") {
		t.Fatalf("unsupported exporter: %v", err)
	}
}
