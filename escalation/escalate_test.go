package escalation_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/escalator/escalator/escalation"
	"github.com/escalator/escalator/internal/azuresupport"
	"github.com/escalator/escalator/internal/event"
	"github.com/escalator/escalator/internal/fault"
	"github.com/escalator/escalator/internal/servicenow"
	"github.com/escalator/escalator/internal/testkit/sim"
	"github.com/escalator/escalator/worker"
)

const createRoute = "PUT /subscriptions/{sub}/providers/Microsoft.Support/supportTickets/{name}"

func TestEscalateOpensOneCase(t *testing.T) {
	e, h := newLinkedEscalate(t)
	ctx := context.Background()
	if err := h.Handle(ctx, message(escalationEvent("evt-1"))); err != nil {
		t.Fatal(err)
	}
	tickets := e.ticketsFor(sim.DefaultIncidentSysID)
	if len(tickets) != 1 {
		t.Fatalf("tickets = %d, want 1", len(tickets))
	}
	tk := tickets[0]
	p := tk.Properties
	if tk.Name != azuresupport.TicketName(sim.DefaultIncidentSysID, 0) {
		t.Errorf("ticket name = %s", tk.Name)
	}
	cd := p.ContactDetails
	for _, c := range []struct{ field, got, want string }{
		{"title", p.Title, "Outlook cannot connect to Exchange Online for the finance floor"},
		{"severity", p.Severity, "critical"}, // priority 1
		{"consent", p.AdvancedDiagnosticConsent, "No"},
		{"service", p.ServiceID, sim.Microsoft365ServiceID},
		{"first name", cd.FirstName, "MOD"},
		{"last name", cd.LastName, "Administrator"},
		{"email", cd.PrimaryEmailAddress, sim.DefaultAdminUPN},
		{"method", cd.PreferredContactMethod, "email"},
		{"time zone", cd.PreferredTimeZone, "UTC"},
		{"language", cd.PreferredSupportLanguage, "en-us"},
		{"country", cd.Country, "USA"},
	} {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.field, c.got, c.want)
		}
	}
	for _, want := range []string{"Trying to connect", "ServiceNow incident INC0010023", "https://contoso.service-now.com/nav_to.do?uri=incident.do%3Fsys_id%3D" + sim.DefaultIncidentSysID} {
		if !strings.Contains(p.Description, want) {
			t.Errorf("description %q lacks %q", p.Description, want)
		}
	}
	c := e.caseOf(t, sim.DefaultIncidentSysID)
	if c.State != escalation.CaseOpen || c.CaseID != p.SupportTicketID || c.EventID != "evt-1" || c.Contact != sim.DefaultAdminUPN {
		t.Errorf("case = %+v", c)
	}
	inc, _ := e.sim.Incident(sim.DefaultIncidentSysID)
	if inc["correlation_id"] != p.SupportTicketID {
		t.Errorf("correlation_id = %q, want %q", inc["correlation_id"], p.SupportTicketID)
	}
	want := "Escalated to Microsoft support as case " + p.SupportTicketID + " (ticket " + tk.Name + ", severity critical, contact MOD Administrator <admin@contoso.onmicrosoft.com>)."
	if n := e.notesContaining(t, sim.DefaultIncidentSysID, want); n != 1 {
		t.Errorf("case notes = %d, want 1; notes %q", n, e.notes(t, sim.DefaultIncidentSysID))
	}
}

// TestEscalateRedeliveryAndDuplicates: a redelivery of the finished
// escalation does nothing; another request for the same incident only
// notes the case, once.
func TestEscalateRedeliveryAndDuplicates(t *testing.T) {
	e, h := newLinkedEscalate(t)
	ctx := context.Background()
	first := escalationEvent("evt-1")
	if err := h.Handle(ctx, message(first)); err != nil {
		t.Fatal(err)
	}
	notesBefore := len(e.notes(t, sim.DefaultIncidentSysID))
	e.sim.ResetCalls()
	for i := 0; i < 3; i++ {
		if err := h.Handle(ctx, message(first)); err != nil {
			t.Fatalf("redelivery %d: %v", i, err)
		}
	}
	// Each redelivery reads the incident back, and does nothing else.
	calls := e.sim.State().Calls
	delete(calls, "GET /api/now/table/incident/{sys_id}")
	if len(calls) != 0 {
		t.Errorf("a redelivery of a finished escalation called out: %v", calls)
	}
	dup := escalationEvent("evt-2")
	for i := 0; i < 2; i++ {
		if err := h.Handle(ctx, message(dup)); err != nil {
			t.Fatalf("duplicate %d: %v", i, err)
		}
	}
	if n := len(e.ticketsFor(sim.DefaultIncidentSysID)); n != 1 {
		t.Errorf("tickets = %d, want 1", n)
	}
	if e.sim.Calls(createRoute) != 0 {
		t.Errorf("a duplicate request tried to create a ticket")
	}
	c := e.caseOf(t, sim.DefaultIncidentSysID)
	if n := e.notesContaining(t, sim.DefaultIncidentSysID, "already escalated to Microsoft support as case "+c.CaseID); n != 1 {
		t.Errorf("already-escalated notes = %d, want 1", n)
	}
	if got := len(e.notes(t, sim.DefaultIncidentSysID)); got != notesBefore+1 {
		t.Errorf("notes = %d, want %d", got, notesBefore+1)
	}
	if c.EventID != "evt-1" {
		t.Errorf("case event = %s, want evt-1", c.EventID)
	}
}

// TestEscalateConcurrentRequests: many requests for one incident at once,
// each retried like the worker does on a transient error, open one case.
func TestEscalateConcurrentRequests(t *testing.T) {
	e, h := newLinkedEscalate(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 6)
	for i := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			msg := message(escalationEvent("evt-" + string(rune('a'+i))))
			for attempt := 0; ; attempt++ {
				err := h.Handle(ctx, msg)
				if err == nil {
					return
				}
				if fault.Classify(err) == fault.Permanent || attempt == 20 {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := len(e.ticketsFor(sim.DefaultIncidentSysID)); n != 1 {
		t.Errorf("tickets = %d, want 1", n)
	}
	if n := e.notesContaining(t, sim.DefaultIncidentSysID, "Escalated to Microsoft support as case"); n != 1 {
		t.Errorf("case notes = %d, want 1", n)
	}
	if c := e.caseOf(t, sim.DefaultIncidentSysID); c.State != escalation.CaseOpen {
		t.Errorf("case = %+v", c)
	}
}

// crashOnce fails the first call of the chosen step, after (or instead of)
// doing it: the process died there.
type crashOnce struct {
	escalation.SupportAPI
	escalation.IncidentWriter
	step string // "create" (ticket made, answer lost), "patch", "note" (note posted, then crash)
	mu   sync.Mutex
	done bool
}

var errCrash = errors.New("injected crash")

func (c *crashOnce) crash(step string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.step != step || c.done {
		return false
	}
	c.done = true
	return true
}

func (c *crashOnce) CreateTicket(ctx context.Context, name string, p azuresupport.TicketProperties) (azuresupport.Ticket, error) {
	t, err := c.SupportAPI.CreateTicket(ctx, name, p)
	if err == nil && c.crash("create") {
		return azuresupport.Ticket{}, errCrash
	}
	return t, err
}

func (c *crashOnce) PatchIncident(ctx context.Context, sysID string, f map[string]string) (servicenow.Incident, error) {
	if c.crash("patch") {
		return servicenow.Incident{}, errCrash
	}
	return c.IncidentWriter.PatchIncident(ctx, sysID, f)
}

func (c *crashOnce) AddWorkNoteOnce(ctx context.Context, sysID, key, text string) (bool, error) {
	posted, err := c.IncidentWriter.AddWorkNoteOnce(ctx, sysID, key, text)
	if err == nil && strings.HasPrefix(key, "case-") && c.crash("note") {
		return false, errCrash
	}
	return posted, err
}

func TestEscalateCrashConvergesOnRedelivery(t *testing.T) {
	for _, step := range []string{"create", "patch", "note"} {
		t.Run(step, func(t *testing.T) {
			e := newTestEnv(t)
			e.linkAdmin(t)
			cfg := e.escalateConfig()
			crash := &crashOnce{SupportAPI: e.support, IncidentWriter: e.snow, step: step}
			cfg.Support, cfg.Notes = crash, crash
			h := newEscalate(t, cfg)
			ctx := context.Background()
			msg := message(escalationEvent("evt-1"))
			err := h.Handle(ctx, msg)
			if !errors.Is(err, errCrash) || fault.Classify(err) != fault.Transient {
				t.Fatalf("first delivery = %v, want the transient crash", err)
			}
			if c := e.caseOf(t, sim.DefaultIncidentSysID); c.State != escalation.CasePending {
				t.Errorf("after the crash the case is %s, want pending", c.State)
			}
			msg.NumDelivered++
			if err := h.Handle(ctx, msg); err != nil {
				t.Fatalf("redelivery: %v", err)
			}
			if err := h.Handle(ctx, msg); err != nil {
				t.Fatalf("second redelivery: %v", err)
			}
			tickets := e.ticketsFor(sim.DefaultIncidentSysID)
			if len(tickets) != 1 {
				t.Fatalf("tickets = %d, want 1", len(tickets))
			}
			id := tickets[0].Properties.SupportTicketID
			if n := e.notesContaining(t, sim.DefaultIncidentSysID, "Escalated to Microsoft support as case "+id); n != 1 {
				t.Errorf("case notes = %d, want 1", n)
			}
			if c := e.caseOf(t, sim.DefaultIncidentSysID); c.State != escalation.CaseOpen || c.CaseID != id {
				t.Errorf("case = %+v", c)
			}
			if inc, _ := e.sim.Incident(sim.DefaultIncidentSysID); inc["correlation_id"] != id {
				t.Errorf("correlation_id = %q, want %q", inc["correlation_id"], id)
			}
		})
	}
}

func TestEscalateWithoutLinkedAccount(t *testing.T) {
	e := newTestEnv(t)
	h := newEscalate(t, e.escalateConfig())
	ctx := context.Background()
	msg := message(escalationEvent("evt-1"))
	for i := 0; i < 2; i++ {
		err := h.Handle(ctx, msg)
		if !errors.Is(err, escalation.ErrNoAccount) || fault.Classify(err) != fault.Permanent {
			t.Fatalf("delivery %d: err = %v, want permanent ErrNoAccount", i, err)
		}
	}
	if n := e.notesContaining(t, sim.DefaultIncidentSysID, "no Microsoft 365 admin account is linked"); n != 1 {
		t.Errorf("no-account notes = %d, want 1", n)
	}
	if n := e.notesContaining(t, sim.DefaultIncidentSysID, "escalator account link EMAIL"); n != 1 {
		t.Errorf("the note does not say how to link an account")
	}
	if n := len(e.sim.State().Tickets); n != 0 {
		t.Errorf("tickets = %d, want 0", n)
	}
	// Once an account is linked, the dead letter's replay opens the case.
	e.linkAdmin(t)
	if err := h.Handle(ctx, msg); err != nil {
		t.Fatalf("replay after linking: %v", err)
	}
	if n := len(e.ticketsFor(sim.DefaultIncidentSysID)); n != 1 {
		t.Errorf("tickets = %d, want 1", n)
	}
}

func TestEscalateTestEnvironment(t *testing.T) {
	e := newTestEnv(t)
	e.linkAdmin(t)
	cfg := e.escalateConfig()
	cfg.TestEnvironment = true
	cfg.CaseField = "u_microsoft_case"
	if err := newEscalate(t, cfg).Handle(context.Background(), message(escalationEvent("evt-1"))); err != nil {
		t.Fatal(err)
	}
	tickets := e.ticketsFor(sim.DefaultIncidentSysID)
	if len(tickets) != 1 {
		t.Fatalf("tickets = %d", len(tickets))
	}
	p := tickets[0].Properties
	if !strings.HasPrefix(p.Title, "[TEST] ") || p.Severity != "minimal" {
		t.Errorf("title %q severity %q, want a [TEST] title and minimal severity", p.Title, p.Severity)
	}
	inc, _ := e.sim.Incident(sim.DefaultIncidentSysID)
	if inc["u_microsoft_case"] != p.SupportTicketID || inc["correlation_id"] == p.SupportTicketID {
		t.Errorf("case field: u_microsoft_case=%q correlation_id=%q", inc["u_microsoft_case"], inc["correlation_id"])
	}
	if n := e.notesContaining(t, sim.DefaultIncidentSysID, "test environment"); n != 1 {
		t.Errorf("the case note does not say it is a test")
	}
}

func TestEscalateFromEscalationBlock(t *testing.T) {
	e := newTestEnv(t)
	e.linkAdmin(t)
	ev := escalationEvent("evt-1")
	ev.Data.Escalation = &event.Escalation{
		Title:       "Mailbox moves stuck",
		Description: "Moves to Exchange Online stay queued since Monday.",
		Severity:    "Moderate",
		Contact: &event.Contact{
			FirstName: "Ignored", Email: "ignored@contoso.com",
			PreferredContactMethod: "phone", Phone: "+49 30 1234567",
			TimeZone: "W. Europe Standard Time", Language: "de-DE", Country: "de",
		},
	}
	if err := newEscalate(t, e.escalateConfig()).Handle(context.Background(), message(ev)); err != nil {
		t.Fatal(err)
	}
	p := e.ticketsFor(sim.DefaultIncidentSysID)[0].Properties
	cd := p.ContactDetails
	if p.Title != "Mailbox moves stuck" || p.Severity != "moderate" || !strings.HasPrefix(p.Description, "Moves to Exchange Online") ||
		!strings.Contains(p.Description, "INC0010023") {
		t.Errorf("properties = %+v", p)
	}
	if cd.FirstName != "MOD" || cd.PrimaryEmailAddress != sim.DefaultAdminUPN || cd.PreferredContactMethod != "phone" ||
		cd.PhoneNumber != "+49 30 1234567" || cd.PreferredTimeZone != "W. Europe Standard Time" ||
		cd.PreferredSupportLanguage != "de-de" || cd.Country != "DEU" {
		t.Errorf("contact = %+v", cd)
	}
}

// TestEscalateSeverity: the severity follows the priority ServiceNow holds
// (not the event's), or the block; highestcriticalimpact only when allowed.
func TestEscalateSeverity(t *testing.T) {
	tests := []struct {
		name, priority, sent, block string
		allowHighest                bool
		want                        string
		lowered                     bool
	}{
		{"priority 1", "1", "1", "", false, "critical", false},
		{"priority 2", "2", "2", "", false, "moderate", false},
		{"priority 4", "4", "4", "", false, "minimal", false},
		{"the event's priority is not believed", "4", "1", "", false, "minimal", false},
		{"block wins", "4", "4", "critical", false, "critical", false},
		{"unknown block falls back", "2", "2", "urgent!!", false, "moderate", false},
		{"highest lowered to critical", "1", "1", "highestcriticalimpact", false, "critical", true},
		{"highest when allowed", "1", "1", "HighestCriticalImpact", true, "highestcriticalimpact", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t)
			e.linkAdmin(t)
			ctx := context.Background()
			if _, err := e.snow.PatchIncident(ctx, sim.DefaultIncidentSysID, map[string]string{"priority": tt.priority}); err != nil {
				t.Fatal(err)
			}
			ev := escalationEvent("evt-1")
			ev.Data.Incident.Priority = tt.sent
			if tt.block != "" {
				ev.Data.Escalation = &event.Escalation{Severity: tt.block, Contact: &event.Contact{Phone: testPhone}}
			}
			cfg := e.escalateConfig()
			cfg.AllowHighestSeverity = tt.allowHighest
			if err := newEscalate(t, cfg).Handle(ctx, message(ev)); err != nil {
				t.Fatal(err)
			}
			if got := e.ticketsFor(sim.DefaultIncidentSysID)[0].Properties.Severity; got != tt.want {
				t.Errorf("severity = %s, want %s", got, tt.want)
			}
			if n := e.notesContaining(t, sim.DefaultIncidentSysID, "ESCALATOR_ALLOW_HIGHEST_SEVERITY is off"); (n == 1) != tt.lowered {
				t.Errorf("notes saying the severity was lowered: %d, want lowered=%v", n, tt.lowered)
			}
		})
	}
}

// TestEscalateGhostIncident: an escalation of an incident ServiceNow does
// not have opens no case, writes nothing, and is acked as refused.
func TestEscalateGhostIncident(t *testing.T) {
	e := newTestEnv(t)
	e.linkAdmin(t)
	ev := escalationEvent("evt-ghost")
	ev.Data.Incident.SysID = "deadbeefdeadbeefdeadbeefdeadbeef"
	ev.Data.Escalation = &event.Escalation{Severity: "highestcriticalimpact"}
	msg := message(ev)
	if err := newEscalate(t, e.escalateConfig()).Handle(context.Background(), msg); err != nil {
		t.Fatalf("Handle: %v, want nil (acked)", err)
	}
	if n := len(e.sim.State().Tickets); n != 0 {
		t.Fatalf("%d tickets for an incident that does not exist", n)
	}
	if _, _, err := e.cases.Get(context.Background(), ev.Data.Incident.SysID); !errors.Is(err, escalation.ErrNoCase) {
		t.Fatalf("a case record was claimed for a ghost incident: %v", err)
	}
	res, _ := msg.Result()
	want := "Refused: incident deadbeefdeadbeefdeadbeefdeadbeef does not exist in ServiceNow"
	if res.State != worker.ResultRefused || res.Text != want {
		t.Fatalf("result %+v, want refused %q", res, want)
	}
}

// TestEscalateUsesServiceNowsIncident: the ticket's title and description
// are the incident's as ServiceNow holds it, not the event's copy.
func TestEscalateUsesServiceNowsIncident(t *testing.T) {
	e := newTestEnv(t)
	e.linkAdmin(t)
	held, err := e.snow.GetIncident(context.Background(), sim.DefaultIncidentSysID)
	if err != nil {
		t.Fatal(err)
	}
	ev := escalationEvent("evt-forged-text")
	ev.Data.Incident.Number = "INC9999999"
	ev.Data.Incident.ShortDescription = "Forged title"
	ev.Data.Incident.Description = "Forged description"
	msg := message(ev)
	if err := newEscalate(t, e.escalateConfig()).Handle(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	p := e.ticketsFor(sim.DefaultIncidentSysID)[0].Properties
	if p.Title != held.ShortDescription || strings.Contains(p.Description, "Forged") ||
		!strings.Contains(p.Description, "ServiceNow incident "+held.Number) {
		t.Fatalf("ticket title %q, description %q: want ServiceNow's incident %s", p.Title, p.Description, held.Number)
	}
	c := e.caseOf(t, sim.DefaultIncidentSysID)
	res, _ := msg.Result()
	want := "Escalated as Microsoft case " + c.CaseID + " (ticket " + c.TicketName + ")"
	if res.State != worker.ResultDone || res.Text != want {
		t.Fatalf("result %+v, want done %q", res, want)
	}
}

func TestNewEscalateHandlerValidates(t *testing.T) {
	e := newTestEnv(t)
	for name, mod := range map[string]func(*escalation.EscalateConfig){
		"no cases":      func(c *escalation.EscalateConfig) { c.Cases = nil },
		"no accounts":   func(c *escalation.EscalateConfig) { c.Accounts = nil },
		"no support":    func(c *escalation.EscalateConfig) { c.Support = nil },
		"no notes":      func(c *escalation.EscalateConfig) { c.Notes = nil },
		"no incidents":  func(c *escalation.EscalateConfig) { c.Incidents = nil },
		"no service":    func(c *escalation.EscalateConfig) { c.ServiceID = "" },
		"no classifier": func(c *escalation.EscalateConfig) { c.ProblemClassificationID = "" },
	} {
		cfg := e.escalateConfig()
		mod(&cfg)
		if _, err := escalation.NewEscalateHandler(cfg); err == nil {
			t.Errorf("%s: NewEscalateHandler succeeded", name)
		}
	}
	if _, err := escalation.NewEscalateHandler(e.escalateConfig()); err != nil {
		t.Errorf("valid config: %v", err)
	}
}

func TestEscalateRefusesBadEvents(t *testing.T) {
	_, h := newLinkedEscalate(t)
	bad := escalationEvent("evt-1")
	bad.Data.Incident.SysID = "../etc"
	noID := escalationEvent("")
	for name, ev := range map[string]*event.Event{"bad sys_id": bad, "no id": noID} {
		if err := h.Handle(context.Background(), message(ev)); fault.Classify(err) != fault.Permanent || err == nil {
			t.Errorf("%s: err = %v, want permanent", name, err)
		}
	}
}

// holdTicket parks the first GetTicket until released, and records the
// work-note keys asked for.
type holdTicket struct {
	escalation.SupportAPI
	escalation.IncidentWriter
	entered, release chan struct{}
	once             sync.Once
	mu               sync.Mutex
	noteKeys         []string
}

func (h *holdTicket) GetTicket(ctx context.Context, name string) (azuresupport.Ticket, error) {
	h.once.Do(func() { close(h.entered); <-h.release })
	return h.SupportAPI.GetTicket(ctx, name)
}

func (h *holdTicket) AddWorkNoteOnce(ctx context.Context, sysID, key, text string) (bool, error) {
	h.mu.Lock()
	h.noteKeys = append(h.noteKeys, key)
	h.mu.Unlock()
	return h.IncidentWriter.AddWorkNoteOnce(ctx, sysID, key, text)
}

// A request whose pending claim another request took over while it was
// resuming stops before the case note: two claimants past the note's
// check at once would each write one.
func TestEscalateTakenOverWritesNoCaseNote(t *testing.T) {
	e := newTestEnv(t)
	e.linkAdmin(t)
	ctx := context.Background()
	cfg := e.escalateConfig()
	crash := &crashOnce{SupportAPI: e.support, IncidentWriter: e.snow, step: "patch"}
	cfg.Support, cfg.Notes = crash, crash
	msgA := message(escalationEvent("evt-a"))
	if err := newEscalate(t, cfg).Handle(ctx, msgA); !errors.Is(err, errCrash) {
		t.Fatalf("first delivery = %v, want the crash after the ticket was recorded", err)
	}

	hold := &holdTicket{SupportAPI: e.support, IncidentWriter: e.snow, entered: make(chan struct{}), release: make(chan struct{})}
	cfg = e.escalateConfig()
	cfg.Support, cfg.Notes = hold, hold
	resumed := make(chan error, 1)
	msgA.NumDelivered++
	go func() { resumed <- newEscalate(t, cfg).Handle(ctx, msgA) }()
	<-hold.entered // evt-a resumes its case and reads the ticket ...

	if err := newEscalate(t, e.escalateConfig()).Handle(ctx, message(escalationEvent("evt-b"))); err != nil {
		t.Fatalf("evt-b taking over: %v", err) // ... while evt-b takes the claim over and finishes
	}
	close(hold.release)
	if err := <-resumed; !errors.Is(err, escalation.ErrCaseConflict) {
		t.Fatalf("evt-a after the takeover = %v, want the lost claim (ErrCaseConflict)", err)
	}
	for _, k := range hold.noteKeys {
		if strings.HasPrefix(k, "case-") {
			t.Errorf("evt-a, no longer the claimant, asked for the case note %s", k)
		}
	}
	if n := e.notesContaining(t, sim.DefaultIncidentSysID, "Escalated to Microsoft support as case"); n != 1 {
		t.Errorf("case notes = %d, want 1", n)
	}
}
