package telemetry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	promexporter "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.26.0"
	"go.opentelemetry.io/otel/trace"
)

// Options choose where telemetry goes. The standard OTEL_* variables
// (OTEL_TRACES_EXPORTER, OTEL_EXPORTER_OTLP_*, OTEL_SERVICE_NAME,
// OTEL_RESOURCE_ATTRIBUTES, OTEL_TRACES_SAMPLER*) are read on top.
type Options struct {
	// ServiceName is used when OTEL_SERVICE_NAME is unset. Default "escalator".
	ServiceName string
	// Version is recorded as service.version.
	Version string
	// DefaultTraces is the exporter when OTEL_TRACES_EXPORTER is unset:
	// "none" (default; production exports nothing unless asked) or "console"
	// (escalator dev).
	DefaultTraces string
	// Console receives console spans. Default os.Stderr.
	Console io.Writer
	// Getenv reads the environment. Default os.Getenv.
	Getenv func(string) string
}

// Providers holds the SDK providers and the Prometheus registry /metrics
// serves.
type Providers struct {
	TracerProvider trace.TracerProvider
	MeterProvider  metric.MeterProvider
	Registry       *prometheus.Registry

	shutdown []func(context.Context) error
}

// Setup builds the providers. It never installs globals: callers hand the
// providers to what they construct.
func Setup(ctx context.Context, opts Options) (*Providers, error) {
	if opts.ServiceName == "" {
		opts.ServiceName = "escalator"
	}
	if opts.DefaultTraces == "" {
		opts.DefaultTraces = "none"
	}
	if opts.Console == nil {
		opts.Console = os.Stderr
	}
	if opts.Getenv == nil {
		opts.Getenv = os.Getenv
	}
	res, err := resource.Merge(resource.Default(), resource.NewSchemaless(
		semconv.ServiceName(opts.ServiceName), semconv.ServiceVersion(opts.Version)))
	if err != nil {
		return nil, fmt.Errorf("telemetry resource: %w", err)
	}
	if envRes, err := resource.New(ctx, resource.WithFromEnv()); err == nil {
		if merged, err := resource.Merge(res, envRes); err == nil {
			res = merged
		}
	}
	p := &Providers{Registry: prometheus.NewRegistry()}
	p.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	exporter := strings.TrimSpace(opts.Getenv("OTEL_TRACES_EXPORTER"))
	if exporter == "" {
		exporter = opts.DefaultTraces
	}
	tpOpts := []sdktrace.TracerProviderOption{sdktrace.WithResource(res)}
	switch exporter {
	case "none":
	case "console":
		exp, err := stdouttrace.New(stdouttrace.WithWriter(opts.Console))
		if err != nil {
			return nil, fmt.Errorf("console trace exporter: %w", err)
		}
		tpOpts = append(tpOpts, sdktrace.WithBatcher(exp))
	case "otlp":
		exp, err := otlptracehttp.New(ctx)
		if err != nil {
			return nil, fmt.Errorf("otlp trace exporter: %w", err)
		}
		tpOpts = append(tpOpts, sdktrace.WithBatcher(exp))
	default:
		return nil, fmt.Errorf("OTEL_TRACES_EXPORTER=%q is not supported: use none, console or otlp", exporter)
	}
	tp := sdktrace.NewTracerProvider(tpOpts...)
	p.TracerProvider = tp
	p.shutdown = append(p.shutdown, tp.Shutdown)

	promExp, err := promexporter.New(promexporter.WithRegisterer(p.Registry))
	if err != nil {
		return nil, fmt.Errorf("prometheus exporter: %w", err)
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithResource(res), sdkmetric.WithReader(promExp))
	p.MeterProvider = mp
	p.shutdown = append(p.shutdown, mp.Shutdown)
	return p, nil
}

// Shutdown flushes and stops the providers, in reverse order of creation.
func (p *Providers) Shutdown(ctx context.Context) error {
	var errs []error
	for i := len(p.shutdown) - 1; i >= 0; i-- {
		errs = append(errs, p.shutdown[i](ctx))
	}
	p.shutdown = nil
	return errors.Join(errs...)
}
