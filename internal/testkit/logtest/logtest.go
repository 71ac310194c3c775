// Package logtest captures what a logger writes in a test: a buffer many
// goroutines may write, and its JSON lines decoded strictly.
package logtest

import (
	"bytes"
	"encoding/json"
	"strings"
	"sync"
	"testing"
)

// Buffer is a log destination safe for concurrent writers. The zero value
// is ready.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

// String is everything written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// JSONLines decodes every line written so far as a JSON object, failing the
// test on a line that is not one and reporting a key written twice in one
// line (json.Unmarshal would keep the last silently).
func (b *Buffer) JSONLines(t testing.TB) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		for k := range rec {
			if n := strings.Count(l, `"`+k+`":`); n != 1 {
				t.Errorf("key %s %d times in %s", k, n, l)
			}
		}
		out = append(out, rec)
	}
	return out
}
