// Package ratelimit holds the limits a fleet of Escalator replicas shares
// with one another when they call Microsoft and ServiceNow.
//
// Those services limit an app or a user, not a request: a 429 with
// Retry-After to one request means every request of the app gets one until
// the delay has passed, and Graph's 240 requests a minute are the app's, not
// one process's. Two things follow, both here:
//
//   - Holds: a per-service not-before time. A 429 or 503 with Retry-After
//     sets it; every call to that service in this process fails fast with a
//     transient *HeldError carrying the remaining delay until it has passed,
//     and with Redis every replica learns it at once (a Lua script keeps the
//     later time at escalator:hold:<service> and publishes it). The hot path
//     reads a local copy: one atomic load, no Redis round trip.
//   - Limiters: request budgets (Budget, "240/min"). Local keeps them per
//     process with token buckets; Shared keeps them for the fleet in Redis
//     with GCRA (github.com/go-redis/redis_rate) and falls back to a Local
//     one, logging once, while Redis does not answer.
//
// internal/outbound consults a Hold and a limiter before every attempt; the
// worker turns a *HeldError into a NakWithDelay of the remaining hold.
package ratelimit
