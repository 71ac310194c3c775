package main

import (
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// tracker follows every event of one phase by its index: when it was handed
// to ingest or JetStream, how often a consumer saw it, and the latency of
// the first sighting. Send times and sightings cross goroutines through the
// network, which the race detector cannot see, so they are atomics.
type tracker struct {
	base   time.Time // every time below is monotonic, since base
	prefix string    // event ids are prefix + index
	total  int

	sent    []atomic.Int64 // ns since base + 1; 0 = not sent yet
	seen    []atomic.Uint32
	latency []time.Duration // first sighting minus send; nil: not measured

	nSent    atomic.Int64
	unique   atomic.Int64
	dups     atomic.Int64
	foreign  atomic.Int64 // ids that are not this run's
	firstNS  atomic.Int64 // first send, ns since base + 1
	lastSeen atomic.Int64 // last first-sighting, ns since base
	lastAck  atomic.Int64 // last acknowledgement, ns since base
	done     chan struct{}
}

func newTracker(prefix string, total int, withLatency bool) *tracker {
	t := &tracker{
		base:   time.Now(),
		prefix: prefix,
		total:  total,
		sent:   make([]atomic.Int64, total),
		seen:   make([]atomic.Uint32, total),
		done:   make(chan struct{}),
	}
	if withLatency {
		t.latency = make([]time.Duration, total)
	}
	return t
}

func (t *tracker) now() int64 { return int64(time.Since(t.base)) }

// markSent records events [from, to) as handed over now.
func (t *tracker) markSent(from, to int) {
	now := t.now() + 1
	t.firstNS.CompareAndSwap(0, now)
	for i := from; i < to; i++ {
		t.sent[i].Store(now)
	}
}

// acked counts events [from, to) as acknowledged by ingest or JetStream.
func (t *tracker) acked(from, to int) {
	t.nSent.Add(int64(to - from))
	storeMax(&t.lastAck, t.now())
}

// storeMax raises v to x unless it is already higher.
func storeMax(v *atomic.Int64, x int64) {
	for {
		old := v.Load()
		if x <= old || v.CompareAndSwap(old, x) {
			return
		}
	}
}

// see records one sighting of the event with id.
func (t *tracker) see(id string) {
	now := t.now()
	i, ok := t.index(id)
	if !ok {
		t.foreign.Add(1)
		return
	}
	if t.seen[i].Add(1) != 1 {
		t.dups.Add(1)
		return
	}
	if t.latency != nil {
		if s := t.sent[i].Load(); s > 0 {
			t.latency[i] = time.Duration(now - (s - 1))
		}
	}
	storeMax(&t.lastSeen, now)
	if t.unique.Add(1) == int64(t.total) {
		close(t.done)
	}
}

func (t *tracker) index(id string) (int, bool) {
	rest, ok := strings.CutPrefix(id, t.prefix)
	if !ok {
		return 0, false
	}
	i, err := strconv.Atoi(rest)
	if err != nil || i < 0 || i >= t.total {
		return 0, false
	}
	return i, true
}

// span is the time from the first send to the last first sighting.
func (t *tracker) span() time.Duration {
	first := t.firstNS.Load()
	if first == 0 {
		return 0
	}
	return time.Duration(t.lastSeen.Load() - (first - 1))
}

// sendSpan is the time from the first send to the last acknowledgement.
func (t *tracker) sendSpan() time.Duration {
	first := t.firstNS.Load()
	if first == 0 {
		return 0
	}
	return time.Duration(t.lastAck.Load() - (first - 1))
}

// Latency summarises a set of durations, in milliseconds for JSON.
type Latency struct {
	Count int     `json:"count"`
	Mean  float64 `json:"mean_ms"`
	P50   float64 `json:"p50_ms"`
	P90   float64 `json:"p90_ms"`
	P99   float64 `json:"p99_ms"`
	P999  float64 `json:"p999_ms"`
	Max   float64 `json:"max_ms"`
}

// summarize sorts d in place and returns its nearest-rank percentiles.
func summarize(d []time.Duration) Latency {
	if len(d) == 0 {
		return Latency{}
	}
	slices.Sort(d)
	var sum time.Duration
	for _, x := range d {
		sum += x
	}
	return Latency{
		Count: len(d),
		Mean:  ms(sum / time.Duration(len(d))),
		P50:   ms(percentile(d, 50)),
		P90:   ms(percentile(d, 90)),
		P99:   ms(percentile(d, 99)),
		P999:  ms(percentile(d, 99.9)),
		Max:   ms(d[len(d)-1]),
	}
}

// percentile is the nearest-rank percentile p of sorted d.
func percentile(sorted []time.Duration, p float64) time.Duration {
	rank := int(p/100*float64(len(sorted))+0.999999999) - 1
	return sorted[min(max(rank, 0), len(sorted)-1)]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
