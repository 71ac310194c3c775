package jsonlog

import (
	"bytes"
	"log/slog"
	"testing"
)

func TestLinesDecodesWhatSlogWrote(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	log.Info("first", "n", 1)
	log.Warn("second", "who", "abel.tuter")
	got := Lines(t, buf.String())
	if len(got) != 2 || got[0]["msg"] != "first" || got[0]["n"] != float64(1) || got[1]["who"] != "abel.tuter" {
		t.Fatalf("lines = %v", got)
	}
}

// recorder is a testing.TB that records Errorf instead of failing.
type recorder struct {
	testing.TB
	errors int
}

func (r *recorder) Helper()                   {}
func (r *recorder) Errorf(string, ...any)     { r.errors++ }
func (r *recorder) Fatalf(f string, a ...any) { r.TB.Fatalf(f, a...) }

func TestLinesReportsAKeyWrittenTwice(t *testing.T) {
	r := &recorder{TB: t}
	got := Lines(r, `{"msg":"x","k":1,"k":2}`)
	if r.errors != 1 || len(got) != 1 {
		t.Fatalf("errors = %d, lines = %v; want 1 error and the line kept", r.errors, got)
	}
}
