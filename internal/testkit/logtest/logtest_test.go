package logtest

import (
	"log/slog"
	"sync"
	"testing"
)

func TestBufferJSONLines(t *testing.T) {
	var b Buffer
	log := slog.New(slog.NewJSONHandler(&b, nil))
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() { log.Info("hello", "k", "v") })
	}
	wg.Wait()
	lines := b.JSONLines(t)
	if len(lines) != 8 {
		t.Fatalf("%d lines, want 8: %s", len(lines), b.String())
	}
	for _, l := range lines {
		if l["msg"] != "hello" || l["k"] != "v" {
			t.Errorf("line %v", l)
		}
	}
}

// TestJSONLinesReportsRepeatedKeys: a key written twice in a line is an
// error even though the decoder would accept it.
func TestJSONLinesReportsRepeatedKeys(t *testing.T) {
	var b Buffer
	_, _ = b.Write([]byte(`{"msg":"a","k":1,"k":2}` + "\n"))
	ft := &recorder{TB: t}
	b.JSONLines(ft)
	if !ft.failed {
		t.Error("a repeated key was not reported")
	}
}

type recorder struct {
	testing.TB
	failed bool
}

func (r *recorder) Helper()               {}
func (r *recorder) Errorf(string, ...any) { r.failed = true }
