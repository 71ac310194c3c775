package sim

import (
	"context"
	"net"
	"net/http"
	"testing"
	"time"
)

// A client still waiting for an answer when the simulator stops (in dev,
// the App shutting down beside it) does not make Serve fail: it is cut off
// after the shutdown's grace period.
func TestServeStopsDespiteARequestInFlight(t *testing.T) {
	s := New(Config{})
	if err := s.SetFaults(Faults{Latency: Duration(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln) }()

	answered := make(chan struct{})
	go func() {
		defer close(answered)
		resp, err := http.Get("http://" + ln.Addr().String() + "/v1.0/admin/serviceAnnouncement/healthOverviews")
		if err == nil {
			resp.Body.Close()
		}
	}()
	// Wait until the request is being answered (delayed by the latency).
	deadline := time.Now().Add(10 * time.Second)
	for s.State().Calls["GET /v1.0/admin/serviceAnnouncement/healthOverviews"] == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the request never reached the simulator")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("Serve: %v, want nil after cutting the client off", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Serve did not return")
	}
	<-answered
}
