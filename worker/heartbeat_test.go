package worker

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/escalator/escalator/internal/event"
	"github.com/escalator/escalator/internal/streams"
	"github.com/escalator/escalator/internal/testkit/eventtest"
	"github.com/escalator/escalator/internal/testkit/logtest"
	"github.com/escalator/escalator/internal/testkit/streamtest"
	"github.com/escalator/escalator/internal/testkit/testserver"
)

// Missed heartbeats do not stop the worker. Here JetStream stops answering
// on a connection that stays up (as when a consumer's leader is lost and
// the pull request parked there with it): the worker pulls again and
// handles what comes once JetStream is back.
func TestMissedHeartbeatsKeepConsuming(t *testing.T) {
	srv := testserver.NATS(t)
	nc, js := testserver.Connect(t, srv)
	res := streamtest.Ensure(t, js, streams.Config{})
	e := &env{nc: nc, js: js, res: res, pub: streams.NewPublisher(js, nil)}
	rec := &recorder{}
	var logs logtest.Buffer
	w, _ := e.start(t, map[string]Handler{event.SubjectInsights: rec},
		Config{pullExpiry: time.Second, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	e.publish(t, "before")
	eventually(t, 5*time.Second, "first event handled", func() bool { return rec.count() == 1 })

	jsCfg := *srv.JetStreamConfig()
	// The server appends "jetstream" to the directory it is given.
	jsCfg.StoreDir = filepath.Dir(jsCfg.StoreDir)
	if err := srv.DisableJetStream(); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "a missed heartbeat", func() bool { return strings.Contains(logs.String(), "no heartbeat") })
	select {
	case <-w.ended:
		t.Fatal("the worker stopped consuming after missed heartbeats")
	default:
	}
	if err := srv.EnableJetStream(&jsCfg); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "an event published after the outage", func() bool {
		_, err := e.pub.Publish(context.Background(), eventtest.Insights("after"))
		return err == nil
	})
	eventually(t, 10*time.Second, "the event after the outage handled", func() bool { return rec.count() == 2 })
}
