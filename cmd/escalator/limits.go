package main

import (
	"errors"
	"fmt"
	"log/slog"

	"github.com/redis/go-redis/v9"

	"github.com/escalator/escalator/health"
	"github.com/escalator/escalator/internal/outbound"
	"github.com/escalator/escalator/internal/ratelimit"
)

// fleetLimits are the limits every replica shares (README: "Limits the
// fleet shares"): a hold per service after a Retry-After, Graph's budget
// and the optional ServiceNow one. With Redis they are the fleet's; without
// it, this process's.
type fleetLimits struct {
	holds *ratelimit.Holds
	// graph is nil without Redis: the health client keeps its own
	// per-process limiter at Graph's limits.
	graph health.RequestLimiter
	// snow is nil without ESCALATOR_SERVICENOW_RATE: unlimited.
	snow outbound.Limiter
}

// newFleetLimits builds the limits on rdb (nil: per process). Close their
// holds when done.
func newFleetLimits(rdb redis.UniversalClient, snow serviceNowConfig, log *slog.Logger) (*fleetLimits, error) {
	holds, err := ratelimit.NewHolds(ratelimit.HoldsConfig{Redis: rdb, Logger: log})
	if err != nil {
		return nil, fmt.Errorf("service holds: %w", err)
	}
	l := &fleetLimits{holds: holds}
	snowBudget, snowLimited, err := snow.budget()
	if err == nil && rdb != nil {
		var graph []ratelimit.Budget
		if graph, err = health.GraphBudgets(0, 0); err == nil {
			var shared *ratelimit.Shared
			if shared, err = ratelimit.NewShared(ratelimit.SharedConfig{Redis: rdb, Name: ratelimit.Graph, Budgets: graph, Logger: log}); err == nil {
				l.graph = shared
			}
		}
	}
	if err == nil && snowLimited {
		l.snow, err = budgetLimiter(rdb, ratelimit.ServiceNow, snowBudget, log)
	}
	if err != nil {
		return nil, errors.Join(err, holds.Close())
	}
	return l, nil
}

// budgetLimiter keeps budget for the fleet on rdb, or per process without it.
func budgetLimiter(rdb redis.UniversalClient, name string, budget ratelimit.Budget, log *slog.Logger) (outbound.Limiter, error) {
	if rdb == nil {
		l, err := ratelimit.NewLocal(name, budget)
		if err != nil {
			return nil, err
		}
		return l, nil
	}
	l, err := ratelimit.NewShared(ratelimit.SharedConfig{Redis: rdb, Name: name, Budgets: []ratelimit.Budget{budget}, Logger: log})
	if err != nil {
		return nil, err
	}
	return l, nil
}
