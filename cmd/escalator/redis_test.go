package main

import (
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
)

func TestNewRedis(t *testing.T) {
	tests := []struct {
		url     string
		want    string
		wantErr bool
	}{
		{url: "redis://127.0.0.1:6379/0", want: "*redis.Client"},
		{url: "rediss://user:pass@cache.example.com:6380", want: "*redis.Client"},
		{url: "unix:///run/redis.sock", want: "*redis.Client"},
		{url: "redis://10.0.0.1:7000?addr=10.0.0.2:7000&addr=10.0.0.3:7000", want: "*redis.ClusterClient"},
		{url: "redis://10.0.0.1:26379?master_name=mymaster&addr=10.0.0.2:26379", want: "sentinel"},
		{url: "http://127.0.0.1:6379", wantErr: true},
		{url: "redis://%zz", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			c, err := newRedis(tt.url)
			if tt.wantErr {
				if err == nil || !strings.HasPrefix(err.Error(), "ESCALATOR_REDIS_URL") {
					t.Fatalf("want an error naming ESCALATOR_REDIS_URL, got %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if got := typeName(c); got != tt.want {
				t.Fatalf("client %s, want %s", got, tt.want)
			}
		})
	}
}

func typeName(c redis.UniversalClient) string {
	switch c := c.(type) {
	case *redis.ClusterClient:
		return "*redis.ClusterClient"
	case *redis.Client:
		if c.Options().Addr == "FailoverClient" {
			return "sentinel"
		}
		return "*redis.Client"
	}
	return "other"
}
