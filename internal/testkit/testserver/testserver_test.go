package testserver

import (
	"context"
	"testing"

	"github.com/nats-io/nats.go/jetstream"
)

func TestNATSAndRestart(t *testing.T) {
	srv := NATS(t)
	_, js := Connect(t, srv)
	ctx := context.Background()
	kv, err := js.CreateKeyValue(ctx, jetstreamKV("restart"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.PutString(ctx, "k", "v"); err != nil {
		t.Fatal(err)
	}
	srv = RestartNATS(t, srv)
	_, js = Connect(t, srv)
	kv, err = js.KeyValue(ctx, "restart")
	if err != nil {
		t.Fatal(err)
	}
	e, err := kv.Get(ctx, "k")
	if err != nil || string(e.Value()) != "v" {
		t.Fatalf("data lost across restart: %v", err)
	}
}

func TestRedisStopStart(t *testing.T) {
	r := StartRedis(t)
	if err := ping(r.Addr); err != nil {
		t.Fatal(err)
	}
	r.Stop()
	if err := ping(r.Addr); err == nil {
		t.Fatal("redis still answers after Stop")
	}
	r.Start(t)
	if err := ping(r.Addr); err != nil {
		t.Fatalf("after restart: %v", err)
	}
}

func jetstreamKV(bucket string) jetstream.KeyValueConfig {
	return jetstream.KeyValueConfig{Bucket: bucket}
}
