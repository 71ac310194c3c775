package replay

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/escalator/escalator/internal/event"
)

// SourceKind names where a replay reads its events.
type SourceKind string

// Sources.
const (
	// SourceStream is a window of the stream ESCALATOR.
	SourceStream SourceKind = "stream"
	// SourceDLQ is the dead-letter stream ESCALATOR_DLQ.
	SourceDLQ SourceKind = "dlq"
	// SourceFile is an NDJSON (or JSON array) file of CloudEvents.
	SourceFile SourceKind = "file"
)

// Source says what to read. Since/Until and FromSeq/ToSeq bound the window
// of a stream source (ESCALATOR or the DLQ); zero values leave that side
// open. A stream window always ends at the stream's last message when the
// run first started, so a real run never reads its own republished events.
type Source struct {
	Kind    SourceKind `json:"kind"`
	Since   time.Time  `json:"since,omitzero"`
	Until   time.Time  `json:"until,omitzero"`
	FromSeq uint64     `json:"from_seq,omitempty"`
	ToSeq   uint64     `json:"to_seq,omitempty"`
	// File is the path of a file source.
	File string `json:"file,omitempty"`
}

// Validate reports a source that cannot be read.
func (s Source) Validate() error {
	switch s.Kind {
	case SourceStream, SourceDLQ:
		if s.File != "" {
			return fmt.Errorf("replay: a file cannot be read from the %s source", s.Kind)
		}
	case SourceFile:
		if s.File == "" {
			return errors.New("replay: the file source needs a path")
		}
		if !s.Since.IsZero() || !s.Until.IsZero() || s.FromSeq != 0 || s.ToSeq != 0 {
			return errors.New("replay: --since, --until, --from-seq and --to-seq select a window of a stream, not of a file")
		}
	default:
		return fmt.Errorf("replay: unknown source %q", s.Kind)
	}
	if !s.Since.IsZero() && !s.Until.IsZero() && s.Until.Before(s.Since) {
		return fmt.Errorf("replay: --until %s is before --since %s", s.Until.Format(time.RFC3339), s.Since.Format(time.RFC3339))
	}
	if s.ToSeq != 0 && s.ToSeq < s.FromSeq {
		return fmt.Errorf("replay: --to-seq %d is below --from-seq %d", s.ToSeq, s.FromSeq)
	}
	if s.FromSeq != 0 && !s.Since.IsZero() {
		return errors.New("replay: use --since or --from-seq, not both")
	}
	return nil
}

// Filter selects events of the source; the zero Filter selects all.
type Filter struct {
	// Types are CloudEvents types (ParseType turns the short names into
	// them); empty means every type.
	Types []string `json:"types,omitempty"`
	// Incident is an incident number (INC0010023) or sys_id.
	Incident string `json:"incident,omitempty"`
}

// match reports whether an event of type typ about incident (number, sysID)
// passes the filter.
func (f Filter) match(typ, number, sysID string) bool {
	if len(f.Types) > 0 {
		ok := false
		for _, t := range f.Types {
			ok = ok || t == typ
		}
		if !ok {
			return false
		}
	}
	if f.Incident != "" {
		return strings.EqualFold(f.Incident, number) || strings.EqualFold(f.Incident, sysID)
	}
	return true
}

// ParseType turns a --type value into a CloudEvents type: the short names
// insights, escalation (escalate) and update (updated), or a full type.
// Internal tick types are refused: a replayed tick would run a past interval.
func ParseType(s string) (string, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "insights":
		return event.TypeInsights, nil
	case "escalation", "escalate":
		return event.TypeEscalation, nil
	case "update", "updated":
		return event.TypeUpdated, nil
	}
	if _, ok := event.Subject(s); ok && !event.Internal(s) {
		return s, nil
	}
	return "", fmt.Errorf("unknown event type %q: use insights, escalation, update or a full CloudEvents type", s)
}

// ParseTime reads a --since or --until value: an RFC 3339 time, or a
// duration before now such as 90m, 2h or 3d.
func ParseTime(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		if n, err := strconv.Atoi(days); err == nil && n >= 0 {
			return now.Add(-time.Duration(n) * 24 * time.Hour), nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return time.Time{}, fmt.Errorf("%q is neither an RFC 3339 time (2025-06-01T12:00:00Z) nor a duration (2h, 3d)", s)
	}
	return now.Add(-d), nil
}

// ValidRunID reports a run id that cannot key the progress record or sit
// inside a Nats-Msg-Id: 1 to 64 letters, digits, - or _.
func ValidRunID(id string) error {
	ok := len(id) >= 1 && len(id) <= 64
	for _, r := range id {
		ok = ok && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_')
	}
	if !ok {
		return fmt.Errorf("replay: run id %q: use 1 to 64 letters, digits, - or _", id)
	}
	return nil
}

// NewRunID returns a fresh run id: the UTC start time and 6 random hex
// digits, e.g. 20250601T120000Z-3fa9c1.
func NewRunID(now time.Time) string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return now.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}

// MsgID is the Nats-Msg-Id of the republish of the event with id eventID (or,
// for an event without an id, at position pos) by run runID.
func MsgID(runID, eventID string, pos uint64) string {
	if eventID == "" {
		eventID = strconv.FormatUint(pos, 10)
	}
	return "replay-" + runID + "-" + eventID
}
