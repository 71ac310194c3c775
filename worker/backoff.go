package worker

import (
	"time"

	"github.com/cenkalti/backoff/v4"

	"github.com/escalator/escalator/internal/fault"
)

// retryDelay is the NakWithDelay delay after delivery numDelivered failed
// with err: BackoffInitial doubled per earlier delivery, capped at
// BackoffMax, never below the server's Retry-After. No jitter: the delay is
// a function of the count, and JetStream's per-message delay already spreads
// redeliveries of different messages.
func (c Config) retryDelay(numDelivered uint64, err error) time.Duration {
	b := backoff.NewExponentialBackOff(
		backoff.WithInitialInterval(c.BackoffInitial),
		backoff.WithMaxInterval(c.BackoffMax),
		backoff.WithMultiplier(2),
		backoff.WithRandomizationFactor(0),
		backoff.WithMaxElapsedTime(0),
	)
	d := b.NextBackOff()
	for i := uint64(1); i < numDelivered && d < c.BackoffMax; i++ {
		d = b.NextBackOff()
	}
	return max(d, fault.RetryAfter(err))
}
