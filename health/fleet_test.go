package health

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/escalator/escalator/internal/ratelimit"
	"github.com/escalator/escalator/internal/testkit/sim"
	"github.com/escalator/escalator/internal/testkit/testserver"
)

// Two replicas' health clients, each with its own Redis connection and
// shared limiter, poll Graph as fast as they are let: the simulator never
// sees more than the budgets allow together (Graph's 240/min and 800/h
// scaled down to 12/s and 20/4s, so the test takes 2.5s).
func TestFleetSharesGraphBudget(t *testing.T) {
	s := sim.New(sim.Config{})
	var (
		mu      sync.Mutex
		arrived []time.Time
	)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/v1.0/") {
			mu.Lock()
			arrived = append(arrived, time.Now())
			mu.Unlock()
		}
		s.Handler().ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	token := simGraphToken(t, ts.URL)
	srv := testserver.StartRedis(t)
	budgets := []ratelimit.Budget{{N: 12, Per: time.Second}, {N: 20, Per: 4 * time.Second}}

	ctx, cancel := context.WithTimeout(context.Background(), 2500*time.Millisecond)
	defer cancel()
	var wg sync.WaitGroup
	for range 2 {
		rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
		t.Cleanup(func() { _ = rdb.Close() })
		lim, err := ratelimit.NewShared(ratelimit.SharedConfig{Redis: rdb, Name: "graph-fleet-test", Budgets: budgets})
		if err != nil {
			t.Fatal(err)
		}
		c, err := NewClient(ClientConfig{GraphURL: ts.URL, Tokens: staticToken(token), Limiter: lim})
		if err != nil {
			t.Fatal(err)
		}
		for range 2 {
			wg.Go(func() {
				for ctx.Err() == nil {
					_, _ = c.Issue(ctx, sim.ExchangeIncidentID)
				}
			})
		}
	}
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	if len(arrived) < 4 {
		t.Fatalf("%d calls reached Graph: the replicas did not poll", len(arrived))
	}
	for _, b := range budgets {
		j := 0
		for i := range arrived {
			for j < len(arrived) && arrived[j].Sub(arrived[i]) < b.Per {
				j++
			}
			if n := j - i; n > b.N {
				t.Fatalf("%d calls reached Graph in the %s from %s, budget %v", n, b.Per, arrived[i].Format(time.StampMilli), b)
			}
		}
	}
}

func simGraphToken(t *testing.T, base string) string {
	t.Helper()
	tok, err := sim.FetchToken(base, sim.GraphResource)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}
