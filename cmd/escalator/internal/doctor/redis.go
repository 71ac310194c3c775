package doctor

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	tracenoop "go.opentelemetry.io/otel/trace/noop"

	"github.com/escalator/escalator/internal/redact"
	"github.com/escalator/escalator/internal/token"
)

// probeLifetime is the lifetime of the doctor's test token: its Redis key
// expires on its own within it even if the delete is lost.
const probeLifetime = time.Minute

// maxScan bounds how many cached tokens the key check looks at.
const maxScan = 1000

const fixRedisReach = "check ESCALATOR_REDIS_URL and that Redis runs and is reachable from this host (rediss:// for TLS; user and password in the URL if Redis needs them)"

// Redis checks the shared token cache: Redis answers, a value written
// through the token cache is stored encrypted and reads back, and the tokens
// already cached were written under this ESCALATOR_TOKEN_KEY.
type Redis struct {
	// Client is nil when ESCALATOR_REDIS_URL is unset (in-process cache).
	Client redis.UniversalClient
	// Keyring is built from ESCALATOR_TOKEN_KEY.
	Keyring *token.Keyring
	// URL is named in details, redacted (redact.URL).
	URL string
}

// Check returns the Redis check.
func (r *Redis) Check(needs ...string) Check {
	return Check{Name: NameRedis, Needs: needs, Run: r.run}
}

var errNoFetch = errors.New("doctor: the read-back must come from Redis, not from a fetch")

func (r *Redis) run(ctx context.Context) Result {
	if r.Client == nil {
		return Warned("set ESCALATOR_REDIS_URL (and ESCALATOR_TOKEN_KEY) so that the replicas share one token per lifetime",
			"in-process token cache: every replica fetches its own tokens")
	}
	if err := r.Client.Ping(ctx).Err(); err != nil {
		return Failed(fixRedisReach, "Redis at %s: PING failed: %s", redact.URL(r.URL), brief(err))
	}
	plain := "escalator-doctor-" + randomHex(16)
	id := token.Identity{Authority: "escalator-doctor", Tenant: randomHex(8), ClientID: "escalator-doctor", Resource: "round-trip"}
	key := id.RedisKey()
	defer func() {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		_ = r.Client.Del(dctx, key, key+":lock").Err()
	}()

	// Write through one cache, read back through another: the second has
	// no copy in memory and may not fetch, so its token can only come
	// from Redis, decrypted.
	writer, err := r.cache()
	if err != nil {
		return Failed("this is a bug in escalator doctor; please report it", "token cache: %s", brief(err))
	}
	defer writer.Close()
	src := writer.Source(token.FetcherFunc(func(context.Context) (token.Grant, error) {
		return token.Grant{AccessToken: plain, ExpiresIn: probeLifetime}, nil
	}), id)
	if _, err := src.AccessToken(ctx); err != nil {
		return Failed(fixRedisReach, "write a test token through the cache: %s", brief(err))
	}
	if st := writer.Status(); st.Degraded {
		return Failed(fixRedisReach+"; a read-only replica or an ACL without SET also fails here", "the token cache could not use Redis at %s: %s", redact.URL(r.URL), oneLine(redact.Text(st.Reason)))
	}
	stored, err := r.Client.Get(ctx, key).Bytes()
	if errors.Is(err, redis.Nil) {
		return Failed("check that the Redis user may SET and GET (ACL) and that Redis is not a read-only replica",
			"the test token was not stored in Redis at %s", redact.URL(r.URL))
	}
	if err != nil {
		return Failed(fixRedisReach, "read the stored test token: %s", brief(err))
	}
	if bytes.Contains(stored, []byte(plain)) {
		return Failed("this is a bug in escalator: tokens must be stored encrypted; please report it",
			"Redis holds the test token in plaintext")
	}
	reader, err := r.cache()
	if err != nil {
		return Failed("this is a bug in escalator doctor; please report it", "token cache: %s", brief(err))
	}
	defer reader.Close()
	got, err := reader.Source(token.FetcherFunc(func(context.Context) (token.Grant, error) {
		return token.Grant{}, errNoFetch
	}), id).AccessToken(ctx)
	if err != nil || got != plain {
		return Failed("check that every replica and doctor use the same Redis (ESCALATOR_REDIS_URL), and that it keeps what it is given (maxmemory policy)",
			"the test token did not read back from Redis at %s", redact.URL(r.URL))
	}
	_ = r.Client.Del(ctx, key, key+":lock").Err()

	foreign, n, err := r.foreignKeys(ctx, key[:strings.LastIndex(key, ":")+1])
	if err != nil {
		return Warned("check that the Redis user may SCAN and GETRANGE", "round trip encrypted (key id %s), but the cached tokens could not be listed: %s", r.Keyring.CurrentID(), brief(err))
	}
	if len(foreign) > 0 {
		return Warned("give every replica the same ESCALATOR_TOKEN_KEY: tokens written under another key cannot be shared and are fetched again (while rotating a key this clears once the old tokens expire)",
			"Redis holds cached tokens encrypted under key id %s, but this ESCALATOR_TOKEN_KEY is key id %s",
			strings.Join(foreign, ", "), r.Keyring.CurrentID())
	}
	return Passed("Redis at %s: encrypted round trip under key id %s; %d cached tokens, all under this key", redact.URL(r.URL), r.Keyring.CurrentID(), n)
}

func (r *Redis) cache() (*token.Cache, error) {
	return token.NewCache(token.CacheOptions{
		Redis: r.Client, Keyring: r.Keyring,
		TracerProvider: tracenoop.NewTracerProvider(), MeterProvider: metricnoop.NewMeterProvider(),
	})
}

// foreignKeys lists the key ids, other than the keyring's current one, that
// cached tokens under prefix were encrypted with, and counts the tokens.
// Each value starts with its key's id in clear (see token.Keyring).
func (r *Redis) foreignKeys(ctx context.Context, prefix string) ([]string, int, error) {
	current := r.Keyring.CurrentID()
	idLen := len(current)
	var foreign []string
	n := 0
	scan := func(ctx context.Context, c redis.Cmdable) error {
		it := c.Scan(ctx, 0, prefix+"*", 100).Iterator()
		for it.Next(ctx) && n < maxScan {
			k := it.Val()
			if strings.HasSuffix(k, ":lock") {
				continue
			}
			v, err := c.GetRange(ctx, k, 0, int64(idLen-1)).Result()
			if err != nil || v == "" {
				continue // expired meanwhile
			}
			n++
			if v != current && !slices.Contains(foreign, v) {
				foreign = append(foreign, v)
			}
		}
		return it.Err()
	}
	var err error
	if cc, ok := r.Client.(*redis.ClusterClient); ok {
		var mu sync.Mutex // ForEachMaster runs fn concurrently
		err = cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error {
			mu.Lock()
			defer mu.Unlock()
			return scan(ctx, c)
		})
	} else {
		err = scan(ctx, r.Client)
	}
	return foreign, n, err
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
