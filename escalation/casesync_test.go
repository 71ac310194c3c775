package escalation_test

import (
	"context"
	"strings"
	"testing"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/escalator/escalator/escalation"
	"github.com/escalator/escalator/internal/azuresupport"
	"github.com/escalator/escalator/internal/servicenow"
	"github.com/escalator/escalator/internal/testkit/metrictest"
	"github.com/escalator/escalator/internal/testkit/sim"
)

// openCase escalates the seeded incident and returns its case.
func openCase(t *testing.T, e *testEnv) escalation.Case {
	t.Helper()
	e.linkAdmin(t)
	if err := newEscalate(t, e.escalateConfig()).Handle(context.Background(), message(escalationEvent("esc-1"))); err != nil {
		t.Fatalf("escalate: %v", err)
	}
	c := e.caseOf(t, sim.DefaultIncidentSysID)
	if c.State != escalation.CaseOpen {
		t.Fatalf("case %+v not open", c)
	}
	return c
}

func (e *testEnv) caseSync(t *testing.T) *escalation.CaseSync {
	t.Helper()
	s, err := escalation.NewCaseSync(escalation.CaseSyncConfig{
		Cases: e.cases, Support: e.support, Notes: e.snow, Leases: e.res.Leases, Rate: 1000,
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func runCaseSync(t *testing.T, s *escalation.CaseSync) escalation.CaseSyncResult {
	t.Helper()
	r, err := s.RunOnce(context.Background(), nil)
	if err != nil {
		t.Fatalf("case sync: %v", err)
	}
	return r
}

func TestCaseSyncStatusRepliesAndClose(t *testing.T) {
	e := newTestEnv(t)
	c := openCase(t, e)
	s := e.caseSync(t)
	sysID := sim.DefaultIncidentSysID

	if r := runCaseSync(t, s); r.Cases != 1 || r.Notes != 0 {
		t.Fatalf("first run on an unchanged open case did %+v", r)
	}

	// A reply from Microsoft: one note, once.
	if _, err := e.sim.AddMicrosoftCommunication(c.TicketName, "ms-reply-1", "RE: Outlook", "Please send the logs.", ""); err != nil {
		t.Fatal(err)
	}
	// Our own message on the case is not copied back.
	if _, err := e.support.CreateCommunication(context.Background(), c.TicketName, "escalator-own-1", azuresupport.Communication{
		Subject: "Update", Body: "A note from ServiceNow", Sender: sim.DefaultAdminUPN}); err != nil {
		t.Fatal(err)
	}
	if r := runCaseSync(t, s); r.Notes != 1 {
		t.Fatalf("reply run posted %d notes", r.Notes)
	}
	if r := runCaseSync(t, s); r.Notes != 0 {
		t.Fatalf("second reply run posted %d notes", r.Notes)
	}
	if n := e.notesContaining(t, sysID, "Please send the logs."); n != 1 {
		t.Fatalf("reply noted %d times", n)
	}
	if n := e.notesContaining(t, sysID, "A note from ServiceNow"); n != 0 {
		t.Fatalf("our own message copied %d times", n)
	}
	if got := e.caseOf(t, sysID).SeenCommunications; len(got) != 1 || got[0] != "ms-reply-1" {
		t.Fatalf("seen communications %v", got)
	}

	// A status change: one note.
	if err := e.sim.SetTicketStatus(c.TicketName, "Updating"); err != nil {
		t.Fatal(err)
	}
	if r := runCaseSync(t, s); r.Notes != 1 {
		t.Fatalf("status run posted %d notes", r.Notes)
	}
	runCaseSync(t, s)
	if n := e.notesContaining(t, sysID, "changed status from Open to Updating"); n != 1 {
		t.Fatalf("status change noted %d times", n)
	}

	// Closed by Microsoft: note, case field, case closed; then nothing.
	if _, err := e.snow.PatchIncident(context.Background(), sysID, map[string]string{"correlation_id": ""}); err != nil {
		t.Fatal(err)
	}
	if err := e.sim.SetTicketStatus(c.TicketName, "Closed"); err != nil {
		t.Fatal(err)
	}
	if r := runCaseSync(t, s); r.Notes != 1 || r.Closed != 1 {
		t.Fatalf("close run did %+v", r)
	}
	if n := e.notesContaining(t, sysID, "Microsoft support closed case "+c.CaseID); n != 1 {
		t.Fatalf("close noted %d times", n)
	}
	inc, _ := e.sim.Incident(sysID)
	if inc["correlation_id"] != c.CaseID {
		t.Fatalf("case field %q, want %q", inc["correlation_id"], c.CaseID)
	}
	if got := e.caseOf(t, sysID); got.State != escalation.CaseClosed || !strings.EqualFold(got.LastStatus, "closed") {
		t.Fatalf("case %+v", got)
	}
	if r := runCaseSync(t, s); r.Cases != 0 {
		t.Fatalf("a closed case was synced: %+v", r)
	}
}

func TestCaseSyncNoteOnceAfterALostRecord(t *testing.T) {
	e := newTestEnv(t)
	c := openCase(t, e)
	s := e.caseSync(t)
	if _, err := e.sim.AddMicrosoftCommunication(c.TicketName, "ms-reply-1", "", "Reply one", ""); err != nil {
		t.Fatal(err)
	}
	runCaseSync(t, s)
	// The run crashed after the note, before the record: put the record back.
	cur, rev, err := e.cases.Get(context.Background(), c.SysID)
	if err != nil {
		t.Fatal(err)
	}
	cur.SeenCommunications = nil
	if _, err := e.cases.Update(context.Background(), cur, rev); err != nil {
		t.Fatal(err)
	}
	if r := runCaseSync(t, s); r.Notes != 0 {
		t.Fatalf("the marker must stop a second note, posted %d", r.Notes)
	}
	if n := e.notesContaining(t, c.SysID, "Reply one"); n != 1 {
		t.Fatalf("reply noted %d times", n)
	}
	if got := e.caseOf(t, c.SysID).SeenCommunications; len(got) != 1 {
		t.Fatalf("the record was not repaired: %v", got)
	}
	if !strings.Contains(strings.Join(e.notes(t, c.SysID), "\n"), servicenow.Marker("case-comm-"+c.TicketName+"-ms-reply-1")) {
		t.Fatalf("note without its marker")
	}
}

func TestNewCaseSyncValidates(t *testing.T) {
	e := newTestEnv(t)
	ok := escalation.CaseSyncConfig{Cases: e.cases, Support: e.support, Notes: e.snow, Leases: e.res.Leases}
	tests := []struct {
		name string
		mod  func(*escalation.CaseSyncConfig)
	}{
		{"no cases", func(c *escalation.CaseSyncConfig) { c.Cases = nil }},
		{"no support", func(c *escalation.CaseSyncConfig) { c.Support = nil }},
		{"no notes", func(c *escalation.CaseSyncConfig) { c.Notes = nil }},
		{"no lease bucket", func(c *escalation.CaseSyncConfig) { c.Leases = nil }},
		{"negative rate", func(c *escalation.CaseSyncConfig) { c.Rate = -1 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := ok
			tt.mod(&cfg)
			if _, err := escalation.NewCaseSync(cfg); err == nil {
				t.Fatal("want an error")
			}
		})
	}
	if _, err := escalation.NewCaseSync(ok); err != nil {
		t.Fatalf("valid config: %v", err)
	}
}

func TestCaseSyncMetricsAndSpan(t *testing.T) {
	e := newTestEnv(t)
	c := openCase(t, e)
	reader := sdkmetric.NewManualReader()
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	s, err := escalation.NewCaseSync(escalation.CaseSyncConfig{
		Cases: e.cases, Support: e.support, Notes: e.snow, Leases: e.res.Leases, Rate: 1000,
		MeterProvider: sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader)), TracerProvider: tp,
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.sim.AddMicrosoftCommunication(c.TicketName, "", "", "Reply", ""); err != nil {
		t.Fatal(err)
	}
	if err := e.sim.SetTicketStatus(c.TicketName, "Updating"); err != nil {
		t.Fatal(err)
	}
	ctx, parent := tp.Tracer("test").Start(context.Background(), "process escalator.tick.cases")
	if _, err := s.RunOnce(ctx, nil); err != nil {
		t.Fatal(err)
	}
	parent.End()
	got := metrictest.Sums(t, reader)
	if got["escalator.cases.synced"] != 1 || got["escalator.cases.updates_posted"] != 2 {
		t.Fatalf("metrics %v", got)
	}
	var found bool
	for _, sp := range exp.GetSpans() {
		if sp.Name == "case sync" {
			found = sp.Parent.SpanID() == parent.SpanContext().SpanID()
		}
	}
	if !found {
		t.Fatal("no case sync span under the consumer span")
	}
}
