package main

import (
	"fmt"
	"net/url"

	"github.com/redis/go-redis/v9"
)

// newRedis opens the Redis that ESCALATOR_REDIS_URL names, choosing the
// client by the URL's shape with go-redis's own parsers: a master_name
// means Sentinel (ParseFailoverURL), several addr parameters a cluster
// (ParseClusterURL), anything else one server (ParseURL).
func newRedis(raw string) (redis.UniversalClient, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, redisURLError(err)
	}
	q := u.Query()
	switch {
	case q.Get("master_name") != "":
		opts, err := redis.ParseFailoverURL(raw)
		if err != nil {
			return nil, redisURLError(err)
		}
		return redis.NewFailoverClient(opts), nil
	case len(q["addr"]) > 0:
		opts, err := redis.ParseClusterURL(raw)
		if err != nil {
			return nil, redisURLError(err)
		}
		return redis.NewClusterClient(opts), nil
	default:
		opts, err := redis.ParseURL(raw)
		if err != nil {
			return nil, redisURLError(err)
		}
		return redis.NewClient(opts), nil
	}
}

func redisURLError(err error) error {
	return configError("ESCALATOR_REDIS_URL", fmt.Sprintf("cannot be parsed (%v)", err),
		"use redis://[user:pass@]host:6379/0, rediss:// for TLS, unix:///path, redis://host:port?addr=host2:port2 for a cluster, or redis://host:26379?master_name=mymaster&addr=host2:26379 for Sentinel")
}
