package streamtest_test

import (
	"testing"

	"github.com/escalator/escalator/internal/streams"
	"github.com/escalator/escalator/internal/testkit/streamtest"
	"github.com/escalator/escalator/internal/testkit/testserver"
)

// TestEnsureTwice: the resources come back, and a second Ensure on the same
// server (a second replica's) finds them.
func TestEnsureTwice(t *testing.T) {
	srv := testserver.NATS(t)
	_, js := testserver.Connect(t, srv)
	if res := streamtest.Ensure(t, js, streams.Config{}); res.Consumer == nil || res.Cases == nil {
		t.Fatalf("resources %+v", res)
	}
	_, js2 := testserver.Connect(t, srv)
	streamtest.Ensure(t, js2, streams.Config{})
}
