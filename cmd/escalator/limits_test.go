package main

import (
	"io"
	"log/slog"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/escalator/escalator/internal/ratelimit"
	"github.com/escalator/escalator/internal/testkit/testserver"
)

// With Redis the budgets are the fleet's (Shared); without it Graph keeps
// the health client's per-process default and ServiceNow's budget is a
// Local one; an empty ESCALATOR_SERVICENOW_RATE is no limit.
func TestFleetLimits(t *testing.T) {
	srv := testserver.StartRedis(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	t.Cleanup(func() { _ = rdb.Close() })
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	tests := []struct {
		name      string
		rdb       redis.UniversalClient
		rate      string
		wantGraph string
		wantSnow  string
	}{
		{"redis, rate", rdb, "100/s", "*ratelimit.Shared", "*ratelimit.Shared"},
		{"redis, no rate", rdb, "", "*ratelimit.Shared", "none"},
		{"no redis, rate", nil, "600/min", "none", "*ratelimit.Local"},
		{"no redis, no rate", nil, "", "none", "none"},
	}
	kind := func(v any) string {
		switch v.(type) {
		case nil:
			return "none"
		case *ratelimit.Shared:
			return "*ratelimit.Shared"
		case *ratelimit.Local:
			return "*ratelimit.Local"
		}
		return "other"
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := newFleetLimits(tt.rdb, serviceNowConfig{Rate: tt.rate}, log)
			if err != nil {
				t.Fatal(err)
			}
			defer l.holds.Close()
			if g, s := kind(l.graph), kind(l.snow); g != tt.wantGraph || s != tt.wantSnow {
				t.Fatalf("graph %s, servicenow %s; want %s, %s", g, s, tt.wantGraph, tt.wantSnow)
			}
		})
	}
	if _, err := newFleetLimits(nil, serviceNowConfig{Rate: "fast"}, log); err == nil {
		t.Fatal("a bad ESCALATOR_SERVICENOW_RATE was accepted")
	}
}
