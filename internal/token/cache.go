package token

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/escalator/escalator/internal/telemetry"
)

// CacheOptions configures a Cache. The zero value is an in-process cache.
type CacheOptions struct {
	// Redis shares tokens across processes. Default nil: tokens are cached
	// in this process only.
	Redis redis.UniversalClient
	// Keyring encrypts the tokens stored in Redis. Required with Redis.
	Keyring *Keyring
	// Clock tells the time. Default time.Now.
	Clock func() time.Time
	// Logger receives the few things worth logging (Redis lost and back).
	// Default: discard.
	Logger *slog.Logger
	// TracerProvider makes the token.acquire spans. Default: no-op.
	TracerProvider trace.TracerProvider
	// MeterProvider makes the escalator.token.* metrics. Default: no-op.
	MeterProvider metric.MeterProvider
	// Skew is how long before its expiry a token stops being used (and
	// leaves Redis), capped at a tenth of the token's lifetime. Default 30s.
	Skew time.Duration
	// LockWait bounds how long a process waits for another one's fetch
	// before fetching itself. Default 10s.
	LockWait time.Duration
	// FetchTimeout bounds one acquisition (Redis and the endpoint).
	// Default 30s.
	FetchTimeout time.Duration
	// LockTTL is how long a refresh lock lives if its holder dies.
	// Default FetchTimeout + 5s.
	LockTTL time.Duration
	// RedisTimeout bounds each Redis command. Default 2s.
	RedisTimeout time.Duration
	// ProbeInterval is how often an unreachable Redis is pinged. Default 5s.
	ProbeInterval time.Duration
	// RetryBackoff is how long a failed background refresh waits before the
	// next one (callers keep the current token meanwhile). Default 10s.
	RetryBackoff time.Duration
}

// Cache hands out token Sources that share one in-process layer, one Redis
// and one health state. It is safe for concurrent use.
type Cache struct {
	opts    CacheOptions
	rdb     redis.UniversalClient
	log     *slog.Logger
	tracer  trace.Tracer
	release *redis.Script

	mu      sync.Mutex
	sources map[Identity]*Source

	counts [numOutcomes]atomic.Int64
	reg    metric.Registration

	failMu   sync.Mutex
	failures map[failureKey]int64
	failReg  metric.Registration

	health    health
	keyWarned atomic.Bool

	closing   context.Context
	close     context.CancelFunc
	bgMu      sync.Mutex // guards closed and wg.Add against Close
	closed    bool
	wg        sync.WaitGroup
	closeOnce sync.Once
}

// outcome is how an acquisition was served: the token.cache attribute.
type outcome int

const (
	localHit outcome = iota
	redisHit
	fetched
	waited
	fallback
	numOutcomes
)

var outcomeNames = [numOutcomes]string{"local_hit", "redis_hit", "fetched", "waited", "fallback"}

func (o outcome) String() string { return outcomeNames[o] }

// releaseScript deletes the lock only if this process still owns it.
const releaseScript = `if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end return 0`

// NewCache validates opts and returns a Cache. Close it to stop its
// background work.
func NewCache(opts CacheOptions) (*Cache, error) {
	if opts.Redis != nil && opts.Keyring == nil {
		return nil, errors.New("token cache: a keyring (ESCALATOR_TOKEN_KEY) is required with Redis")
	}
	for _, d := range []struct {
		name string
		v    *time.Duration
		def  time.Duration
	}{
		{"skew", &opts.Skew, 30 * time.Second},
		{"lock wait", &opts.LockWait, 10 * time.Second},
		{"fetch timeout", &opts.FetchTimeout, 30 * time.Second},
		{"lock TTL", &opts.LockTTL, 0}, // FetchTimeout + 5s, set below
		{"redis timeout", &opts.RedisTimeout, 2 * time.Second},
		{"probe interval", &opts.ProbeInterval, 5 * time.Second},
		{"retry backoff", &opts.RetryBackoff, 10 * time.Second},
	} {
		if *d.v < 0 {
			return nil, fmt.Errorf("token cache: negative %s %v", d.name, *d.v)
		}
		if *d.v == 0 {
			*d.v = d.def
		}
	}
	if opts.LockTTL == 0 {
		opts.LockTTL = opts.FetchTimeout + 5*time.Second
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	opts.Logger = telemetry.OrDiscard(opts.Logger)
	opts.TracerProvider = telemetry.OrNoopTracer(opts.TracerProvider)
	opts.MeterProvider = telemetry.OrNoopMeter(opts.MeterProvider)
	c := &Cache{
		opts:    opts,
		rdb:     opts.Redis,
		log:     opts.Logger,
		tracer:  opts.TracerProvider.Tracer("github.com/escalator/escalator/internal/token"),
		release: redis.NewScript(releaseScript),
		sources: make(map[Identity]*Source),
	}
	c.closing, c.close = context.WithCancel(context.Background())
	if err := c.registerMetrics(opts.MeterProvider.Meter("github.com/escalator/escalator/internal/token")); err != nil {
		return nil, fmt.Errorf("token cache: metrics: %w", err)
	}
	var err error
	if c.failReg, err = c.registerFailures(opts.MeterProvider.Meter("github.com/escalator/escalator/internal/token")); err != nil {
		return nil, fmt.Errorf("token cache: metrics: %w", err)
	}
	return c, nil
}

// registerMetrics reports acquisitions from atomic counters in a callback,
// so that counting a local hit costs one atomic add and no allocation.
func (c *Cache) registerMetrics(m metric.Meter) error {
	acq, err := m.Int64ObservableCounter("escalator.token.acquisitions",
		metric.WithDescription("Token acquisitions by how they were served (token.cache)."))
	if err != nil {
		return err
	}
	up, err := m.Int64ObservableGauge("escalator.token.redis.up",
		metric.WithDescription("1 while the token cache reaches Redis, 0 while it is degraded; absent without Redis."))
	if err != nil {
		return err
	}
	var sets [numOutcomes]metric.ObserveOption
	for o := range numOutcomes {
		sets[o] = metric.WithAttributeSet(attribute.NewSet(attribute.String("token.cache", o.String())))
	}
	c.reg, err = m.RegisterCallback(func(_ context.Context, obs metric.Observer) error {
		for o := range numOutcomes {
			obs.ObserveInt64(acq, c.counts[o].Load(), sets[o])
		}
		if c.rdb != nil {
			v := int64(1)
			if !c.Healthy() {
				v = 0
			}
			obs.ObserveInt64(up, v)
		}
		return nil
	}, acq, up)
	return err
}

// Source returns the token source of id, fetching with f. Sources are shared
// per identity: a second call with the same id returns the first Source (and
// its fetcher).
func (c *Cache) Source(f Fetcher, id Identity) *Source {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s, ok := c.sources[id]; ok {
		return s
	}
	key := id.RedisKey()
	s := &Source{c: c, f: f, id: id, key: key, lockKey: key + ":lock", aad: []byte(key)}
	c.sources[id] = s
	return s
}

// Close stops background refreshes and the Redis probe and waits for them.
// It does not close the Redis client, which the caller owns.
func (c *Cache) Close() error {
	c.closeOnce.Do(func() {
		c.bgMu.Lock()
		c.closed = true
		c.bgMu.Unlock()
		c.close()
		c.wg.Wait()
		if c.reg != nil {
			_ = c.reg.Unregister()
		}
		if c.failReg != nil {
			_ = c.failReg.Unregister()
		}
	})
	return nil
}

// Status is the cache's health, for /readyz: a degraded cache still serves
// tokens (fetching them directly), so readiness reports it, never fails on it.
type Status struct {
	// Backend is "redis" or "memory".
	Backend string `json:"backend"`
	// Degraded is true while Redis is unreachable.
	Degraded bool `json:"degraded"`
	// Reason is the Redis error that made it degraded.
	Reason string `json:"reason,omitempty"`
	// Since is when the current state began (zero when never degraded).
	Since time.Time `json:"since,omitzero"`
}

// Healthy reports whether the cache works as configured: true without Redis,
// and with Redis while Redis answers.
func (c *Cache) Healthy() bool { return c.rdb == nil || c.health.up() }

// Status reports the cache's backend and health.
func (c *Cache) Status() Status {
	if c.rdb == nil {
		return Status{Backend: "memory"}
	}
	down, reason, since := c.health.state()
	return Status{Backend: "redis", Degraded: down, Reason: reason, Since: since}
}
