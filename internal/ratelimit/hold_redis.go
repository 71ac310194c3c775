package ratelimit

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis names of the shared holds: a key per service holding its
// not-before time in unix milliseconds (expiring then), and a channel
// that announces every extension as "<service> <unix-ms>".
const (
	holdKeyPrefix = "escalator:hold:"
	holdChannel   = "escalator:holds"
)

// extendScript keeps the later of the stored and the given not-before time
// and announces a change; it returns the time in force. PXAT needs Redis
// 6.2.
var extendScript = redis.NewScript(`
local cur = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
local v = tonumber(ARGV[1])
if v > cur then
  redis.call('SET', KEYS[1], ARGV[1], 'PXAT', ARGV[1])
  redis.call('PUBLISH', ARGV[2], ARGV[3] .. ' ' .. ARGV[1])
  return v
end
return cur
`)

// share writes until (unix ns) for h's service to Redis and adopts a later time if
// Redis has one. Milliseconds round up: a replica never calls early.
func (hs *Holds) share(ctx context.Context, h *Hold, until int64) {
	ms := (until + int64(time.Millisecond) - 1) / int64(time.Millisecond)
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), hs.cfg.Timeout)
	defer cancel()
	cur, err := extendScript.Run(ctx, hs.cfg.Redis, []string{holdKeyPrefix + h.service},
		ms, holdChannel, h.service).Int64()
	if err != nil {
		hs.out.failed(err)
		return
	}
	hs.out.answered()
	hs.adopt(h, cur)
}

// adopt raises h to the shared time ms (capped at MaxHold from now).
func (hs *Holds) adopt(h *Hold, ms int64) {
	now := time.Now()
	until := min(ms*int64(time.Millisecond), now.Add(hs.cfg.MaxHold).UnixNano())
	if until > now.UnixNano() {
		h.raise(until)
	}
}

// follow keeps the local copies up to date until ctx ends: each announced
// extension at once, and every hold re-read each Refresh (and at start).
func (hs *Holds) follow(ctx context.Context) {
	defer close(hs.done)
	sub := hs.cfg.Redis.Subscribe(ctx, holdChannel)
	defer sub.Close()
	msgs := sub.Channel()
	tick := time.NewTicker(hs.cfg.Refresh)
	defer tick.Stop()
	hs.resync(ctx)
	for {
		select {
		case <-ctx.Done():
			return
		case m, ok := <-msgs:
			if !ok {
				return
			}
			hs.announced(m.Payload)
		case <-tick.C:
			hs.resync(ctx)
		}
	}
}

// announced applies one "<service> <unix-ms>" announcement.
func (hs *Holds) announced(payload string) {
	service, v, ok := strings.Cut(payload, " ")
	if !ok {
		return
	}
	ms, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return
	}
	if h := hs.lookup(service); h != nil {
		hs.adopt(h, ms)
	}
}

// resync reads the shared hold of every service in use, in one pipeline
// (a GET per key, so a cluster may spread them over its slots).
func (hs *Holds) resync(ctx context.Context) {
	hs.mu.Lock()
	holds := make([]*Hold, 0, len(hs.holds))
	for _, h := range hs.holds {
		holds = append(holds, h)
	}
	hs.mu.Unlock()
	if len(holds) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, hs.cfg.Timeout)
	defer cancel()
	pipe := hs.cfg.Redis.Pipeline()
	cmds := make([]*redis.StringCmd, len(holds))
	for i, h := range holds {
		cmds[i] = pipe.Get(ctx, holdKeyPrefix+h.service)
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		if ctx.Err() == nil || errors.Is(ctx.Err(), context.DeadlineExceeded) {
			hs.out.failed(err)
		}
		return
	}
	hs.out.answered()
	for i, h := range holds {
		if ms, err := cmds[i].Int64(); err == nil {
			hs.adopt(h, ms)
		}
	}
}
