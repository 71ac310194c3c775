package worker

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/escalator/escalator/internal/event"
	"github.com/escalator/escalator/internal/fault"
	"github.com/escalator/escalator/internal/streams"
)

// ackPayloads records what the workers send to the consumer's ack subjects.
type ackPayloads struct {
	mu   sync.Mutex
	seen []string
}

func watchAcks(t *testing.T, nc *nats.Conn) *ackPayloads {
	t.Helper()
	a := &ackPayloads{}
	sub, err := nc.Subscribe("$JS.ACK."+streams.StreamName+"."+streams.ConsumerName+".>", func(m *nats.Msg) {
		a.mu.Lock()
		a.seen = append(a.seen, string(m.Data))
		a.mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Unsubscribe() })
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	return a
}

func (a *ackPayloads) with(prefix string) []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []string
	for _, s := range a.seen {
		if strings.HasPrefix(s, prefix) {
			out = append(out, s)
		}
	}
	return out
}

// A dead-lettered message is terminated with a plain +TERM, the only form
// servers before 2.10.4 act on (they ignore "+TERM reason" and redeliver),
// and the server counts it settled: it is not delivered again.
func TestDeadLetterTermIsPlainAndFinal(t *testing.T) {
	const ackWait = 300 * time.Millisecond
	e := newEnv(t, streams.Config{AckWait: ackWait})
	acks := watchAcks(t, e.nc)
	rec := &recorder{fn: func(context.Context, *Message, int) error { return fault.Permanentf("bad request") }}
	e.start(t, map[string]Handler{event.SubjectInsights: rec}, Config{ProgressInterval: 50 * time.Millisecond})
	e.publish(t, "term-1")
	eventually(t, 5*time.Second, "dead letter", func() bool { return e.dlqCount(t) == 1 })
	eventually(t, 5*time.Second, "term sent", func() bool { return len(acks.with("+TERM")) == 1 })
	if got := acks.with("+TERM"); got[0] != "+TERM" {
		t.Fatalf("term payload %q, want exactly \"+TERM\"", got[0])
	}
	// Settled on the server: the ack floor passes it and nothing waits for
	// an ack, so AckWait cannot bring it back.
	eventually(t, 5*time.Second, "ack floor past the dead letter", func() bool {
		ci, err := e.res.Consumer.Info(context.Background())
		return err == nil && ci.AckFloor.Stream == 1 && ci.NumAckPending == 0 && ci.NumPending == 0
	})
	// Nothing comes back over three AckWaits (a server that ignored the
	// Term would redeliver after one).
	for until := time.Now().Add(3 * ackWait); time.Now().Before(until); time.Sleep(20 * time.Millisecond) {
		if n := rec.count(); n != 1 {
			t.Fatalf("handler ran %d times: the dead letter was delivered again", n)
		}
	}
	ci, err := e.res.Consumer.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if ci.NumRedelivered != 0 || e.dlqCount(t) != 1 {
		t.Fatalf("redelivered %d, dead letters %d; want 0 and 1", ci.NumRedelivered, e.dlqCount(t))
	}
}

// A consumer whose own limit would stop a failing message before the
// worker dead-letters it is refused at start.
func TestNewRefusesConsumerLimitBelowWorkers(t *testing.T) {
	e := newEnv(t, streams.Config{})
	cc := streams.ConsumerConfig(streams.Config{}.WithDefaults())
	cc.MaxDeliver = DefaultMaxDeliver
	cons, err := e.js.CreateOrUpdateConsumer(context.Background(), streams.StreamName, cc)
	if err != nil {
		t.Fatal(err)
	}
	h := map[string]Handler{event.SubjectInsights: &recorder{}}
	if _, err := New(cons, e.js, h, Config{}); err == nil || !strings.Contains(err.Error(), "MaxDeliver 6") {
		t.Fatalf("New with consumer MaxDeliver = worker MaxDeliver: %v, want a refusal", err)
	}
	if _, err := New(cons, e.js, h, Config{MaxDeliver: 5}); err != nil {
		t.Fatalf("worker limit below the consumer's: %v", err)
	}
}
