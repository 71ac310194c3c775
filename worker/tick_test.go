package worker

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/escalator/escalator/internal/event"
	"github.com/escalator/escalator/internal/streams"
	"github.com/escalator/escalator/internal/testkit/fakeclock"
)

// tickClock only moves when the test advances it.
type tickClock struct{ *fakeclock.Clock }

func newTickClock(now time.Time) *tickClock { return &tickClock{fakeclock.New(now)} }

// pending counts the timers not fired yet.
func (c *tickClock) pending() int { return len(c.Pending()) }

func TestTickMsgID(t *testing.T) {
	start := time.Date(2026, 11, 25, 9, 15, 0, 0, time.UTC)
	tests := []struct {
		name  string
		start time.Time
		want  string
	}{
		{"health", start, "tick.health.1795598100"},
		{"cases", start, "tick.cases.1795598100"},
		{"health", start.In(time.FixedZone("CET", 3600)), "tick.health.1795598100"},
		{"health", time.Unix(0, 0), "tick.health.0"},
	}
	for _, tt := range tests {
		if got := TickMsgID(tt.name, tt.start); got != tt.want {
			t.Errorf("TickMsgID(%s, %s) = %s, want %s", tt.name, tt.start, got, tt.want)
		}
	}
}

func TestIntervalStart(t *testing.T) {
	base := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		at       time.Time
		interval time.Duration
		want     time.Time
	}{
		{base.Add(4*time.Minute + 59*time.Second), 5 * time.Minute, base},
		{base.Add(5 * time.Minute), 5 * time.Minute, base.Add(5 * time.Minute)},
		{base.Add(90 * time.Second), time.Minute, base.Add(time.Minute)},
		// Another zone, the same instant: the same interval.
		{base.Add(7 * time.Minute).In(time.FixedZone("IST", 5*3600+1800)), 5 * time.Minute, base.Add(5 * time.Minute)},
	}
	for _, tt := range tests {
		got := IntervalStart(tt.at, tt.interval)
		if !got.Equal(tt.want) {
			t.Errorf("IntervalStart(%s, %s) = %s, want %s", tt.at, tt.interval, got, tt.want)
		}
	}
}

func TestTickEventDecodes(t *testing.T) {
	start := time.Date(2026, 11, 25, 9, 15, 0, 0, time.UTC)
	ev := TickEvent(TickJob{Name: TickHealth, Type: event.TypeTickHealth, Interval: 5 * time.Minute}, start, DefaultTickSource)
	b, err := ev.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	got, err := event.Decode(b)
	if err != nil {
		t.Fatalf("a tick event must pass the event validation: %v", err)
	}
	if got.Subject() != event.SubjectTickHealth || got.Data.Tick == nil || got.Data.Tick.Name != TickHealth ||
		!got.Data.Tick.Start.Equal(start) || got.ID != "tick.health.1795598100" {
		t.Fatalf("decoded %+v", got)
	}
}

func TestNewTickerValidates(t *testing.T) {
	pub := &countingPublisher{}
	ok := TickJob{Name: TickHealth, Type: event.TypeTickHealth, Interval: time.Minute}
	tests := []struct {
		name string
		cfg  TickerConfig
	}{
		{"no publisher", TickerConfig{Jobs: []TickJob{ok}}},
		{"no jobs", TickerConfig{Publisher: pub}},
		{"bad name", TickerConfig{Publisher: pub, Jobs: []TickJob{{Name: "a.b", Type: event.TypeTickHealth, Interval: time.Minute}}}},
		{"not a tick type", TickerConfig{Publisher: pub, Jobs: []TickJob{{Name: "x", Type: event.TypeInsights, Interval: time.Minute}}}},
		{"short interval", TickerConfig{Publisher: pub, Jobs: []TickJob{{Name: "x", Type: event.TypeTickCases, Interval: 200 * time.Millisecond}}}},
		{"twice", TickerConfig{Publisher: pub, Jobs: []TickJob{ok, ok}}},
		{"negative retry", TickerConfig{Publisher: pub, Jobs: []TickJob{ok}, RetryDelay: -time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewTicker(tt.cfg); err == nil {
				t.Fatal("want an error")
			}
		})
	}
}

// countingPublisher counts attempts and fails the first failFirst of them.
type countingPublisher struct {
	next      TickPublisher
	failFirst int64
	calls     atomic.Int64
}

func (p *countingPublisher) Publish(ctx context.Context, ev *event.Event, opts ...streams.PublishOption) (*jetstream.PubAck, error) {
	if p.calls.Add(1) <= p.failFirst {
		return nil, errors.New("jetstream unavailable (test)")
	}
	return p.next.Publish(ctx, ev, opts...)
}

// streamIDs lists the Nats-Msg-Id of every message of subject in ESCALATOR.
func (e *env) streamIDs(t *testing.T, subject string) []string {
	t.Helper()
	ctx := context.Background()
	info, err := e.res.Stream.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && seq > 0; seq++ {
		m, err := e.res.Stream.GetMsg(ctx, seq)
		if err != nil {
			continue
		}
		if m.Subject == subject {
			out = append(out, m.Header.Get(jetstream.MsgIDHeader))
		}
	}
	return out
}

func TestTickersOfThreeReplicasStoreOneTickPerInterval(t *testing.T) {
	e := newEnv(t, streams.Config{})
	start := time.Date(2026, 11, 25, 9, 0, 30, 0, time.UTC)
	clock := newTickClock(start)
	jobs := []TickJob{
		{Name: TickHealth, Type: event.TypeTickHealth, Interval: time.Minute},
		{Name: TickCases, Type: event.TypeTickCases, Interval: 5 * time.Minute},
	}
	pub := &countingPublisher{next: e.pub}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for range 3 {
		tk, err := NewTicker(TickerConfig{Publisher: pub, Jobs: jobs, Clock: clock})
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() { defer wg.Done(); _ = tk.Run(ctx) }()
	}
	t.Cleanup(func() { cancel(); wg.Wait() })

	// At start every replica publishes its current intervals: 3×2 publishes.
	eventually(t, 5*time.Second, "start ticks", func() bool { return pub.calls.Load() == 6 && clock.pending() == 6 })
	// Then 09:01, 09:02, …, 09:05: health each minute, cases at 09:05.
	for i := 1; i <= 5; i++ {
		step := time.Minute
		if i == 1 {
			step = 30 * time.Second // from 09:00:30 to 09:01
		}
		clock.Advance(step)
		want := int64(6 + 3*i)
		if i == 5 {
			want += 3
		}
		eventually(t, 5*time.Second, "ticks published", func() bool { return pub.calls.Load() == want && clock.pending() == 6 })
	}
	health := e.streamIDs(t, event.SubjectTickHealth)
	cases := e.streamIDs(t, event.SubjectTickCases)
	wantHealth := []string{}
	for m := 0; m <= 5; m++ {
		wantHealth = append(wantHealth, TickMsgID(TickHealth, time.Date(2026, 11, 25, 9, m, 0, 0, time.UTC)))
	}
	wantCases := []string{
		TickMsgID(TickCases, time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)),
		TickMsgID(TickCases, time.Date(2026, 11, 25, 9, 5, 0, 0, time.UTC)),
	}
	if !equalStrings(health, wantHealth) {
		t.Errorf("health ticks stored %v, want %v", health, wantHealth)
	}
	if !equalStrings(cases, wantCases) {
		t.Errorf("cases ticks stored %v, want %v", cases, wantCases)
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestTickerRetriesAFailedPublishWithinTheInterval(t *testing.T) {
	e := newEnv(t, streams.Config{})
	clock := newTickClock(time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC))
	pub := &countingPublisher{next: e.pub, failFirst: 2}
	tk, err := NewTicker(TickerConfig{Publisher: pub, Clock: clock, RetryDelay: time.Second,
		Jobs: []TickJob{{Name: TickHealth, Type: event.TypeTickHealth, Interval: time.Minute}}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = tk.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	for attempt := int64(1); attempt <= 2; attempt++ {
		eventually(t, 5*time.Second, "a retry waiting", func() bool { return pub.calls.Load() == attempt && clock.pending() == 1 })
		clock.Advance(time.Second)
	}
	eventually(t, 5*time.Second, "the tick stored", func() bool { return len(e.streamIDs(t, event.SubjectTickHealth)) == 1 })
	if got := e.streamIDs(t, event.SubjectTickHealth)[0]; got != TickMsgID(TickHealth, time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)) {
		t.Fatalf("stored %s", got)
	}
}
