package worker

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/escalator/escalator/internal/event"
	"github.com/escalator/escalator/internal/fault"
	"github.com/escalator/escalator/internal/streams"
	"github.com/escalator/escalator/internal/testkit/logtest"
)

func TestFailureLoggedOnceWithoutBody(t *testing.T) {
	e := newEnv(t, streams.Config{AckWait: 5 * time.Second})
	var buf logtest.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, nil))
	h := HandlerFunc(func(context.Context, *Message) error { return fault.Permanentf("refused") })
	e.start(t, map[string]Handler{event.SubjectInsights: h}, Config{Logger: logger})
	e.publish(t, "logged-1")
	eventually(t, 5*time.Second, "dead letter", func() bool { return e.dlqCount(t) == 1 })
	eventually(t, 5*time.Second, "log line", func() bool { return strings.Contains(buf.String(), "dead-lettered") })

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 1 {
		t.Fatalf("%d log lines, want 1:\n%s", len(lines), buf.String())
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &rec); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"event_id": "logged-1", "subject": event.SubjectInsights, "class": "permanent", "delivery": float64(1)}
	for k, v := range want {
		if rec[k] != v {
			t.Errorf("log %s = %v, want %v", k, rec[k], v)
		}
	}
	if strings.Contains(lines[0], "beth.anglin") || strings.Contains(lines[0], "9d385017c611228701d22104cc95c371") {
		t.Errorf("log line carries the body: %s", lines[0])
	}
}
