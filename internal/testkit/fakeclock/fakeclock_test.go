package fakeclock

import (
	"testing"
	"time"
)

func TestClockFiresOnlyWhenAdvanced(t *testing.T) {
	start := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	c := New(start)
	short, long := c.After(time.Second), c.After(time.Minute)
	if got := c.Pending(); len(got) != 2 || got[0] != time.Second || got[1] != time.Minute {
		t.Fatalf("pending %v", got)
	}
	c.Advance(999 * time.Millisecond)
	select {
	case <-short:
		t.Fatal("fired before it was due")
	default:
	}
	c.Advance(time.Millisecond)
	if at := <-short; !at.Equal(start.Add(time.Second)) {
		t.Fatalf("fired at %v", at)
	}
	if got := c.Pending(); len(got) != 1 || got[0] != time.Minute-time.Second {
		t.Fatalf("pending after one fired: %v", got)
	}
	select {
	case <-long:
		t.Fatal("long timer fired early")
	default:
	}
	if at := <-c.After(0); !at.Equal(c.Now()) {
		t.Fatal("After(0) does not fire at once")
	}
}
