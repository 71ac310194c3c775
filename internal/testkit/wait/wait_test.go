package wait

import (
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

func TestForReturnsOnceTheConditionHolds(t *testing.T) {
	var n atomic.Int32
	go func() {
		for range 3 {
			n.Add(1)
		}
	}()
	For(t, 10*time.Second, "three increments", func() bool { return n.Load() == 3 })
}

// recorder is a testing.TB that records Fatalf instead of stopping.
type recorder struct {
	testing.TB
	failed string
}

func (r *recorder) Helper() {}

func (r *recorder) Fatalf(format string, args ...any) {
	r.failed = format
	panic(r)
}

// In a bubble the deadline is a minute of fake time, passed at once.
func TestForFailsAfterTheDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := &recorder{TB: t}
		start := time.Now()
		func() {
			defer func() {
				if p := recover(); p != nil && p != r {
					panic(p)
				}
			}()
			For(r, time.Minute, "never", func() bool { return false })
		}()
		if r.failed == "" {
			t.Fatal("For returned without failing")
		}
		if d := time.Since(start); d < time.Minute || d > time.Minute+Every {
			t.Fatalf("For failed after %s, want its deadline of 1m", d)
		}
	})
}
