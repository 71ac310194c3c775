package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestSummarizePercentiles(t *testing.T) {
	d := make([]time.Duration, 0, 1000)
	for i := 1000; i >= 1; i-- { // 1ms..1000ms, reversed: summarize sorts
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	got := summarize(d)
	want := Latency{Count: 1000, Mean: 500.5, P50: 500, P90: 900, P99: 990, P999: 999, Max: 1000}
	if got != want {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
	if one := summarize([]time.Duration{3 * time.Millisecond}); one.P50 != 3 || one.P99 != 3 || one.Max != 3 {
		t.Fatalf("one sample: %+v", one)
	}
	if empty := summarize(nil); empty != (Latency{}) {
		t.Fatalf("no samples: %+v", empty)
	}
}

func TestTrackerCountsOnceAndIgnoresForeignIDs(t *testing.T) {
	tr := newTracker("load-x-", 3, true)
	tr.markSent(0, 3)
	tr.acked(0, 3)
	for _, id := range []string{"load-x-0", "load-x-1", "load-x-1", "load-y-2", "load-x-3", "load-x-", "other"} {
		tr.see(id)
	}
	select {
	case <-tr.done:
		t.Fatal("done before every event was seen")
	default:
	}
	tr.see("load-x-2")
	select {
	case <-tr.done:
	default:
		t.Fatal("not done after every event was seen")
	}
	if tr.unique.Load() != 3 || tr.dups.Load() != 1 || tr.foreign.Load() != 4 || tr.nSent.Load() != 3 {
		t.Fatalf("unique %d dups %d foreign %d sent %d", tr.unique.Load(), tr.dups.Load(), tr.foreign.Load(), tr.nSent.Load())
	}
	if tr.span() <= 0 || tr.sendSpan() < 0 {
		t.Fatalf("span %s send span %s", tr.span(), tr.sendSpan())
	}
}

func TestVmHWM(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, status string
		want         uint64
		ok           bool
	}{
		{"present", "Name:\tx\nVmPeak:\t  9 kB\nVmHWM:\t   2048 kB\nVmRSS:\t 1 kB\n", 2048 * 1024, true},
		{"missing", "Name:\tx\n", 0, false},
		{"odd unit", "VmHWM:\t 3 MB\n", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(dir, tt.name)
			if err := os.WriteFile(p, []byte(tt.status), 0o600); err != nil {
				t.Fatal(err)
			}
			got, ok := vmHWM(p)
			if got != tt.want || ok != tt.ok {
				t.Fatalf("got %d %v, want %d %v", got, ok, tt.want, tt.ok)
			}
		})
	}
	if b, src := peakRSS(); b == 0 || src == "" {
		t.Fatalf("peakRSS %d %q", b, src)
	}
}
