package ingest

import (
	"bytes"
	"strings"
	"testing"

	"github.com/escalator/escalator/internal/event"
)

// TestEveryModeRefusesTheSameData: data that a structured event is refused
// for is refused in a batch and in binary mode too, naming the same field,
// and nothing is stored.
func TestEveryModeRefusesTheSameData(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	data := string(mustJSON(t, newEvent("x")["data"]))
	tests := []struct {
		name, data, field string
	}{
		{"repeated member", strings.Replace(data, `"number":`, `"number":"INC1","number":`, 1), "body"},
		{"invalid UTF-8", strings.Replace(data, `david.miller`, "david\xff", 1), "body"},
		{"500 KB number", strings.Replace(data, `INC0010023`, strings.Repeat("9", 500_000), 1), "data.incident.number"},
		{"NUL in the user name", strings.Replace(data, `david.miller`, `david\u0000`, 1), "data.requested_by.user_name"},
		{"no data", "", "data"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			attrs := newEvent("strict-1")
			delete(attrs, "data")
			structured := string(mustJSON(t, attrs))
			if tt.data != "" {
				structured = strings.TrimSuffix(structured, "}") + `,"data":` + tt.data + `}`
			}
			posts := []struct {
				mode   string
				ct     string
				body   string
				header []string
			}{
				{"structured", contentStructured, structured, nil},
				{"batch", contentBatch, "[" + structured + "]", nil},
				{"binary", "application/json", tt.data, []string{
					"ce-specversion", "1.0", "ce-id", "strict-1", "ce-source", "https://contoso.service-now.com",
					"ce-type", event.TypeInsights, "ce-time", "2026-11-25T09:02:47Z",
				}},
			}
			for _, p := range posts {
				got := wantProblem(t, f.post(p.ct, tokenA, bytes.Clone([]byte(p.body)), p.header...), 400)
				if len(got.Errors) != 1 || got.Errors[0].Field != tt.field {
					t.Errorf("%s: errors %+v, want one on %s", p.mode, got.Errors, tt.field)
				}
			}
			if n := f.stored(); n != 0 {
				t.Fatalf("%d events stored", n)
			}
		})
	}
}
