package token

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/escalator/escalator/internal/fault"
)

// MetricFailures counts acquisitions that ended without a token, by
// token.authority and error class (transient: the endpoint or the network
// failed; permanent: the endpoint refused the credentials). The alert on
// it is what tells on-call that a secret expired.
const MetricFailures = "escalator.token.failures"

// failureKey is one series of MetricFailures.
type failureKey struct{ authority, class string }

// countFailure records one failed acquisition of s.
func (c *Cache) countFailure(s *Source, err error) {
	class := fault.Classify(err).String()
	c.failMu.Lock()
	defer c.failMu.Unlock()
	if c.failures == nil {
		c.failures = map[failureKey]int64{}
	}
	c.failures[failureKey{s.id.Authority, class}]++
}

// registerFailures reports MetricFailures from the counts kept by
// countFailure.
func (c *Cache) registerFailures(m metric.Meter) (metric.Registration, error) {
	failures, err := m.Int64ObservableCounter(MetricFailures,
		metric.WithDescription("Token acquisitions that failed, by token.authority and error.class (permanent: credentials refused)."))
	if err != nil {
		return nil, err
	}
	return m.RegisterCallback(func(_ context.Context, obs metric.Observer) error {
		c.failMu.Lock()
		defer c.failMu.Unlock()
		for k, n := range c.failures {
			obs.ObserveInt64(failures, n, metric.WithAttributes(
				attribute.String("token.authority", k.authority), attribute.String("error.class", k.class)))
		}
		return nil
	}, failures)
}
