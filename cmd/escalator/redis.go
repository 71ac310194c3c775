package main

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/escalator/escalator/internal/redact"
)

// newRedis opens the Redis that ESCALATOR_REDIS_URL names, choosing the
// client by the URL's shape with go-redis's own parsers: a master_name
// means Sentinel (ParseFailoverURL), several addr parameters a cluster
// (ParseClusterURL), anything else one server (ParseURL). It makes no
// network call.
func newRedis(raw string) (redis.UniversalClient, error) {
	open, err := parseRedisURL(raw)
	if err != nil {
		return nil, err
	}
	return open(), nil
}

// parseRedisURL parses raw and returns what opens the client, so that
// validation can parse without building one.
func parseRedisURL(raw string) (func() redis.UniversalClient, error) {
	if !strings.Contains(raw, "://") {
		return nil, configError("ESCALATOR_REDIS_URL", fmt.Sprintf("is %q, which has no scheme", redact.URL(raw)), redisURLFix)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, redisURLError(raw, err)
	}
	q := u.Query()
	switch {
	case q.Get("master_name") != "":
		opts, err := redis.ParseFailoverURL(raw)
		if err != nil {
			return nil, redisURLError(raw, err)
		}
		return func() redis.UniversalClient { return redis.NewFailoverClient(opts) }, nil
	case len(q["addr"]) > 0:
		opts, err := redis.ParseClusterURL(raw)
		if err != nil {
			return nil, redisURLError(raw, err)
		}
		return func() redis.UniversalClient { return redis.NewClusterClient(opts) }, nil
	default:
		opts, err := redis.ParseURL(raw)
		if err != nil {
			return nil, redisURLError(raw, err)
		}
		return func() redis.UniversalClient { return redis.NewClient(opts) }, nil
	}
}

const redisURLFix = "use redis://[user:pass@]host:6379/0, rediss:// for TLS, unix:///path, redis://host:port?addr=host2:port2 for a cluster, or redis://host:26379?master_name=mymaster&addr=host2:26379 for Sentinel"

// redisURLError names the variable, the URL (redacted) and the parser's
// complaint. A *url.Error quotes the whole URL, password and all, so only
// the error inside it is kept; any credential still in the text is masked.
func redisURLError(raw string, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	cause := redact.Secrets(err.Error(), redact.URLSecrets(raw)...)
	return configError("ESCALATOR_REDIS_URL", fmt.Sprintf("is %q, which cannot be parsed (%s)", redact.URL(raw), cause), redisURLFix)
}
