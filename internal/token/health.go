package token

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// health tracks whether Redis answers. It changes state on transitions
// only, so an outage is logged once, not once per call.
type health struct {
	down   atomic.Bool
	mu     sync.Mutex
	reason string
	since  time.Time
}

func (h *health) up() bool { return !h.down.Load() }

func (h *health) state() (down bool, reason string, since time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.down.Load(), h.reason, h.since
}

// redisFailed records a Redis error. On the first one it logs, marks the
// cache degraded and starts the probe that brings it back.
func (c *Cache) redisFailed(err error) {
	h := &c.health
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.down.Load() {
		return
	}
	h.down.Store(true)
	// Redis errors name the address and the failure, never a value.
	h.reason, h.since = err.Error(), c.opts.Clock()
	c.log.Warn("token cache: Redis unreachable, fetching tokens directly until it answers",
		"err", err, "probe_interval", c.opts.ProbeInterval)
	c.spawn(c.probe)
}

// probe pings Redis until it answers or the cache closes.
func (c *Cache) probe() {
	t := time.NewTicker(c.opts.ProbeInterval)
	defer t.Stop()
	for {
		select {
		case <-c.closing.Done():
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(c.closing, c.opts.RedisTimeout)
		err := c.rdb.Ping(ctx).Err()
		cancel()
		if err == nil {
			h := &c.health
			h.mu.Lock()
			h.down.Store(false)
			h.reason, h.since = "", c.opts.Clock()
			h.mu.Unlock()
			c.log.Info("token cache: Redis answers again, sharing tokens through it")
			return
		}
	}
}

// spawn runs fn in a goroutine that Close waits for, unless the cache is
// closing (then fn does not run and spawn reports false).
func (c *Cache) spawn(fn func()) bool {
	c.bgMu.Lock()
	defer c.bgMu.Unlock()
	if c.closed {
		return false
	}
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		fn()
	}()
	return true
}
