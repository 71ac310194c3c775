// Package kvsnapshot holds a read-only copy of a JetStream key-value
// bucket, read once: every key's latest value, as of one moment.
//
// The replay dry run plans thousands of events against the buckets the
// handlers read (escalator_cases, escalator_accounts, escalator_insights).
// Asking NATS for a key per event makes planning a round trip per event;
// a snapshot loaded at the start of the run answers from memory, and every
// event is judged against the same, consistent state.
//
// A Snapshot offers the read methods of jetstream.KeyValue that the stores
// use, with the same results and errors (jetstream.ErrKeyNotFound for an
// absent or deleted key). Its write methods refuse with ErrReadOnly, a
// permanent error: a dry run never writes.
package kvsnapshot

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/escalator/escalator/internal/fault"
)

// ErrReadOnly is returned (wrapped, permanent) by every write to a
// Snapshot.
var ErrReadOnly = errors.New("read-only snapshot: a dry run writes nothing")

// Snapshot is the state of a bucket when Load read it. It is immutable and
// safe for concurrent use.
type Snapshot struct {
	bucket  string
	entries map[string]jetstream.KeyValueEntry
	keys    []string // sorted
}

// Load reads the latest value of every key of kv, skipping deleted and
// purged keys. It reads the bucket's stream once, with an ordered consumer
// delivering the last message per subject (kv.WatchAll), not a request per
// key. The snapshot is the bucket as of the consumer's creation: writes
// made while it loads are not in it.
func Load(ctx context.Context, kv jetstream.KeyValue) (*Snapshot, error) {
	if kv == nil {
		return nil, errors.New("snapshot: no bucket")
	}
	name := kv.Bucket()
	w, err := kv.WatchAll(ctx, jetstream.IgnoreDeletes())
	if err != nil {
		return nil, fmt.Errorf("snapshot of bucket %s: %w", name, err)
	}
	defer func() { _ = w.Stop() }()
	s := &Snapshot{bucket: name, entries: map[string]jetstream.KeyValueEntry{}}
	for {
		select {
		case e, ok := <-w.Updates():
			if !ok {
				return nil, fmt.Errorf("snapshot of bucket %s: the watch ended before the last key", name)
			}
			if e == nil { // every key's latest value was delivered
				s.keys = make([]string, 0, len(s.entries))
				for k := range s.entries {
					s.keys = append(s.keys, k)
				}
				slices.Sort(s.keys)
				return s, nil
			}
			s.entries[e.Key()] = e
		case <-ctx.Done():
			return nil, fmt.Errorf("snapshot of bucket %s: %w", name, ctx.Err())
		}
	}
}

// Bucket is the name of the bucket the snapshot was read from.
func (s *Snapshot) Bucket() string { return s.bucket }

// Len is the number of keys in the snapshot.
func (s *Snapshot) Len() int { return len(s.keys) }

// Get returns key's latest entry, or jetstream.ErrKeyNotFound when the
// bucket had no such key (or had deleted it) when the snapshot was read.
func (s *Snapshot) Get(ctx context.Context, key string) (jetstream.KeyValueEntry, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	e, ok := s.entries[key]
	if !ok {
		return nil, jetstream.ErrKeyNotFound
	}
	return e, nil
}

// Keys returns every key, sorted, or jetstream.ErrNoKeysFound when there
// is none (as KeyValue.Keys does). The options are ignored.
func (s *Snapshot) Keys(ctx context.Context, _ ...jetstream.WatchOpt) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if len(s.keys) == 0 {
		return nil, jetstream.ErrNoKeysFound
	}
	return slices.Clone(s.keys), nil
}

// ListKeys lists every key, sorted. The options are ignored.
func (s *Snapshot) ListKeys(ctx context.Context, _ ...jetstream.WatchOpt) (jetstream.KeyLister, error) {
	return s.ListKeysFiltered(ctx)
}

// ListKeysFiltered lists the keys that match any of filters (NATS subject
// patterns: * one token, > the rest), sorted; no filter lists them all.
func (s *Snapshot) ListKeysFiltered(ctx context.Context, filters ...string) (jetstream.KeyLister, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ch := make(chan string, len(s.keys))
	for _, k := range s.keys {
		if len(filters) == 0 || slices.ContainsFunc(filters, func(f string) bool { return matchKey(f, k) }) {
			ch <- k
		}
	}
	close(ch)
	return keyLister(ch), nil
}

// keyLister is a listing already complete: its channel is buffered and
// closed.
type keyLister chan string

func (l keyLister) Keys() <-chan string { return l }
func (l keyLister) Stop() error         { return nil }

// Create refuses: the snapshot is read-only.
func (s *Snapshot) Create(_ context.Context, key string, _ []byte, _ ...jetstream.KVCreateOpt) (uint64, error) {
	return 0, s.refuse("create", key)
}

// Update refuses: the snapshot is read-only.
func (s *Snapshot) Update(_ context.Context, key string, _ []byte, _ uint64) (uint64, error) {
	return 0, s.refuse("update", key)
}

// Put refuses: the snapshot is read-only.
func (s *Snapshot) Put(_ context.Context, key string, _ []byte) (uint64, error) {
	return 0, s.refuse("put", key)
}

// Delete refuses: the snapshot is read-only.
func (s *Snapshot) Delete(_ context.Context, key string, _ ...jetstream.KVDeleteOpt) error {
	return s.refuse("delete", key)
}

func (s *Snapshot) refuse(op, key string) error {
	return fmt.Errorf("%s %s in bucket %s: %w", op, key, s.bucket, fault.AsPermanent(ErrReadOnly))
}

// matchKey reports whether key matches the NATS subject pattern filter:
// "*" matches one token, a final ">" one or more.
func matchKey(filter, key string) bool {
	for {
		ft, frest, fmore := strings.Cut(filter, ".")
		kt, krest, kmore := strings.Cut(key, ".")
		switch {
		case ft == ">":
			return !fmore && kt != ""
		case ft != "*" && ft != kt:
			return false
		case !fmore || !kmore:
			return !fmore && !kmore
		}
		filter, key = frest, krest
	}
}
