// Package jsonlog reads back, in tests, what a JSON slog handler wrote:
// one object a line, with each key once (json.Unmarshal keeps the last of
// a repeated key silently, so a line that repeats one would pass unseen).
package jsonlog

import (
	"encoding/json"
	"strings"
	"testing"
)

// Lines decodes every line of text. A line that is not a JSON object
// fails t at once; a key written twice in one line is reported with
// t.Errorf and the line is kept.
func Lines(t testing.TB, text string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		for k := range rec {
			if n := strings.Count(line, `"`+k+`":`); n != 1 {
				t.Errorf("key %s written %d times: %s", k, n, line)
			}
		}
		out = append(out, rec)
	}
	return out
}
