// Package token gets OAuth 2.0 access tokens (client credentials) from
// Microsoft Entra ID (v1 and v2 endpoints) and ServiceNow, and shares them
// across a fleet of workers through an encrypted Redis cache.
//
// Layers, fastest first:
//
//  1. a per-process copy of each token, read with one atomic load: the hot
//     path (AccessToken on a fresh token) makes no Redis round trip and no
//     allocation;
//  2. Redis, holding each token AES-256-GCM encrypted under a Keyring, so
//     that one fetch serves every replica;
//  3. the token endpoint, called by one replica per token lifetime: the
//     replica that wins a Redis lock (SET NX PX, released by a Lua
//     compare-and-delete) fetches, the others wait for its token.
//
// Tokens are refreshed before they expire (when less than max(5 minutes,
// 10% of the lifetime) remains, or at the endpoint's refresh_in) by one
// goroutine per process while callers keep the current token. When Redis is
// unreachable the cache fetches directly, logs that once, reports itself
// degraded through Status, and returns to Redis when it answers again.
//
// Clients never import this package: they declare
//
//	type TokenSource interface{ AccessToken(ctx context.Context) (string, error) }
//
// and receive a *Source.
package token
