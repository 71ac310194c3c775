package outbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/escalator/escalator/internal/streams"
)

// record is what escalator_outbox holds for a row (key: its sys_id): the
// stream sequence of its event, and once the worker reported it, the
// fields of the outcome exactly as written on the row.
type record struct {
	Seq    uint64            `json:"seq"`
	Fields map[string]string `json:"fields,omitempty"`
}

// final reports whether the record holds an outcome.
func (r record) final() bool { return isFinal(r.Fields["u_state"]) }

func isFinal(state string) bool {
	return state == StateDone || state == StateRefused || state == StateFailed
}

// records reads and writes the bucket.
type records struct{ kv jetstream.KeyValue }

func (s records) get(ctx context.Context, id string) (record, bool, error) {
	e, err := s.kv.Get(ctx, id)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return record{}, false, nil
	}
	if err != nil {
		return record{}, false, fmt.Errorf("read %s record %s: %w", streams.BucketOutbox, id, err)
	}
	var r record
	if err := json.Unmarshal(e.Value(), &r); err != nil {
		// Unreadable: as if absent. The duplicate window still guards a
		// republish within it.
		return record{}, false, nil
	}
	return r, true, nil
}

// create stores r unless the key exists: the outcome a reporter stored
// first is never replaced by a bare sequence.
func (s records) create(ctx context.Context, id string, r record) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	if _, err := s.kv.Create(ctx, id, b); err != nil && !errors.Is(err, jetstream.ErrKeyExists) {
		return fmt.Errorf("store %s record %s: %w", streams.BucketOutbox, id, err)
	}
	return nil
}

// put stores r whatever was there: the latest outcome wins.
func (s records) put(ctx context.Context, id string, r record) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	if _, err := s.kv.Put(ctx, id, b); err != nil {
		return fmt.Errorf("store %s record %s: %w", streams.BucketOutbox, id, err)
	}
	return nil
}

func (s records) delete(ctx context.Context, id string) error {
	if err := s.kv.Delete(ctx, id); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		return fmt.Errorf("delete %s record %s: %w", streams.BucketOutbox, id, err)
	}
	return nil
}
