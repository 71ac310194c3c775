package health

import (
	"context"
	"fmt"
	"time"

	"github.com/escalator/escalator/internal/ratelimit"
)

// RequestLimiter is what the Client waits on before every request:
// ratelimit.Local for one process, ratelimit.Shared for a fleet sharing
// Redis (GraphBudgets gives both their budgets).
type RequestLimiter interface {
	Wait(ctx context.Context) error
}

// Graph's documented limits for service communications, per app per tenant.
const (
	GraphPerMinute = 240
	GraphPerHour   = 800
)

// LimiterConfig configures NewLimiter.
type LimiterConfig struct {
	PerMinute int // default GraphPerMinute
	PerHour   int // default GraphPerHour
}

// GraphBudgets are Graph's two limits as budgets, the minute first (see
// ratelimit.Shared on the order); zero means Graph's documented limit.
func GraphBudgets(perMinute, perHour int) ([]ratelimit.Budget, error) {
	if perMinute == 0 {
		perMinute = GraphPerMinute
	}
	if perHour == 0 {
		perHour = GraphPerHour
	}
	if perMinute < 0 || perHour < 0 {
		return nil, fmt.Errorf("health limiter: negative limit (%d/min, %d/h)", perMinute, perHour)
	}
	return []ratelimit.Budget{{N: perMinute, Per: time.Minute}, {N: perHour, Per: time.Hour}}, nil
}

// NewLimiter returns a per-process limiter at cfg's limits: a token bucket
// each for the minute and the hour, neither of which any sliding minute or
// hour overdraws. Its waits are on the time package (tests: a
// testing/synctest bubble).
func NewLimiter(cfg LimiterConfig) (*ratelimit.Local, error) {
	budgets, err := GraphBudgets(cfg.PerMinute, cfg.PerHour)
	if err != nil {
		return nil, err
	}
	return ratelimit.NewLocal("graph", budgets...)
}
