package rolegate_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/escalator/escalator/internal/event"
	"github.com/escalator/escalator/internal/fault"
	"github.com/escalator/escalator/internal/outbound"
	"github.com/escalator/escalator/internal/servicenow"
	"github.com/escalator/escalator/internal/testkit/metrictest"
	"github.com/escalator/escalator/internal/testkit/sim"
	"github.com/escalator/escalator/rolegate"
	"github.com/escalator/escalator/worker"
)

const (
	roleAdmin    = "x_mioms_m365_assis.administrator"
	roleInsights = "x_mioms_m365_assis.insights_user"
)

// env is a gate in front of a counting handler, writing to the simulator's
// ServiceNow through the real client.
type env struct {
	sim    *sim.Server
	gate   *rolegate.Gate
	calls  atomic.Int32
	reader *sdkmetric.ManualReader
	logs   *bytes.Buffer
}

func newEnv(t *testing.T, role string) *env {
	t.Helper()
	return newEnvWith(t, []string{role}, rolegate.PayloadRoles{})
}

// newEnvWith is newEnv with a list of roles and a role source.
func newEnvWith(t *testing.T, roles []string, source rolegate.RoleSource) *env {
	t.Helper()
	e := &env{sim: sim.New(sim.Config{}), reader: sdkmetric.NewManualReader(), logs: &bytes.Buffer{}}
	srv := httptest.NewServer(e.sim.Handler())
	t.Cleanup(srv.Close)
	snow, err := servicenow.New(servicenow.Config{
		BaseURL: srv.URL, Username: sim.DefaultServiceNowUser, Password: sim.DefaultServiceNowPassword,
		HTTPClient: outbound.NewClient(outbound.Options{Name: "servicenow", MaxAttempts: 1}),
	})
	if err != nil {
		t.Fatal(err)
	}
	next := worker.HandlerFunc(func(context.Context, *worker.Message) error {
		e.calls.Add(1)
		return nil
	})
	e.gate, err = rolegate.New(rolegate.Config{
		Roles:         roles,
		Source:        source,
		Notes:         snow,
		Logger:        slog.New(slog.NewJSONHandler(e.logs, nil)),
		MeterProvider: sdkmetric.NewMeterProvider(sdkmetric.WithReader(e.reader)),
	}, next)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *env) notes() []sim.JournalEntry {
	return e.sim.Journal(sim.DefaultIncidentSysID, "work_notes")
}

// refusedCount is the sum of escalator.events.refused for type and role.
func (e *env) refusedCount(t *testing.T, typ, role string) int64 {
	t.Helper()
	isType, isRole := metrictest.Is(rolegate.AttrEventType, typ), metrictest.Is(rolegate.AttrRole, role)
	return metrictest.Sum(t, e.reader, rolegate.MetricRefused, func(s attribute.Set) bool { return isType(s) && isRole(s) })
}

func message(typ, id string, roles ...string) *worker.Message {
	ev := &event.Event{
		SpecVersion: event.SpecVersion, ID: id, Source: "https://contoso.service-now.com", Type: typ,
		Time: time.Date(2026, 11, 25, 9, 2, 47, 0, time.UTC),
		Data: event.Data{
			Incident: event.Incident{
				SysID: sim.DefaultIncidentSysID, Number: sim.DefaultIncidentNumber,
				ShortDescription: "Outlook cannot connect (secret body text)",
			},
			RequestedBy: event.RequestedBy{UserName: "beth.anglin", Roles: roles},
		},
	}
	return &worker.Message{Subject: ev.Subject(), Event: ev, NumDelivered: 1}
}

func TestGate(t *testing.T) {
	tests := []struct {
		name    string
		role    string
		typ     string
		roles   []string
		allowed bool
	}{
		{"escalation by admin", roleAdmin, event.TypeEscalation, []string{"itil", roleAdmin}, true},
		{"escalation by admin with both roles", roleAdmin, event.TypeEscalation, []string{roleInsights, roleAdmin}, true},
		{"escalation by insights user", roleAdmin, event.TypeEscalation, []string{"itil", roleInsights}, false},
		{"escalation by itil only", roleAdmin, event.TypeEscalation, []string{"itil"}, false},
		{"escalation without roles", roleAdmin, event.TypeEscalation, nil, false},
		{"escalation, role in other case", roleAdmin, event.TypeEscalation, []string{strings.ToUpper(roleAdmin)}, false},
		{"escalation, role prefix", roleAdmin, event.TypeEscalation, []string{"x_mioms_m365_assis.admin"}, false},
		{"escalation, role with suffix", roleAdmin, event.TypeEscalation, []string{roleAdmin + "_x"}, false},
		{"insights by insights user", roleInsights, event.TypeInsights, []string{"itil", roleInsights}, true},
		{"insights by admin only", roleInsights, event.TypeInsights, []string{roleAdmin}, false},
		{"insights by itil", roleInsights, event.TypeInsights, []string{"itil"}, false},
		{"custom role name", "u_m365_escalate", event.TypeEscalation, []string{"u_m365_escalate"}, true},
		{"custom role, app role not enough", "u_m365_escalate", event.TypeEscalation, []string{roleAdmin}, false},
		{"ServiceNow admin holds every role", roleAdmin, event.TypeEscalation, []string{"admin"}, true},
		{"admin, other case, is not admin", roleAdmin, event.TypeEscalation, []string{"Admin"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, tt.role)
			msg := message(tt.typ, "ev-"+strings.ReplaceAll(tt.name, " ", "-"), tt.roles...)
			if got := rolegate.Allowed(msg.Event, []string{tt.role}); got != tt.allowed {
				t.Fatalf("Allowed = %v, want %v", got, tt.allowed)
			}
			if err := e.gate.Handle(context.Background(), msg); err != nil {
				t.Fatalf("Handle: %v", err)
			}
			wantCalls, wantNotes, wantRefused := int32(1), 0, int64(0)
			if !tt.allowed {
				wantCalls, wantNotes, wantRefused = 0, 1, 1
			}
			if got := e.calls.Load(); got != wantCalls {
				t.Errorf("next called %d times, want %d", got, wantCalls)
			}
			if got := len(e.notes()); got != wantNotes {
				t.Errorf("%d work notes, want %d", got, wantNotes)
			}
			if got := e.refusedCount(t, tt.typ, tt.role); got != wantRefused {
				t.Errorf("%s = %d, want %d", rolegate.MetricRefused, got, wantRefused)
			}
		})
	}
}

func TestAllowedNil(t *testing.T) {
	if rolegate.Allowed(nil, []string{roleAdmin}) {
		t.Error("Allowed(nil) = true")
	}
	if rolegate.Allowed(message(event.TypeEscalation, "x", "").Event, []string{""}) {
		t.Error(`Allowed with role "" = true`)
	}
	if rolegate.Allowed(message(event.TypeEscalation, "x", "itil").Event, nil) {
		t.Error("Allowed with no roles = true")
	}
}

func TestRefusedOnceOnRedelivery(t *testing.T) {
	e := newEnv(t, roleAdmin)
	msg := message(event.TypeEscalation, "0c2a6e5d8b7f4a1e9c3d5b7a9e1f2c41", "itil", roleInsights)
	for delivery := 1; delivery <= 3; delivery++ {
		msg.NumDelivered = uint64(delivery)
		if err := e.gate.Handle(context.Background(), msg); err != nil {
			t.Fatalf("delivery %d: %v", delivery, err)
		}
	}
	if e.calls.Load() != 0 {
		t.Errorf("next called %d times for a refused event", e.calls.Load())
	}
	notes := e.notes()
	if len(notes) != 1 {
		t.Fatalf("%d work notes after 3 deliveries, want 1: %+v", len(notes), notes)
	}
	want := "Escalator refused the escalation request from beth.anglin: the user does not have the role " +
		roleAdmin + ". Ask a ServiceNow administrator to grant it."
	if !strings.HasPrefix(notes[0].Value, want) {
		t.Errorf("note = %q\nwant prefix %q", notes[0].Value, want)
	}
	if !strings.Contains(notes[0].Value, servicenow.Marker("refused-"+msg.Event.ID)) {
		t.Errorf("note %q lacks its marker", notes[0].Value)
	}
	if calls := e.sim.State().Calls; calls["PUT /subscriptions/{sub}/providers/Microsoft.Support/supportTickets/{name}"] != 0 {
		t.Errorf("a refused event reached Microsoft: %v", calls)
	}
}

func TestRefusalAuditLog(t *testing.T) {
	e := newEnv(t, roleAdmin)
	msg := message(event.TypeEscalation, "ev-audit", "itil")
	if err := e.gate.Handle(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	var line map[string]any
	if err := json.Unmarshal(e.logs.Bytes(), &line); err != nil {
		t.Fatalf("log %q: %v", e.logs, err)
	}
	for k, want := range map[string]string{
		"level": "WARN", "msg": "event refused: missing role", "user_name": "beth.anglin",
		"incident": sim.DefaultIncidentNumber, "event_id": "ev-audit", "type": event.TypeEscalation,
		"missing_role": roleAdmin, "work_note": "posted",
	} {
		if got, _ := line[k].(string); got != want {
			t.Errorf("log %s = %q, want %q", k, got, want)
		}
	}
	if strings.Contains(e.logs.String(), "secret body text") {
		t.Errorf("audit log carries the event body: %s", e.logs)
	}
}

func TestRefusalNoteFailureIsRetried(t *testing.T) {
	e := newEnv(t, roleAdmin)
	if err := e.sim.SetFaults(sim.Faults{Routes: map[string]sim.RouteFault{
		"GET /api/now/table/sys_journal_field": {Status: 503},
	}}); err != nil {
		t.Fatal(err)
	}
	msg := message(event.TypeEscalation, "ev-retry", "itil")
	err := e.gate.Handle(context.Background(), msg)
	if err == nil {
		t.Fatal("Handle succeeded while ServiceNow answered 503")
	}
	if c := fault.Classify(err); c != fault.Transient {
		t.Errorf("class = %v, want transient (%v)", c, err)
	}
	if e.calls.Load() != 0 || len(e.notes()) != 0 {
		t.Errorf("calls %d, notes %d after a failed refusal", e.calls.Load(), len(e.notes()))
	}
	if got := e.refusedCount(t, event.TypeEscalation, roleAdmin); got != 0 {
		t.Errorf("refusal counted %d times before it was settled", got)
	}

	e.sim.ClearFaults()
	if err := e.gate.Handle(context.Background(), msg); err != nil {
		t.Fatalf("redelivery: %v", err)
	}
	if got := len(e.notes()); got != 1 {
		t.Errorf("%d work notes after the redelivery, want 1", got)
	}
	if got := e.refusedCount(t, event.TypeEscalation, roleAdmin); got != 1 {
		t.Errorf("refusal counted %d times, want 1", got)
	}
}

func TestRefusalOfUnknownIncidentIsPermanent(t *testing.T) {
	e := newEnv(t, roleAdmin)
	msg := message(event.TypeEscalation, "ev-gone", "itil")
	msg.Event.Data.Incident.SysID = strings.Repeat("a", 32)
	err := e.gate.Handle(context.Background(), msg)
	if err == nil {
		t.Fatal("Handle succeeded for an incident that does not exist")
	}
	// The sim answers an empty journal for any sys_id; the PATCH then 404s.
	if !errors.Is(err, servicenow.ErrNotFound) || fault.Classify(err) != fault.Permanent {
		t.Errorf("err = %v (class %v), want a permanent not-found", err, fault.Classify(err))
	}
}

func TestNoteKey(t *testing.T) {
	tests := []struct {
		id   string
		want string
	}{
		{"0c2a6e5d8b7f4a1e9c3d5b7a9e1f2c40", "refused-0c2a6e5d8b7f4a1e9c3d5b7a9e1f2c40"},
		{"A-b_c.d:e", "refused-A-b_c.d:e"},
	}
	for _, tt := range tests {
		if got := rolegate.NoteKey(tt.id); got != tt.want {
			t.Errorf("NoteKey(%q) = %q, want %q", tt.id, got, tt.want)
		}
	}
	for _, id := range []string{"a^b", "a]b", "a\nb", "a%b", "a b", "a[escalator:x]"} {
		got := rolegate.NoteKey(id)
		if strings.ContainsAny(got, "^]\r\n% [") || !strings.HasPrefix(got, "refused-") || len(got) != len("refused-")+32 {
			t.Errorf("NoteKey(%q) = %q: not a safe hashed key", id, got)
		}
		if got == rolegate.NoteKey(id+"x") {
			t.Errorf("NoteKey(%q) collides with NoteKey(%q)", id, id+"x")
		}
	}
}

func TestNewValidates(t *testing.T) {
	next := worker.HandlerFunc(func(context.Context, *worker.Message) error { return nil })
	notes := noteWriterFunc(func(context.Context, string, string, string) (bool, error) { return true, nil })
	payload := rolegate.PayloadRoles{}
	tests := []struct {
		name string
		cfg  rolegate.Config
		next worker.Handler
	}{
		{"no role", rolegate.Config{Notes: notes, Source: payload}, next},
		{"an empty role", rolegate.Config{Roles: []string{roleAdmin, ""}, Notes: notes, Source: payload}, next},
		{"no source", rolegate.Config{Roles: []string{roleAdmin}, Notes: notes}, next},
		{"no notes", rolegate.Config{Roles: []string{roleAdmin}, Source: payload}, next},
		{"no next", rolegate.Config{Roles: []string{roleAdmin}, Notes: notes, Source: payload}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := rolegate.New(tt.cfg, tt.next); err == nil {
				t.Error("New succeeded")
			}
		})
	}
	g, err := rolegate.New(rolegate.Config{Roles: []string{roleAdmin}, Notes: notes, Source: payload}, next)
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Handle(context.Background(), &worker.Message{}); fault.Classify(err) != fault.Permanent {
		t.Errorf("message without event: %v, want a permanent error", err)
	}
}

// noteWriterFunc adapts a function to rolegate.NoteWriter, for the
// validation test only (the behaviour tests use the simulator).
type noteWriterFunc func(ctx context.Context, sysID, key, text string) (bool, error)

func (f noteWriterFunc) AddWorkNoteOnce(ctx context.Context, sysID, key, text string) (bool, error) {
	return f(ctx, sysID, key, text)
}
