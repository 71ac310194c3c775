package insights_test

import (
	"context"
	"strings"
	"testing"

	"github.com/escalator/escalator/worker"
)

// The handler says what it did in words an agent understands (the outbox
// row's u_result): posted, then unchanged on a repeat.
func TestHandleRecordsItsResult(t *testing.T) {
	e := newHandlerEnv(t)
	ev := exampleEvent(t)
	for _, want := range []string{"Insights posted: 1 service health issue, ", "Insights unchanged since the last note: 1 service health issue, "} {
		msg := &worker.Message{Subject: ev.Subject(), Event: ev, NumDelivered: 1}
		if err := e.handler.Handle(context.Background(), msg); err != nil {
			t.Fatal(err)
		}
		res, ok := msg.Result()
		if !ok || res.State != worker.ResultDone || !strings.HasPrefix(res.Text, want) || !strings.HasSuffix(res.Text, " articles") {
			t.Fatalf("result %+v (set %v), want done %q… articles", res, ok, want)
		}
	}
}
