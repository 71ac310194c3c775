package outbox

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/escalator/escalator/internal/ingest"
	"github.com/escalator/escalator/internal/streams"
)

const pushToken = "push-token-0123456789abcdef"

// push posts the row's CloudEvent to ingest, as the update set's business
// rule does, and returns ingest's answer for it.
func (e *env) push(t *testing.T, srv *httptest.Server, id string) (seq uint64, duplicate bool) {
	t.Helper()
	ev := e.rowEvent(t, id)
	body, _ := ev.Marshal()
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/events", strings.NewReader(string(body)))
	req.Header.Set("Authorization", "Bearer "+pushToken)
	req.Header.Set("Content-Type", "application/cloudevents+json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out struct {
		Accepted []struct {
			ID        string `json:"id"`
			Seq       uint64 `json:"seq"`
			Duplicate bool   `json:"duplicate"`
		} `json:"accepted"`
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil || res.StatusCode != http.StatusAccepted || len(out.Accepted) != 1 {
		t.Fatalf("push: %d %v %+v", res.StatusCode, err, out)
	}
	return out.Accepted[0].Seq, out.Accepted[0].Duplicate
}

func (e *env) ingest(t *testing.T) *httptest.Server {
	t.Helper()
	srv, err := ingest.New(ingest.Config{Tokens: []string{pushToken}}, e.pub)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	return hs
}

// TestPushAndPullOfOneRowStoreOneEvent: the row's sys_id is the event id
// and the Nats-Msg-Id on both ways in, whichever comes first.
func TestPushAndPullOfOneRowStoreOneEvent(t *testing.T) {
	e := newEnv(t, streams.Config{})
	in := e.ingest(t)

	pushedFirst := e.request(t, "beth.anglin", "escalation")
	seq, dup := e.push(t, in, pushedFirst)
	if dup {
		t.Fatal("first push answered duplicate")
	}
	res, err := e.poller(t, nil).RunOnce(ctxT(t), nil)
	if err != nil || res.Sent != 1 || res.Duplicates != 1 {
		t.Fatalf("pull after push: %+v, %v", res, err)
	}
	if got := e.row(t, pushedFirst)["u_event_seq"]; got != strconv.FormatUint(seq, 10) {
		t.Fatalf("u_event_seq %s, want the pushed event's %d", got, seq)
	}

	pulledFirst := e.request(t, "david.miller", "insights")
	if res, err := e.poller(t, nil).RunOnce(ctxT(t), nil); err != nil || res.Sent != 1 || res.Duplicates != 0 {
		t.Fatalf("pull: %+v, %v", res, err)
	}
	seq, dup = e.push(t, in, pulledFirst)
	if !dup || strconv.FormatUint(seq, 10) != e.row(t, pulledFirst)["u_event_seq"] {
		t.Fatalf("push after pull: seq %d duplicate %v, want the pulled event's %s", seq, dup, e.row(t, pulledFirst)["u_event_seq"])
	}

	n, _ := e.stored(t)
	if len(n) != 2 || n[pushedFirst] != 1 || n[pulledFirst] != 1 {
		t.Fatalf("stored %v, want each row once", n)
	}
}
