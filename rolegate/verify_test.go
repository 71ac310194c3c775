package rolegate_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/escalator/escalator/internal/event"
	"github.com/escalator/escalator/internal/fault"
	"github.com/escalator/escalator/rolegate"
	"github.com/escalator/escalator/worker"
)

// The roles ServiceNow holds decide, whatever the payload lists.
func TestGateBelievesServiceNowNotThePayload(t *testing.T) {
	reader := &countingReader{roles: map[string][]string{
		"beth.anglin": {"itil", "escalator_administrator"},
		"abel.tuter":  {"itil"},
		"sys.admin":   {"admin"},
	}}
	roles := []string{"escalator_administrator", roleAdmin}
	tests := []struct {
		name, user string
		payload    []string
		allowed    bool
	}{
		{"role in ServiceNow, none in the payload", "beth.anglin", nil, true},
		{"roles in the payload, none in ServiceNow", "abel.tuter", []string{"itil", roleAdmin, "escalator_administrator"}, false},
		{"unknown user with roles in the payload", "nobody", []string{roleAdmin}, false},
		{"ServiceNow admin", "sys.admin", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnvWith(t, roles, newCache(t, reader, time.Minute, 0))
			msg := message(event.TypeEscalation, "ev-"+strings.ReplaceAll(tt.name, " ", "-"), tt.payload...)
			msg.Event.Data.RequestedBy.UserName = tt.user
			if err := e.gate.Handle(context.Background(), msg); err != nil {
				t.Fatalf("Handle: %v", err)
			}
			res, set := msg.Result()
			if tt.allowed {
				if e.calls.Load() != 1 || len(e.notes()) != 0 || set {
					t.Fatalf("allowed: next called %d times, %d notes, result %+v", e.calls.Load(), len(e.notes()), res)
				}
				return
			}
			if e.calls.Load() != 0 || len(e.notes()) != 1 {
				t.Fatalf("refused: next called %d times, %d notes", e.calls.Load(), len(e.notes()))
			}
			want := "Refused: " + tt.user + " does not hold escalator_administrator or " + roleAdmin
			if res.State != worker.ResultRefused || res.Text != want {
				t.Fatalf("result %+v, want refused %q", res, want)
			}
			if note := e.notes()[0].Value; !strings.Contains(note, "does not have any of the roles escalator_administrator or "+roleAdmin) {
				t.Fatalf("note %q does not name the roles", note)
			}
		})
	}
}

func TestGateRoleLookupFailureIsRetriedNotRefused(t *testing.T) {
	reader := &countingReader{err: errors.New("connection reset")}
	e := newEnvWith(t, []string{roleAdmin}, newCache(t, reader, time.Minute, 0))
	msg := message(event.TypeEscalation, "ev-lookup-fails", roleAdmin)
	err := e.gate.Handle(context.Background(), msg)
	if err == nil || fault.Classify(err) != fault.Transient {
		t.Fatalf("Handle: %v (class %v), want a transient error", err, fault.Classify(err))
	}
	if e.calls.Load() != 0 || len(e.notes()) != 0 {
		t.Fatalf("a failed lookup let through (%d) or refused (%d notes)", e.calls.Load(), len(e.notes()))
	}
	if _, set := msg.Result(); set {
		t.Fatal("a failed lookup recorded a result")
	}
}

func TestGatePayloadRolesAnyOneSuffices(t *testing.T) {
	roles := []string{"escalator_insights_user", roleInsights}
	for _, held := range [][]string{{"escalator_insights_user"}, {roleInsights}} {
		e := newEnvWith(t, roles, rolegate.PayloadRoles{})
		msg := message(event.TypeInsights, "ev-any-"+held[0], held...)
		if err := e.gate.Handle(context.Background(), msg); err != nil || e.calls.Load() != 1 {
			t.Fatalf("holding %v: next called %d times, %v", held, e.calls.Load(), err)
		}
	}
}
