package eventtest

import (
	"encoding/json"
	"testing"

	"github.com/escalator/escalator/internal/event"
)

// TestInsightsIsValid: the event passes the decoder every consumer uses.
func TestInsightsIsValid(t *testing.T) {
	b, err := json.Marshal(Insights("evt-1"))
	if err != nil {
		t.Fatal(err)
	}
	ev, err := event.Decode(b)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if ev.ID != "evt-1" || ev.Subject() != event.SubjectInsights {
		t.Errorf("decoded %s on %s, want evt-1 on %s", ev.ID, ev.Subject(), event.SubjectInsights)
	}
}
