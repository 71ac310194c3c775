package replay

import (
	"strings"
	"testing"
	"time"

	"github.com/escalator/escalator/internal/event"
)

func TestParseTime(t *testing.T) {
	now := time.Date(2025, 6, 10, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in      string
		want    time.Time
		wantErr bool
	}{
		{"2025-06-01T08:30:00Z", time.Date(2025, 6, 1, 8, 30, 0, 0, time.UTC), false},
		{"2025-06-01T10:30:00+02:00", time.Date(2025, 6, 1, 8, 30, 0, 0, time.UTC), false},
		{"2h", now.Add(-2 * time.Hour), false},
		{"90m", now.Add(-90 * time.Minute), false},
		{"3d", now.Add(-72 * time.Hour), false},
		{" 1h ", now.Add(-time.Hour), false},
		{"-2h", time.Time{}, true},
		{"yesterday", time.Time{}, true},
		{"2025-06-01", time.Time{}, true},
		{"", time.Time{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseTime(tt.in, now)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseTime(%q) error = %v, want error %t", tt.in, err, tt.wantErr)
			}
			if !got.Equal(tt.want) {
				t.Errorf("ParseTime(%q) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseType(t *testing.T) {
	tests := []struct {
		in, want string
		wantErr  bool
	}{
		{"insights", event.TypeInsights, false},
		{"Escalation", event.TypeEscalation, false},
		{"escalate", event.TypeEscalation, false},
		{"update", event.TypeUpdated, false},
		{event.TypeUpdated, event.TypeUpdated, false},
		{event.TypeTickHealth, "", true}, // ticks are never replayed
		{"tick", "", true},
		{"com.example.other", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseType(tt.in)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("ParseType(%q) = %q, %v; want %q, error %t", tt.in, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestSourceValidate(t *testing.T) {
	t0 := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		src     Source
		wantErr string
	}{
		{"stream all", Source{Kind: SourceStream}, ""},
		{"stream window", Source{Kind: SourceStream, Since: t0, Until: t0.Add(time.Hour)}, ""},
		{"stream seqs", Source{Kind: SourceStream, FromSeq: 5, ToSeq: 9}, ""},
		{"dlq", Source{Kind: SourceDLQ}, ""},
		{"file", Source{Kind: SourceFile, File: "events.ndjson"}, ""},
		{"file without path", Source{Kind: SourceFile}, "needs a path"},
		{"file with window", Source{Kind: SourceFile, File: "x", FromSeq: 3}, "not of a file"},
		{"until before since", Source{Kind: SourceStream, Since: t0, Until: t0.Add(-time.Hour)}, "before --since"},
		{"to below from", Source{Kind: SourceStream, FromSeq: 9, ToSeq: 5}, "below --from-seq"},
		{"since and from", Source{Kind: SourceStream, FromSeq: 9, Since: t0}, "not both"},
		{"unknown", Source{Kind: "kafka"}, "unknown source"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.src.Validate()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Validate = %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestRunIDs(t *testing.T) {
	id := NewRunID(time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC))
	if err := ValidRunID(id); err != nil {
		t.Fatalf("NewRunID %q: %v", id, err)
	}
	if !strings.HasPrefix(id, "20250601T120000Z-") {
		t.Errorf("NewRunID = %q", id)
	}
	for _, bad := range []string{"", "a.b", "a b", "a*", strings.Repeat("x", 65)} {
		if ValidRunID(bad) == nil {
			t.Errorf("ValidRunID(%q) accepted", bad)
		}
	}
	if got := MsgID("r1", "ev-1", 7); got != "replay-r1-ev-1" {
		t.Errorf("MsgID = %q", got)
	}
	if got := MsgID("r1", "", 7); got != "replay-r1-7" {
		t.Errorf("MsgID without id = %q", got)
	}
}
