package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/escalator/escalator/internal/event"
	"github.com/escalator/escalator/internal/streams"
	"github.com/escalator/escalator/internal/testkit/testserver"
	"github.com/escalator/escalator/worker"
)

// effects is a handler set whose effect is keyed, as the production
// handlers' are: a KV Create of the event id in escalator_cases, which
// succeeds once however often the event is delivered.
type effects struct {
	mu         sync.Mutex
	deliveries map[string]int // event id → handler runs
	claims     map[string]int // event id → Creates that succeeded
}

func (e *effects) handlers(_ context.Context, a spine) (map[string]worker.Handler, error) {
	h := worker.HandlerFunc(func(ctx context.Context, m *worker.Message) error {
		id := m.Event.ID
		e.mu.Lock()
		e.deliveries[id]++
		e.mu.Unlock()
		_, err := a.res.Cases.Create(ctx, "effect."+id, []byte("done"))
		switch {
		case err == nil:
			e.mu.Lock()
			e.claims[id]++
			e.mu.Unlock()
		case errors.Is(err, jetstream.ErrKeyExists):
			// An earlier delivery did it (its ack was lost in a failover).
		default:
			return fmt.Errorf("claim %s: %w", id, err) // transient: retried
		}
		return nil
	})
	out := map[string]worker.Handler{}
	for _, s := range handledSubjects() {
		out[s] = h
	}
	return out, nil
}

// clusterSetup is a 3-node JetStream cluster with two App replicas, each
// given every node's URL.
type clusterSetup struct {
	nats *testserver.Cluster
	apps []*App
	fx   *effects
}

func startCluster(t *testing.T) *clusterSetup {
	t.Helper()
	c := &clusterSetup{nats: testserver.NATSCluster(t, 3), fx: &effects{deliveries: map[string]int{}, claims: map[string]int{}}}
	for range 2 {
		cfg := appConfig{nats: natsConfig{URL: c.nats.URL()}, retryInitial: 50 * time.Millisecond,
			// A delivery lost with a node comes back after AckWait.
			streams: streamsConfig{ackWait: 2 * time.Second}}
		c.apps = append(c.apps, startApp(t, cfg, c.fx.handlers))
	}
	return c
}

// poster posts events through the replicas' ingest, round robin, each
// until it is accepted, and checks every answer is 202 or 503 with
// Retry-After. It keeps a steady load (each worker pauses between posts)
// until stopped or max events are accepted.
type poster struct {
	t        *testing.T
	urls     []string
	client   *http.Client
	accepted atomic.Int64
	refused  atomic.Int64
	mu       sync.Mutex
	ids      []string

	stop chan struct{}
	done chan struct{}
}

func (p *poster) start(prefix string, workers, max int) {
	p.stop, p.done = make(chan struct{}), make(chan struct{})
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			pace := time.NewTicker(50 * time.Millisecond)
			defer pace.Stop()
			for {
				select {
				case <-p.stop:
					return
				case <-pace.C:
				}
				i := int(next.Add(1)) - 1
				if i >= max {
					return
				}
				p.post(fmt.Sprintf("%s-%04d", prefix, i), p.urls[(i+w)%len(p.urls)])
			}
		})
	}
	go func() { wg.Wait(); close(p.done) }()
}

// finish stops the load and waits for the posts in flight.
func (p *poster) finish() {
	close(p.stop)
	<-p.done
}

// waitAccepted waits for n more accepted events than now.
func (p *poster) waitAccepted(n int64, what string) {
	p.t.Helper()
	target := p.accepted.Load() + n
	waitFor(p.t, fmt.Sprintf("%d events accepted %s", n, what), func() bool { return p.accepted.Load() >= target })
}

func (p *poster) post(id, url string) {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := p.send(id, url)
		if err != nil {
			p.t.Errorf("post %s: %v", id, err)
			return
		}
		switch resp.StatusCode {
		case http.StatusAccepted:
			p.accepted.Add(1)
			p.mu.Lock()
			p.ids = append(p.ids, id)
			p.mu.Unlock()
			return
		case http.StatusServiceUnavailable:
			p.refused.Add(1)
			if resp.Header.Get("Retry-After") == "" {
				p.t.Errorf("post %s: 503 without Retry-After", id)
			}
			// Retry sooner than Retry-After asks, to keep the test short;
			// ServiceNow's outbox retries the same id the same way.
			time.Sleep(100 * time.Millisecond)
		default:
			p.t.Errorf("post %s: status %d, want only 202 or 503", id, resp.StatusCode)
			return
		}
	}
	p.t.Errorf("post %s: not accepted within 30s", id)
}

func (c *clusterSetup) newPoster(t *testing.T) *poster {
	return &poster{t: t, urls: []string{c.apps[0].IngestURL(), c.apps[1].IngestURL()}, client: &http.Client{Timeout: 20 * time.Second}}
}

// waitDone waits until every accepted event's effect is stored and the
// consumer has nothing left, then checks each was claimed exactly once.
func (c *clusterSetup) waitDone(t *testing.T, ids []string) {
	t.Helper()
	ctx := context.Background()
	kv := c.apps[0].res.Cases
	// A worker whose pull was lost with the quorum pulls again once the
	// pull's expiry (30 s by default) or a missed heartbeat says so: allow
	// for that on a loaded machine.
	deadline := time.Now().Add(90 * time.Second)
	for _, id := range ids {
		for {
			_, err := kv.Get(ctx, "effect."+id)
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				var dead uint64
				if info, ierr := c.apps[0].res.DLQ.Info(ctx); ierr == nil {
					dead = info.State.Msgs
				}
				t.Fatalf("event %s accepted but never handled: %v (%d dead letters)", id, err, dead)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitFor(t, "consumer drained", func() bool { return caughtUp(c.apps[0]) })
	c.fx.mu.Lock()
	defer c.fx.mu.Unlock()
	redelivered := 0
	for _, id := range ids {
		if n := c.fx.claims[id]; n > 1 {
			t.Errorf("event %s had its effect %d times", id, n)
		}
		if c.fx.deliveries[id] > 1 {
			redelivered++
		}
	}
	t.Logf("%d events accepted and handled, %d of them delivered more than once", len(ids), redelivered)
}

func (c *clusterSetup) waitCurrent(t *testing.T) {
	t.Helper()
	c.nats.WaitReady()
	for _, name := range streams.StreamNames() {
		c.nats.WaitStreamCurrent(name)
	}
}

// Streams and buckets are R3 on a 3-node cluster; losing the event
// stream's leader while events are posted and handled loses none of the
// accepted ones, handles each once, and ingest answers only 202 or 503.
// The node, restarted, catches up.
func TestClusterStreamLeaderLoss(t *testing.T) {
	c := startCluster(t)
	for _, h := range streams.Inspect(context.Background(), c.apps[0].js) {
		if h.Replicas != 3 {
			t.Fatalf("%s has %d replicas, want 3", h.Name, h.Replicas)
		}
	}
	c.waitCurrent(t)

	p := c.newPoster(t)
	p.start("leader-loss", 4, 400)
	p.waitAccepted(20, "before the loss")
	leader := c.nats.StreamLeader(streams.StreamName)
	if leader < 0 {
		t.Fatal("event stream has no leader")
	}
	c.nats.Stop(leader)
	p.waitAccepted(20, "with node n"+fmt.Sprint(leader+1)+" down")
	c.nats.Restart(leader)
	c.waitCurrent(t)
	p.waitAccepted(20, "after the restart")
	p.finish()
	t.Logf("node n%d stopped and restarted under load: %d events accepted, %d answers were 503",
		leader+1, p.accepted.Load(), p.refused.Load())
	c.waitDone(t, p.ids)
	info, err := c.apps[1].res.Stream.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs < uint64(len(p.ids)) {
		t.Fatalf("stream holds %d events, want at least %d", info.State.Msgs, len(p.ids))
	}
	// The restarted node's own replica holds them all.
	waitFor(t, "the restarted node caught up", func() bool {
		n, ok := c.nats.StreamMsgs(leader, streams.StreamName)
		return ok && n == info.State.Msgs
	})
}

// A rolling restart of all three nodes under load loses nothing.
func TestClusterRollingRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("rolling restart of a 3-node cluster: skipped with -short")
	}
	c := startCluster(t)
	c.waitCurrent(t)
	p := c.newPoster(t)
	p.start("rolling", 4, 600)
	for i := range c.nats.Size() {
		p.waitAccepted(15, fmt.Sprintf("before restarting n%d", i+1))
		start := time.Now()
		c.nats.Stop(i)
		c.nats.Restart(i)
		c.waitCurrent(t)
		t.Logf("n%d restarted and current in %s", i+1, time.Since(start).Round(time.Millisecond))
	}
	p.waitAccepted(15, "after the rolling restart")
	p.finish()
	t.Logf("rolling restart under load: %d events accepted, %d answers were 503", p.accepted.Load(), p.refused.Load())
	c.waitDone(t, p.ids)
}

// postOnce posts one event once and returns the status and Retry-After.
func (p *poster) postOnce(id, url string) (int, string) {
	p.t.Helper()
	resp, err := p.send(id, url)
	if err != nil {
		p.t.Fatalf("post %s: %v", id, err)
	}
	return resp.StatusCode, resp.Header.Get("Retry-After")
}

// send posts the example insights request as event id to url's ingest;
// the answer's body is closed.
func (p *poster) send(id, url string) (*http.Response, error) {
	ev := example(p.t, "insights-requested.json", func(ev *event.Event) { ev.ID = id })
	body, err := ev.Marshal()
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequest(http.MethodPost, url+"/v1/events", strings.NewReader(string(body)))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+testIngestToken)
	req.Header.Set("Content-Type", "application/cloudevents+json")
	resp, err := p.client.Do(req)
	if err != nil {
		return nil, err
	}
	resp.Body.Close()
	return resp, nil
}

// With two of three nodes down JetStream has no leader: ingest answers 503
// with Retry-After (never 500, never 202 for an event it could not store)
// and /readyz fails; once a majority is back the same events are accepted
// and handled.
func TestClusterNoQuorum(t *testing.T) {
	c := startCluster(t)
	c.waitCurrent(t)
	p := c.newPoster(t)
	c.nats.Stop(0)
	c.nats.Stop(1)

	var wg sync.WaitGroup
	for i, app := range c.apps {
		wg.Go(func() {
			code, retryAfter := p.postOnce(fmt.Sprintf("no-quorum-%d", i), app.IngestURL())
			if code != http.StatusServiceUnavailable || retryAfter == "" {
				t.Errorf("post with no quorum: %d, Retry-After %q; want 503 with Retry-After", code, retryAfter)
			}
		})
	}
	wg.Wait()
	waitFor(t, "readyz failing without a leader", func() bool {
		resp, err := http.Get(c.apps[0].AdminURL() + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusServiceUnavailable
	})

	c.nats.Restart(0)
	var ids []string
	for i, app := range c.apps {
		id := fmt.Sprintf("no-quorum-%d", i)
		waitFor(t, "the refused event accepted once a majority is back", func() bool {
			code, _ := p.postOnce(id, app.IngestURL())
			if code != http.StatusAccepted && code != http.StatusServiceUnavailable {
				t.Fatalf("post %s: %d, want only 202 or 503", id, code)
			}
			return code == http.StatusAccepted
		})
		ids = append(ids, id)
	}
	c.waitDone(t, ids)
	c.nats.Restart(1)
	c.waitCurrent(t)
}
