package worker

import (
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/escalator/escalator/internal/streams"
)

func TestAckCounts(t *testing.T) {
	tests := []struct {
		reply          string
		seq, delivered uint64
		ok             bool
	}{
		{"$JS.ACK.ESCALATOR.worker.3.1042.77.1732550000000000000.5", 1042, 3, true},
		{"$JS.ACK._.ACCHASH.ESCALATOR.worker.2.9.8.1732550000000000000.0", 9, 2, true},
		{"$JS.ACK.hub.ACCHASH.ESCALATOR.worker.1.17.17.1732550000000000000.0.Xyz12", 17, 1, true},
		{"$JS.ACK.ESCALATOR.worker.x1.7.7.1.0", 7, 0, true},
		{"$JS.ACK.ESCALATOR.worker.1.2.3.4", 0, 0, false},     // 8 tokens
		{"$JS.ACK.d.h.ESCALATOR.worker.1.2.3.4", 0, 0, false}, // 10 tokens
		{"$JS.NAK.ESCALATOR.worker.3.1042.77.1732550000000000000.5", 0, 0, false},
		{"_INBOX.abc", 0, 0, false},
		{"", 0, 0, false},
	}
	for _, tt := range tests {
		seq, delivered, ok := ackCounts(tt.reply)
		if seq != tt.seq || delivered != tt.delivered || ok != tt.ok {
			t.Errorf("ackCounts(%q) = %d, %d, %v; want %d, %d, %v", tt.reply, seq, delivered, ok, tt.seq, tt.delivered, tt.ok)
		}
	}
}

// TestAckCountsAgreesWithMetadata checks the parse against the client's on
// the reply subjects this server really sends.
func TestAckCountsAgreesWithMetadata(t *testing.T) {
	e := newEnv(t, streams.Config{AckWait: 200 * time.Millisecond})
	e.publish(t, "meta-1", "meta-2")
	for round := range 2 { // the second round sees redeliveries
		batch, err := e.res.Consumer.Fetch(2, jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for m := range batch.Messages() {
			n++
			meta, err := m.Metadata()
			if err != nil {
				t.Fatal(err)
			}
			seq, delivered, ok := ackCounts(m.Reply())
			if !ok || seq != meta.Sequence.Stream || delivered != meta.NumDelivered {
				t.Errorf("ackCounts(%q) = %d, %d, %v; Metadata says %d, %d", m.Reply(), seq, delivered, ok, meta.Sequence.Stream, meta.NumDelivered)
			}
			if delivered != uint64(round+1) {
				t.Errorf("round %d: delivered %d", round, delivered)
			}
			if round == 0 {
				_ = m.Nak()
			} else {
				_ = m.Ack()
			}
		}
		if n != 2 {
			t.Fatalf("round %d: fetched %d messages", round, n)
		}
	}
}
