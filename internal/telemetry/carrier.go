// Package telemetry wires OpenTelemetry for Escalator: trace context carried
// in NATS message headers, the SDK providers configured from the standard
// OTEL_* variables, and the slog handler that puts the trace context (and the
// event's identity) on every log line written about an event.
package telemetry

import (
	"strings"

	"github.com/nats-io/nats.go"
	"go.opentelemetry.io/otel/propagation"
)

// HeaderCarrier carries W3C trace context in NATS message headers.
//
// It writes lower-case keys ("traceparent") and reads them case-insensitively.
// nats.Header is not http.Header: it keeps keys exactly as given, so
// propagation.HeaderCarrier's canonicalisation ("Traceparent") would not match
// what other NATS clients send (nats.go issue 1968).
type HeaderCarrier nats.Header

var _ propagation.TextMapCarrier = HeaderCarrier{}

// Get returns the first value of key, matched case-insensitively.
func (c HeaderCarrier) Get(key string) string {
	if v := c[key]; len(v) > 0 {
		return v[0]
	}
	for k, v := range c {
		if len(v) > 0 && strings.EqualFold(k, key) {
			return v[0]
		}
	}
	return ""
}

// Set stores value under the lower-case key, replacing any case variant.
func (c HeaderCarrier) Set(key, value string) {
	lower := strings.ToLower(key)
	for k := range c {
		if k != lower && strings.EqualFold(k, key) {
			delete(c, k)
		}
	}
	c[lower] = []string{value}
}

// Keys lists the keys present.
func (c HeaderCarrier) Keys() []string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	return keys
}

// Propagator is the W3C trace-context and baggage propagator Escalator uses on
// every hop (HTTP and NATS).
func Propagator() propagation.TextMapPropagator {
	return propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})
}
