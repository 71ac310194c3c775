package token

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

func TestKeyRotationInRedis(t *testing.T) {
	r := startRedis(t)
	rdb := newRedisClient(t, r)
	f := newFakeEndpoint(t)
	clock := newFakeClock()
	k1, k2 := GenerateKey(), GenerateKey()
	ring := func(keys ...[]byte) *Keyring {
		k, err := NewKeyring(keys[0], keys[1:]...)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	source := func(k *Keyring) *Source {
		c := newTestCache(t, CacheOptions{Redis: rdb, Keyring: k, Clock: clock.Now})
		e := f.entra(t, "v1")
		return c.Source(e, e.Identity())
	}
	old := mustToken(t, source(ring(k1)))

	tests := []struct {
		name      string
		ring      *Keyring
		wantSame  bool
		wantCalls int64
	}{
		{"value under an old key is read", ring(k2, k1), true, 1},
		{"a wrong key is a miss, not a crash", ring(k2), false, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := mustToken(t, source(tt.ring))
			if (got == old) != tt.wantSame || f.calls.Load() != tt.wantCalls {
				t.Fatalf("same token %v (want %v), calls %d (want %d)", got == old, tt.wantSame, f.calls.Load(), tt.wantCalls)
			}
		})
	}
}

// TestLoserWaitsForWinner: while another replica holds the lock, a replica
// waits for the token it writes instead of fetching (token.cache=waited),
// and fetches itself once LockWait has passed.
func TestLoserWaitsForWinner(t *testing.T) {
	r := startRedis(t)
	rdb := newRedisClient(t, r)
	f := newFakeEndpoint(t)
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	fl := newFleet(t, rdb, f, 2, func(o *CacheOptions) {
		o.TracerProvider = tp
		o.LockWait = 300 * time.Millisecond
	})
	ctx := context.Background()
	winner, loser := fl.sources[0], fl.sources[1]

	// The winner has the lock and is fetching.
	if err := rdb.Set(ctx, loser.lockKey, "another-replica", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	tried := make(chan struct{}, 1)
	rdb.AddHook(onCommand(func(cmd redis.Cmder) {
		if cmd.Name() == "set" && len(cmd.Args()) > 1 && cmd.Args()[1] == loser.lockKey {
			select {
			case tried <- struct{}{}:
			default:
			}
		}
	}))
	done := tokenLater(loser)
	<-tried // the loser found the lock taken
	// The winner's token lands in Redis.
	cd := shareToken(t, winner)
	if got := <-done; got != cd.tok.AccessToken {
		t.Logf("got %.40q", got)
		t.Fatal("the loser did not take the winner's token")
	}
	if n := f.calls.Load(); n != 1 {
		t.Fatalf("%d fetches, want only the winner's", n)
	}
	if got := lastOutcome(t, rec); got != "waited" {
		t.Fatalf("token.cache = %q, want waited", got)
	}

	// The lock holder never delivers: after LockWait the loser fetches.
	fl.clock.Advance(time.Hour)
	if got := mustToken(t, loser); got == cd.tok.AccessToken {
		t.Fatal("expired token served")
	}
	if n := f.calls.Load(); n != 2 {
		t.Fatalf("%d fetches, want 2", n)
	}
	if got := lastOutcome(t, rec); got != "fetched" {
		t.Fatalf("token.cache = %q, want fetched", got)
	}
}

// TestLeaderChecksRedisAgain: a replica that wins the lock just after the
// previous holder released it takes that holder's token, not a new one.
func TestLeaderChecksRedisAgain(t *testing.T) {
	r := startRedis(t)
	f := newFakeEndpoint(t)
	fl := newFleet(t, newRedisClient(t, r), f, 2, nil)
	ctx := context.Background()
	shareToken(t, fl.sources[0])
	o, err := fl.sources[1].lead(ctx, "owner")
	if err != nil || o != redisHit || f.calls.Load() != 1 {
		t.Fatalf("lead = %v, %v after %d fetches; want redis_hit, no new fetch", o, err, f.calls.Load())
	}
}

// TestTelemetry: spans name how each acquisition was served, local hits are
// counted in the metric, and no span (ours or redisotel's) carries the
// token, the secret or a Redis statement.
func TestTelemetry(t *testing.T) {
	r := startRedis(t)
	rdb := newRedisClient(t, r)
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	if err := InstrumentRedis(rdb, tp, mp); err != nil {
		t.Fatal(err)
	}
	f := newFakeEndpoint(t)
	fl := newFleet(t, rdb, f, 2, func(o *CacheOptions) { o.TracerProvider, o.MeterProvider = tp, mp })

	mustToken(t, fl.sources[0])
	if got := lastOutcome(t, rec); got != "fetched" {
		t.Fatalf("first acquisition: %q", got)
	}
	mustToken(t, fl.sources[1])
	if got := lastOutcome(t, rec); got != "redis_hit" {
		t.Fatalf("second replica: %q", got)
	}
	spans := len(rec.Ended())
	for range 10 {
		mustToken(t, fl.sources[1])
	}
	if len(rec.Ended()) != spans {
		t.Fatal("local hits made spans")
	}
	if got := metricValue(t, reader, "local_hit"); got != 10 {
		t.Fatalf("local_hit counter = %d, want 10", got)
	}

	forbidden := append(f.tokens(), testSecret)
	for _, s := range rec.Ended() {
		for _, kv := range s.Attributes() {
			if kv.Key == "db.statement" || kv.Key == "db.query.text" {
				t.Errorf("span %s exports a Redis statement", s.Name())
			}
			for _, x := range forbidden {
				if strings.Contains(kv.Value.Emit(), x) {
					t.Errorf("span %s attribute %s leaks a secret", s.Name(), kv.Key)
				}
			}
		}
	}
}

// lastOutcome is token.cache of the last token.acquire span.
func lastOutcome(t *testing.T, rec *tracetest.SpanRecorder) string {
	t.Helper()
	spans := rec.Ended()
	for i := len(spans) - 1; i >= 0; i-- {
		if spans[i].Name() != "token.acquire" {
			continue
		}
		for _, kv := range spans[i].Attributes() {
			if kv.Key == "token.cache" {
				return kv.Value.AsString()
			}
		}
	}
	t.Fatal("no token.acquire span")
	return ""
}

func metricValue(t *testing.T, reader *sdkmetric.ManualReader, outcome string) int64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	var total int64
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name != "escalator.token.acquisitions" {
				continue
			}
			for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
				if v, _ := dp.Attributes.Value(attribute.Key("token.cache")); v.AsString() == outcome {
					total += dp.Value
				}
			}
		}
	}
	return total
}

// onCommand is a go-redis hook calling fn after each command.
type onCommand func(redis.Cmder)

func (onCommand) DialHook(next redis.DialHook) redis.DialHook { return next }
func (fn onCommand) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := next(ctx, cmd)
		fn(cmd)
		return err
	}
}
func (onCommand) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return next
}

// TestStaleSharedTokenServedWhileRefreshing: a process that starts while
// Redis holds a token due for refresh serves it at once while the refresh
// runs; a caller arriving after that token expired waits for the refresh
// instead of failing.
func TestStaleSharedTokenServedWhileRefreshing(t *testing.T) {
	r := startRedis(t)
	rdb := newRedisClient(t, r)
	f := newFakeEndpoint(t)
	fl := newFleet(t, rdb, f, 2, nil)
	ctx := context.Background()
	other, s := fl.sources[0], fl.sources[1]

	old := shareToken(t, other) // issued now: refresh at 54m, usable until 59m30s
	fl.clock.Advance(55 * time.Minute)
	// Another replica is refreshing (holds the lock) and has not finished.
	if err := rdb.Set(ctx, s.lockKey, "another-replica", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	if got := mustToken(t, s); got != old.tok.AccessToken {
		t.Fatal("the shared token due for refresh was not served")
	}
	if idle(s) {
		t.Fatal("no refresh running")
	}
	fl.clock.Advance(5 * time.Minute) // the old token is now past its skew
	done := tokenLater(s)

	fresh := shareToken(t, other) // the other replica's refresh lands
	if got := <-done; got != fresh.tok.AccessToken {
		t.Logf("got %.80q", got)
		t.Fatal("the waiting caller did not get the refreshed token")
	}
	if n := f.calls.Load(); n != 2 {
		t.Fatalf("%d fetches, want 2 (both by the other replica)", n)
	}
}
