// Package wait is the one way tests wait for something that happens in
// another goroutine or process: poll a condition until it holds or a
// deadline passes, never a bare time.Sleep (STYLE.md).
//
// For code whose only wait is on timers and channels, prefer a
// testing/synctest bubble and synctest.Wait; For is for the tests that
// need real I/O (NATS, Redis, HTTP), which a bubble cannot hold.
package wait

import (
	"testing"
	"time"
)

// Every is how often For checks its condition.
const Every = 5 * time.Millisecond

// For polls cond every few milliseconds until it holds, and fails t with
// what when it still does not hold after within.
func For(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", within, what)
		}
		time.Sleep(Every)
	}
}
