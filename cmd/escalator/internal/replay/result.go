package replay

import (
	"maps"
	"time"
)

// Actions the engine itself reports; a Planner adds its own (open, already,
// post, unchanged, ...).
const (
	// ActionInvalid: the event does not decode or validate, or its handler
	// refuses it for good; the worker would dead-letter it. A failure.
	ActionInvalid = "invalid"
	// ActionRefused: the requester lacks the role (dry run); the role gate
	// would ack it with a work note.
	ActionRefused = "refused"
	// ActionUnplanned: no Planner for the event's type (dry run).
	ActionUnplanned = "unplanned"
	// ActionError: the plan or the republish failed. A failure.
	ActionError = "error"
	// ActionPublished: republished (real run).
	ActionPublished = "published"
	// ActionDuplicate: JetStream already held this run's republish of the
	// event (a resumed run repeating its last steps).
	ActionDuplicate = "duplicate"
)

// HeaderReplay carries the run id on every republished message.
const HeaderReplay = "Escalator-Replay"

// Result is what happened (or, in a dry run, would happen) to one event.
type Result struct {
	// Seq is the event's position in its source: the stream or DLQ
	// sequence, or the event's number in a file (from 1).
	Seq      uint64 `json:"seq"`
	ID       string `json:"id,omitempty"`
	Type     string `json:"type,omitempty"`
	Incident string `json:"incident,omitempty"`
	Action   string `json:"action"`
	// Detail says it in words: the plan's summary, the missing role.
	Detail string `json:"detail,omitempty"`
	// Error is set for every failure (Failed).
	Error string `json:"error,omitempty"`
	// Repeat (dry run): an earlier event of this replay concerns the same
	// incident and type, so the real run decides this one after it.
	Repeat bool `json:"repeat,omitempty"`
	// PublishedSeq is the republished message's sequence in ESCALATOR.
	PublishedSeq uint64 `json:"published_seq,omitempty"`
	// Deleted: the dead letter was removed after its republish was acked.
	Deleted bool `json:"deleted,omitempty"`
}

// Failed reports whether the event failed (exit status 1).
func (r Result) Failed() bool { return r.Error != "" }

// Summary is the outcome of a run. For a resumed run, the counts include
// what the earlier attempts did.
type Summary struct {
	RunID   string `json:"run_id"`
	Source  Source `json:"source"`
	Filter  Filter `json:"filter"`
	DryRun  bool   `json:"dry_run"`
	Resumed bool   `json:"resumed,omitempty"`
	// Read counts the messages read from the source, Filtered those the
	// filters (or their being internal ticks) left out, Processed the rest.
	Read      int `json:"read"`
	Filtered  int `json:"filtered"`
	Processed int `json:"processed"`
	Failed    int `json:"failed"`
	// Actions counts the results by action.
	Actions map[string]int `json:"actions"`
	// Position is the last position done; Complete says the whole window
	// is done.
	Position uint64 `json:"position"`
	Complete bool   `json:"complete"`
	// Elapsed and PerSecond measure this attempt (Read / Elapsed).
	Elapsed   time.Duration `json:"elapsed_ns"`
	PerSecond float64       `json:"events_per_second"`
}

func (s *Summary) add(r Result) {
	s.Processed++
	if s.Actions == nil {
		s.Actions = map[string]int{}
	}
	s.Actions[r.Action]++
	if r.Failed() {
		s.Failed++
	}
}

func (s Summary) clone() Summary {
	s.Actions = maps.Clone(s.Actions)
	return s
}

// Reporter watches a run: the cmd package draws a progress bar or writes
// JSON lines from it. Calls come from one goroutine, in source order.
type Reporter interface {
	// Window gives the number of messages the run expects to read (an
	// estimate, before filtering); it may be called again as it firms up.
	Window(total int)
	// Skipped is called for each message the filters leave out.
	Skipped(seq uint64)
	// Result is called for each selected event.
	Result(r Result)
}

type nopReporter struct{}

func (nopReporter) Window(int)     {}
func (nopReporter) Skipped(uint64) {}
func (nopReporter) Result(Result)  {}
