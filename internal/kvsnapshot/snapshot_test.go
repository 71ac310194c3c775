package kvsnapshot_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/escalator/escalator/internal/fault"
	"github.com/escalator/escalator/internal/kvsnapshot"
	"github.com/escalator/escalator/internal/testkit/testserver"
)

func ctxT(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// bucket is a fresh bucket keeping history, on its own server.
func bucket(t *testing.T) jetstream.KeyValue {
	t.Helper()
	_, js := testserver.Connect(t, testserver.NATS(t))
	kv, err := js.CreateKeyValue(ctxT(t), jetstream.KeyValueConfig{Bucket: "snap", History: 5})
	if err != nil {
		t.Fatal(err)
	}
	return kv
}

// oneKey is a fresh bucket holding k = "v" at revision 1, and its snapshot.
func oneKey(t *testing.T) (jetstream.KeyValue, *kvsnapshot.Snapshot) {
	t.Helper()
	ctx := ctxT(t)
	kv := bucket(t)
	if _, err := kv.Put(ctx, "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	s, err := kvsnapshot.Load(ctx, kv)
	if err != nil {
		t.Fatal(err)
	}
	return kv, s
}

// keys drains a listing: keys(t)(kv.ListKeys(ctx)).
func keys(t *testing.T) func(jetstream.KeyLister, error) []string {
	t.Helper()
	return func(l jetstream.KeyLister, err error) []string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for k := range l.Keys() {
			out = append(out, k)
		}
		return out
	}
}

// TestLoadEqualsBucket: every live key with its latest value and revision;
// deleted and purged keys absent.
func TestLoadEqualsBucket(t *testing.T) {
	ctx := ctxT(t)
	kv := bucket(t)
	for i := range 300 {
		if _, err := kv.Put(ctx, fmt.Sprintf("k%03d", i), []byte("v1")); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 300; i += 3 {
		if _, err := kv.Put(ctx, fmt.Sprintf("k%03d", i), []byte(fmt.Sprintf("v2-%d", i))); err != nil {
			t.Fatal(err)
		}
	}
	for _, k := range []string{"k001", "k004"} {
		if err := kv.Delete(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
	if err := kv.Purge(ctx, "k007"); err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Put(ctx, "audit.1", []byte("a")); err != nil {
		t.Fatal(err)
	}

	s, err := kvsnapshot.Load(ctx, kv)
	if err != nil {
		t.Fatal(err)
	}
	want := keys(t)(kv.ListKeys(ctx))
	slices.Sort(want)
	if got := keys(t)(s.ListKeys(ctx)); !slices.Equal(got, want) {
		t.Fatalf("snapshot keys = %d keys, bucket has %d", len(got), len(want))
	}
	if s.Len() != 298 || s.Bucket() != "snap" {
		t.Errorf("Len = %d, Bucket = %q; want 298, snap", s.Len(), s.Bucket())
	}
	for _, k := range want {
		b, err := kv.Get(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		e, err := s.Get(ctx, k)
		if err != nil {
			t.Fatalf("snapshot Get %s: %v", k, err)
		}
		if string(e.Value()) != string(b.Value()) || e.Revision() != b.Revision() || e.Key() != k {
			t.Errorf("%s: snapshot %q rev %d, bucket %q rev %d", k, e.Value(), e.Revision(), b.Value(), b.Revision())
		}
	}
	for _, k := range []string{"k001", "k004", "k007", "never"} {
		if _, err := s.Get(ctx, k); !errors.Is(err, jetstream.ErrKeyNotFound) {
			t.Errorf("Get %s = %v, want ErrKeyNotFound", k, err)
		}
	}
	if got := keys(t)(s.ListKeysFiltered(ctx, "audit.>")); !slices.Equal(got, []string{"audit.1"}) {
		t.Errorf("ListKeysFiltered(audit.>) = %v", got)
	}
	all, err := s.Keys(ctx)
	if err != nil || !slices.Equal(all, want) {
		t.Errorf("Keys = %d keys, %v", len(all), err)
	}

	// The snapshot is the state when it was loaded.
	if _, err := kv.Put(ctx, "k000", []byte("v3")); err != nil {
		t.Fatal(err)
	}
	if e, err := s.Get(ctx, "k000"); err != nil || string(e.Value()) != "v2-0" {
		t.Errorf("after a later write, snapshot k000 = %v, %v; want v2-0", e, err)
	}
}

func TestLoadEmptyBucket(t *testing.T) {
	ctx := ctxT(t)
	s, err := kvsnapshot.Load(ctx, bucket(t))
	if err != nil {
		t.Fatal(err)
	}
	if s.Len() != 0 {
		t.Errorf("Len = %d", s.Len())
	}
	if _, err := s.Keys(ctx); !errors.Is(err, jetstream.ErrNoKeysFound) {
		t.Errorf("Keys of an empty snapshot = %v, want ErrNoKeysFound", err)
	}
	if got := keys(t)(s.ListKeys(ctx)); len(got) != 0 {
		t.Errorf("ListKeys = %v", got)
	}
}

func TestLoadErrors(t *testing.T) {
	if _, err := kvsnapshot.Load(context.Background(), nil); err == nil {
		t.Error("Load(nil) succeeded")
	}
	kv := bucket(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := kvsnapshot.Load(ctx, kv); err == nil {
		t.Error("Load with a canceled context succeeded")
	}
}

func TestWritesRefused(t *testing.T) {
	ctx := ctxT(t)
	kv, s := oneKey(t)
	writes := map[string]func() error{
		"create": func() error { _, err := s.Create(ctx, "new", []byte("x")); return err },
		"update": func() error { _, err := s.Update(ctx, "k", []byte("x"), 1); return err },
		"put":    func() error { _, err := s.Put(ctx, "k", []byte("x")); return err },
		"delete": func() error { return s.Delete(ctx, "k") },
	}
	for name, write := range writes {
		t.Run(name, func(t *testing.T) {
			err := write()
			if !errors.Is(err, kvsnapshot.ErrReadOnly) || fault.Classify(err) != fault.Permanent {
				t.Errorf("%s = %v (%v), want a permanent ErrReadOnly", name, err, fault.Classify(err))
			}
		})
	}
	if e, err := kv.Get(ctx, "k"); err != nil || string(e.Value()) != "v" || e.Revision() != 1 {
		t.Errorf("bucket after refused writes: %v, %v", e, err)
	}
	if _, err := kv.Get(ctx, "new"); !errors.Is(err, jetstream.ErrKeyNotFound) {
		t.Errorf("refused create reached the bucket: %v", err)
	}
}

func TestGetCanceled(t *testing.T) {
	ctx := ctxT(t)
	_, s := oneKey(t)
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.Get(canceled, "k"); !errors.Is(err, context.Canceled) {
		t.Errorf("Get with a canceled context = %v", err)
	}
}
