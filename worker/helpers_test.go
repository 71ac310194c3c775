package worker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/escalator/escalator/internal/streams"
	"github.com/escalator/escalator/internal/testkit/eventtest"
	"github.com/escalator/escalator/internal/testkit/streamtest"
	"github.com/escalator/escalator/internal/testkit/testserver"
	"github.com/escalator/escalator/internal/testkit/wait"
)

// env is one test's NATS server with Escalator's streams.
type env struct {
	nc  *nats.Conn
	js  jetstream.JetStream
	res *streams.Resources
	pub *streams.Publisher
}

func newEnv(t testing.TB, cfg streams.Config) *env {
	t.Helper()
	nc, js := testserver.Connect(t, testserver.NATS(t))
	res := streamtest.Ensure(t, js, cfg)
	return &env{nc: nc, js: js, res: res, pub: streams.NewPublisher(js, nil)}
}

func (e *env) publish(t testing.TB, ids ...string) {
	t.Helper()
	for _, id := range ids {
		if _, err := e.pub.Publish(context.Background(), eventtest.Insights(id)); err != nil {
			t.Fatalf("publish %s: %v", id, err)
		}
	}
}

// start runs a Worker until the test ends (or stop is called) and returns
// it with a stop function that cancels Run and waits for it to return.
func (e *env) start(t testing.TB, handlers map[string]Handler, cfg Config) (*Worker, func()) {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	w, err := New(e.res.Consumer, e.js, handlers, cfg)
	if err != nil {
		t.Fatalf("new worker: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("run: %v", err)
				}
			case <-time.After(30 * time.Second):
				t.Errorf("Run did not return after cancel")
			}
		})
	}
	t.Cleanup(stop)
	return w, stop
}

// eventually polls cond until it holds or the deadline passes (wait.For).
func eventually(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	wait.For(t, within, what, cond)
}

// settledAll reports whether the consumer has nothing pending or unacked.
func (e *env) settledAll(t testing.TB) bool {
	t.Helper()
	ci, err := e.res.Consumer.Info(context.Background())
	if err != nil {
		t.Fatalf("consumer info: %v", err)
	}
	return ci.NumPending == 0 && ci.NumAckPending == 0
}

// deadLetters returns every message in the DLQ.
func (e *env) deadLetters(t testing.TB) []*jetstream.RawStreamMsg {
	t.Helper()
	ctx := context.Background()
	info, err := e.res.DLQ.Info(ctx)
	if err != nil {
		t.Fatalf("dlq info: %v", err)
	}
	var out []*jetstream.RawStreamMsg
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		m, err := e.res.DLQ.GetMsg(ctx, seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue
		}
		if err != nil {
			t.Fatalf("dlq get %d: %v", seq, err)
		}
		out = append(out, m)
	}
	return out
}

func (e *env) dlqCount(t testing.TB) uint64 {
	t.Helper()
	info, err := e.res.DLQ.Info(context.Background())
	if err != nil {
		t.Fatalf("dlq info: %v", err)
	}
	return info.State.Msgs
}

// recorder records each call of a handler.
type recorder struct {
	mu    sync.Mutex
	calls []call
	fn    func(ctx context.Context, m *Message, n int) error
}

type call struct {
	at           time.Time
	id           string
	numDelivered uint64
}

func (r *recorder) Handle(ctx context.Context, m *Message) error {
	r.mu.Lock()
	r.calls = append(r.calls, call{at: time.Now(), id: m.Event.ID, numDelivered: m.NumDelivered})
	n := len(r.calls)
	r.mu.Unlock()
	if r.fn == nil {
		return nil
	}
	return r.fn(ctx, m, n)
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.calls)
}

func (r *recorder) snapshot() []call {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]call(nil), r.calls...)
}

func ids(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s-%03d", prefix, i)
	}
	return out
}
