package health

import (
	"sync"
	"testing"
	"time"

	"github.com/escalator/escalator/internal/testkit/fakeclock"
	"github.com/escalator/escalator/internal/testkit/wait"
)

// fakeClock only moves when a test advances it.
type fakeClock struct{ *fakeclock.Clock }

func newFakeClock() *fakeClock {
	return &fakeClock{fakeclock.New(time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC))}
}

// pending returns the delays of the timers not fired yet.
func (c *fakeClock) pending() []time.Duration { return c.Pending() }

// waitTimers polls until n timers are pending.
func (c *fakeClock) waitTimers(t *testing.T, n int) []time.Duration {
	t.Helper()
	eventually(t, func() bool { return len(c.pending()) == n })
	return c.pending()
}

// jumpClock advances itself by every delay it is asked to wait: a whole
// hour of rate limiting runs in microseconds.
type jumpClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *jumpClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *jumpClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	ch := make(chan time.Time, 1)
	ch <- c.now
	return ch
}

// eventually polls cond until it holds or a deadline passes (wait.For).
func eventually(t *testing.T, cond func() bool) {
	t.Helper()
	wait.For(t, 5*time.Second, "the condition", cond)
}
