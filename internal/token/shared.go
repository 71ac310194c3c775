package token

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"
)

// acquire gets a token into s.cur: from Redis when another process already
// fetched it, else by fetching under the fleet-wide lock, else (Redis down,
// or the lock holder too slow) by fetching directly.
func (s *Source) acquire(ctx context.Context, f *flight) (outcome, error) {
	c := s.c
	if c.rdb == nil {
		return fetched, s.fetchLocal(ctx)
	}
	if !c.health.up() {
		return fallback, s.fetchLocal(ctx)
	}
	cd, ok, err := s.load(ctx)
	if err != nil {
		return s.degrade(ctx, err)
	}
	if ok {
		s.publish(cd)
		if c.opts.Clock().Before(cd.tok.RefreshAt) {
			return redisHit, nil
		}
		// Due for refresh but still usable: let waiting callers have it.
		f.markReady()
	}

	owner := newOwner()
	deadline := time.Now().Add(c.opts.LockWait)
	delay := 5 * time.Millisecond
	for {
		won, err := c.rdb.SetNX(ctx, s.lockKey, owner, c.opts.LockTTL).Result()
		if err != nil {
			return s.degrade(ctx, err)
		}
		if won {
			return s.lead(ctx, owner)
		}
		// Another process is fetching: wait for its token rather than
		// fetching too (and retry the lock, in case that process died).
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return waited, ctx.Err()
		case <-t.C:
		}
		delay = min(2*delay, 200*time.Millisecond)
		cd, ok, err := s.load(ctx)
		if err != nil {
			return s.degrade(ctx, err)
		}
		if ok && c.opts.Clock().Before(cd.tok.RefreshAt) {
			s.publish(cd)
			return waited, nil
		}
		if time.Now().After(deadline) {
			break
		}
	}
	// The lock holder did not deliver within LockWait: fetch ourselves.
	return s.fetchShared(ctx)
}

// lead runs while holding the lock: check Redis once more (the previous
// holder may have just written), else fetch and share.
func (s *Source) lead(ctx context.Context, owner string) (outcome, error) {
	defer s.unlock(ctx, owner)
	cd, ok, err := s.load(ctx)
	if err != nil {
		return s.degrade(ctx, err)
	}
	if ok && s.c.opts.Clock().Before(cd.tok.RefreshAt) {
		s.publish(cd)
		return redisHit, nil
	}
	return s.fetchShared(ctx)
}

// fetchShared fetches a token, hands it to this process's callers and
// shares it in Redis.
func (s *Source) fetchShared(ctx context.Context) (outcome, error) {
	cd, err := s.fetch(ctx)
	if err != nil {
		return fetched, err
	}
	s.publish(cd)
	s.store(ctx, cd)
	return fetched, nil
}

// degrade handles a Redis error: unless the acquisition itself ran out of
// time, mark Redis down (logged once) and fetch directly.
func (s *Source) degrade(ctx context.Context, err error) (outcome, error) {
	if ctx.Err() != nil {
		return fallback, ctx.Err()
	}
	s.c.redisFailed(err)
	return fallback, s.fetchLocal(ctx)
}

// load reads the shared token. A value that does not decrypt (another key)
// or has expired is a miss, not an error; err is a Redis failure.
func (s *Source) load(ctx context.Context) (cached, bool, error) {
	c := s.c
	rctx, cancel := context.WithTimeout(ctx, c.opts.RedisTimeout)
	defer cancel()
	b, err := c.rdb.Get(rctx, s.key).Bytes()
	if errors.Is(err, redis.Nil) {
		return cached{}, false, nil
	}
	if err != nil {
		return cached{}, false, err
	}
	plain, err := c.opts.Keyring.open(b, s.aad)
	if err == nil {
		var cd cached
		if cd, err = decodeCached(plain); err == nil {
			if !c.opts.Clock().Before(cd.usable) {
				return cached{}, false, nil
			}
			return cd, true, nil
		}
	}
	if c.keyWarned.CompareAndSwap(false, true) {
		c.log.Warn("token cache: Redis holds a token this keyring cannot read; fetching instead (when rotating ESCALATOR_TOKEN_KEY, add the new key as an older key everywhere first)",
			"err", err, "current_key_id", c.opts.Keyring.CurrentID())
	}
	return cached{}, false, nil
}

// store shares cd, encrypted, until it stops being usable. A failure only
// costs other processes a fetch, so it marks Redis down but is not returned.
func (s *Source) store(ctx context.Context, cd cached) {
	c := s.c
	ttl := cd.usable.Sub(c.opts.Clock())
	if ttl < time.Millisecond {
		return
	}
	rctx, cancel := context.WithTimeout(ctx, c.opts.RedisTimeout)
	defer cancel()
	if err := c.rdb.Set(rctx, s.key, c.opts.Keyring.seal(cd.encode(), s.aad), ttl).Err(); err != nil && ctx.Err() == nil {
		c.redisFailed(err)
	}
}

// unlock releases the lock if this process still owns it (compare and
// delete in Lua, so an expired lock taken over by another is left alone).
func (s *Source) unlock(ctx context.Context, owner string) {
	c := s.c
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.opts.RedisTimeout)
	defer cancel()
	// An error leaves the lock to expire after LockTTL.
	_ = c.release.Run(rctx, c.rdb, []string{s.lockKey}, owner).Err()
}

func newOwner() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
