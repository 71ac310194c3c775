package worker

import (
	"errors"
	"net/http"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/escalator/escalator/internal/fault"
)

// leaderElection is the least delay before retrying a handler that failed
// because a JetStream stream or bucket had no leader. After a cluster
// regains its quorum every stream, bucket and consumer elects its leader on
// its own (nats-server's election timeout is 4 to 9 s), so the events'
// consumer can deliver while a bucket the handler writes is still without
// one. Retried at BackoffInitial, a message would spend its MaxDeliver
// deliveries within that election and be dead-lettered (with a 50 ms
// BackoffInitial, in 1.5 s); at this pace the default budget of five
// retries spans 25 s, a few elections.
const leaderElection = 5 * time.Second

// retryDelay is the NakWithDelay delay after delivery numDelivered failed
// with err: BackoffInitial doubled per earlier delivery, capped at
// BackoffMax, never below the server's Retry-After nor, when JetStream had
// no leader, below leaderElection. No jitter: the delay is a function of
// the count, and JetStream's per-message delay already spreads
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
	floor := fault.RetryAfter(err)
	if leaderless(err) {
		floor = max(floor, leaderElection)
	}
	return max(d, floor)
}

// leaderless reports whether err says a JetStream stream, bucket or the
// cluster had no leader to answer: nobody answered a publish to a stream's
// subject or a request to its API, or the server said JetStream is
// temporarily unavailable. A timeout is not counted: it may be anything.
func leaderless(err error) bool {
	var api *jetstream.APIError
	return errors.Is(err, jetstream.ErrNoStreamResponse) || errors.Is(err, nats.ErrNoResponders) ||
		errors.As(err, &api) && api.Code == http.StatusServiceUnavailable
}
