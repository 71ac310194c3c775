package health

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/escalator/escalator/internal/testkit/sim"
)

// TestClientAgainstSimulator reads the simulator's service health: its
// issues come in pages of 5, so the listing follows nextLink.
func TestClientAgainstSimulator(t *testing.T) {
	s := sim.New(sim.Config{PageSize: 2})
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()

	c, err := NewClient(ClientConfig{GraphURL: ts.URL, Tokens: staticToken(simGraphToken(t, ts.URL)), Limiter: &countingLimiter{}})
	if err != nil {
		t.Fatal(err)
	}
	snap, err := NewSnapshot(c, SnapshotConfig{})
	if err != nil {
		t.Fatal(err)
	}
	if err := snap.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	d, _ := snap.Current()
	if len(d.Overviews) == 0 {
		t.Fatal("no overviews")
	}
	var found bool
	for _, is := range d.Issues {
		if is.ID == sim.ExchangeIncidentID {
			found = true
			if is.IsResolved || !is.Status.Known() || is.Classification != ClassificationIncident {
				t.Errorf("seeded incident = %+v", is)
			}
		}
	}
	if !found {
		t.Fatalf("active issues %+v lack %s", d.Issues, sim.ExchangeIncidentID)
	}
	all, err := c.Issues(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(all) <= 2 {
		t.Fatalf("%d issues: paging not exercised", len(all))
	}
	is, err := c.Issue(context.Background(), sim.ExchangeIncidentID)
	if err != nil || is.ID != sim.ExchangeIncidentID || len(is.Posts) == 0 {
		t.Fatalf("Issue = %+v, %v", is, err)
	}
}
