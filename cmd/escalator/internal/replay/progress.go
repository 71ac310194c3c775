package replay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Record is the progress of a real run, kept in the bucket escalator_replay
// under its run id. Every position up to Position is done.
type Record struct {
	RunID  string  `json:"run_id"`
	Source Source  `json:"source"`
	Filter Filter  `json:"filter"`
	Rate   float64 `json:"rate,omitempty"`
	// End is the window's last sequence, fixed when the run first started
	// (0 for a file): a resumed run reads the same window and never its
	// own republished events.
	End      uint64         `json:"end,omitempty"`
	Position uint64         `json:"position"`
	Read     int            `json:"read"`
	Filtered int            `json:"filtered"`
	Failed   int            `json:"failed"`
	Actions  map[string]int `json:"actions,omitempty"`
	Complete bool           `json:"complete"`
	Started  time.Time      `json:"started"`
	Updated  time.Time      `json:"updated"`
}

// ErrNoRun is returned by LoadRecord for a run id with no record.
var ErrNoRun = errors.New("no such replay run")

// LoadRecord reads the progress record of runID.
func LoadRecord(ctx context.Context, kv jetstream.KeyValue, runID string) (Record, error) {
	if err := ValidRunID(runID); err != nil {
		return Record{}, err
	}
	entry, err := kv.Get(ctx, runID)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return Record{}, fmt.Errorf("replay run %s: %w", runID, ErrNoRun)
	}
	if err != nil {
		return Record{}, fmt.Errorf("read replay run %s: %w", runID, err)
	}
	var rec Record
	if err := json.Unmarshal(entry.Value(), &rec); err != nil {
		return Record{}, fmt.Errorf("replay run %s: corrupt record: %w", runID, err)
	}
	return rec, nil
}

func saveRecord(ctx context.Context, kv jetstream.KeyValue, rec Record) error {
	b, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("encode replay run %s: %w", rec.RunID, err)
	}
	if _, err := kv.Put(ctx, rec.RunID, b); err != nil {
		return fmt.Errorf("save progress of replay run %s: %w", rec.RunID, err)
	}
	return nil
}
