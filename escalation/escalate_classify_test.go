package escalation_test

import (
	"context"
	"testing"

	"github.com/escalator/escalator/escalation"
	"github.com/escalator/escalator/internal/azuresupport"
	"github.com/escalator/escalator/internal/fault"
	"github.com/escalator/escalator/internal/testkit/sim"
	"github.com/escalator/escalator/worker"
)

const (
	classifyServicesRoute = "POST /subscriptions/{sub}/providers/Microsoft.Support/classifyServices"
	classifyProblemsRoute = "POST /subscriptions/{sub}/providers/Microsoft.Support/services/{service}/classifyProblems"
	teamsPC               = sim.Microsoft365ServiceID + "/problemClassifications/61f3b8c2-9e4d-4d7a-a2c5-8b1e6f0d3a79"
	configuredNote        = "the configured ESCALATOR_SUPPORT_SERVICE_ID and ESCALATOR_SUPPORT_PROBLEM_CLASSIFICATION_ID: "
)

// describe sets the seeded incident's text at ServiceNow: what the
// escalation reads back and classifies.
func (e *testEnv) describe(t *testing.T, short, desc string) {
	t.Helper()
	if _, err := e.snow.PatchIncident(context.Background(), sim.DefaultIncidentSysID,
		map[string]string{"short_description": short, "description": desc}); err != nil {
		t.Fatal(err)
	}
}

// wantConfiguredIDs fails the test unless the seeded incident's ticket is
// filed under the configured service and problem classification.
func (e *testEnv) wantConfiguredIDs(t *testing.T) {
	t.Helper()
	p := e.ticketsFor(sim.DefaultIncidentSysID)[0].Properties
	if p.ServiceID != sim.Microsoft365ServiceID || p.ProblemClassificationID != sim.Microsoft365ProblemClassificationID {
		t.Fatalf("ticket filed under %s / %s, want the configured ids", p.ServiceID, p.ProblemClassificationID)
	}
}

// wantOneNote reports an error unless exactly one of the seeded incident's
// work notes contains want.
func (e *testEnv) wantOneNote(t *testing.T, want string) {
	t.Helper()
	if n := e.notesContaining(t, sim.DefaultIncidentSysID, want); n != 1 {
		t.Errorf("notes %q, want one with %q", e.notes(t, sim.DefaultIncidentSysID), want)
	}
}

// classifying is the environment's handler configuration with the Support
// client as its classifier.
func (e *testEnv) classifying() escalation.EscalateConfig {
	cfg := e.escalateConfig()
	cfg.Classifier = e.support
	return cfg
}

// TestEscalateClassifiesTheIncident: the ticket's service and problem
// classification are what classification chose for the incident's text,
// and the case note says which and why.
func TestEscalateClassifiesTheIncident(t *testing.T) {
	tests := []struct {
		name, short, desc   string
		service, problem    string
		serviceName, pcName string
	}{
		{"Teams", "Teams meetings drop after five minutes", "Calls in Teams end for the whole floor.",
			sim.Microsoft365ServiceID, teamsPC, "Microsoft 365 (Office 365)", "Microsoft Teams / Meetings, calls and chat"},
		{"Entra sign-in", "Users are asked for MFA at every sign-in", "",
			"/providers/Microsoft.Support/services/e6b2c4d8-3f1a-4b5c-9d7e-2a8f0c6e4b19",
			"/providers/Microsoft.Support/services/e6b2c4d8-3f1a-4b5c-9d7e-2a8f0c6e4b19/problemClassifications/b7d1e3f5-2a4c-4e6b-8d0f-1c3e5a7b9d24",
			"Microsoft Entra ID", "Sign-in and multifactor authentication"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t)
			e.linkAdmin(t)
			e.describe(t, tt.short, tt.desc)
			if err := newEscalate(t, e.classifying()).Handle(context.Background(), message(escalationEvent("evt-1"))); err != nil {
				t.Fatal(err)
			}
			p := e.ticketsFor(sim.DefaultIncidentSysID)[0].Properties
			if p.ServiceID != tt.service || p.ProblemClassificationID != tt.problem {
				t.Fatalf("ticket filed under %s / %s, want %s / %s", p.ServiceID, p.ProblemClassificationID, tt.service, tt.problem)
			}
			want := "Microsoft support service: " + tt.serviceName + "; problem classification: " + tt.pcName +
				", chosen by the Azure Support API's classification of the incident's short description and description."
			e.wantOneNote(t, want)
			if e.sim.Calls(classifyServicesRoute) != 1 || e.sim.Calls(classifyProblemsRoute) != 1 {
				t.Errorf("classification calls %d, %d; want 1 each", e.sim.Calls(classifyServicesRoute), e.sim.Calls(classifyProblemsRoute))
			}
		})
	}
}

// TestEscalateClassificationFallsBack: with nothing classified, or a
// classification refused (permanent), the case opens at once with the
// configured ids and the note says why.
func TestEscalateClassificationFallsBack(t *testing.T) {
	tests := []struct {
		name       string
		short      string
		classifier bool
		faults     map[string]sim.RouteFault
		why        string
	}{
		{"no service suggested", "The printer on floor 3 is jammed", true, nil,
			"the Azure Support API's classification suggested no service for the incident's description."},
		{"classifyServices refused", "Teams meetings drop", true,
			map[string]sim.RouteFault{classifyServicesRoute: {Status: 400}}, "the classification failed (Azure answered 400 Bad Request"},
		{"classifyProblems forbidden", "Teams meetings drop", true,
			map[string]sim.RouteFault{classifyProblemsRoute: {Status: 403}}, "the classification failed (Azure answered 403 Forbidden"},
		{"classification off", "Teams meetings drop", false, nil, "classification is off."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t)
			e.linkAdmin(t)
			e.describe(t, tt.short, "")
			if err := e.sim.SetFaults(sim.Faults{Routes: tt.faults}); err != nil {
				t.Fatal(err)
			}
			cfg := e.escalateConfig()
			if tt.classifier {
				cfg = e.classifying()
			}
			if err := newEscalate(t, cfg).Handle(context.Background(), message(escalationEvent("evt-1"))); err != nil {
				t.Fatalf("Handle: %v, want the case opened with the configured ids", err)
			}
			e.wantConfiguredIDs(t)
			want := "Microsoft support service: Microsoft 365 (Office 365); problem classification: " +
				"Exchange Online / Outlook cannot connect to Exchange Online, " + configuredNote + tt.why
			e.wantOneNote(t, want)
		})
	}
}

// TestEscalateTransientClassificationFailure: a classification that fails
// transiently is retried with the message (nothing created); on delivery 3
// the case opens with the configured ids, and the note says so.
func TestEscalateTransientClassificationFailure(t *testing.T) {
	e := newTestEnv(t)
	e.linkAdmin(t)
	e.describe(t, "Teams meetings drop", "")
	if err := e.sim.SetFaults(sim.Faults{Routes: map[string]sim.RouteFault{classifyServicesRoute: {Status: 503}}}); err != nil {
		t.Fatal(err)
	}
	h := newEscalate(t, e.classifying())
	ev := escalationEvent("evt-1")
	for n := uint64(1); n < 3; n++ {
		msg := &worker.Message{Subject: ev.Subject(), Event: ev, NumDelivered: n}
		err := h.Handle(context.Background(), msg)
		if err == nil || fault.Classify(err) != fault.Transient {
			t.Fatalf("delivery %d: %v, want a transient error", n, err)
		}
	}
	if n := e.sim.Calls(createRoute); n != 0 {
		t.Fatalf("%d creates before classification gave up", n)
	}
	if err := h.Handle(context.Background(), &worker.Message{Subject: ev.Subject(), Event: ev, NumDelivered: 3}); err != nil {
		t.Fatalf("delivery 3: %v, want the case opened", err)
	}
	e.wantConfiguredIDs(t)
	want := configuredNote + "the classification failed (Azure answered 503 Service Unavailable, on 3 attempts)."
	e.wantOneNote(t, want)
}

// TestEscalateNoteFollowsTheTicket: when the ticket already exists (an
// earlier attempt filed it, then failed before recording it), the note
// names the ticket's service, not this attempt's choice.
func TestEscalateNoteFollowsTheTicket(t *testing.T) {
	e := newTestEnv(t)
	e.linkAdmin(t)
	ctx := context.Background()
	// The earlier attempt: filed under the configured ids, nothing recorded.
	if _, err := e.support.CreateTicket(ctx, azuresupport.TicketName(sim.DefaultIncidentSysID, 0), azuresupport.TicketProperties{
		Title: "Outlook cannot connect", Description: "ServiceNow incident INC0010023",
		ServiceID: sim.Microsoft365ServiceID, ProblemClassificationID: sim.Microsoft365ProblemClassificationID,
		Severity: azuresupport.SeverityMinimal, AdvancedDiagnosticConsent: "No",
		ContactDetails: azuresupport.ContactDetails{FirstName: "MOD", LastName: "Administrator", PrimaryEmailAddress: sim.DefaultAdminUPN,
			PreferredContactMethod: "email", PreferredTimeZone: "UTC", PreferredSupportLanguage: "en-us", Country: "USA"},
	}); err != nil {
		t.Fatal(err)
	}
	// This attempt classifies the incident as a Teams issue.
	e.describe(t, "Teams meetings drop", "")
	if err := newEscalate(t, e.classifying()).Handle(ctx, message(escalationEvent("evt-2"))); err != nil {
		t.Fatal(err)
	}
	tickets := e.ticketsFor(sim.DefaultIncidentSysID)
	if len(tickets) != 1 || tickets[0].Properties.ProblemClassificationID != sim.Microsoft365ProblemClassificationID {
		t.Fatalf("tickets %+v", tickets)
	}
	want := "problem classification: Exchange Online / Outlook cannot connect to Exchange Online (as the ticket was first filed)."
	e.wantOneNote(t, want)
}

// oneService is a classifier that suggests one service and no problem
// classification of it: a case the simulator's keyword model never makes.
type oneService struct{}

func (oneService) ClassifyServices(context.Context, string) ([]azuresupport.ServiceClassification, error) {
	return []azuresupport.ServiceClassification{{ServiceID: "", DisplayName: "blank"},
		{ServiceID: "/providers/Microsoft.Support/services/517f2da6-78fd-0498-4e22-ad26996b1dfc", DisplayName: "Billing"}}, nil
}

func (oneService) ClassifyProblems(context.Context, string, string) ([]azuresupport.ProblemClassificationResult, error) {
	return []azuresupport.ProblemClassificationResult{{Title: "no id"}}, nil
}

// TestEscalateServiceWithoutProblemFallsBack: a service without a problem
// classification is no choice: the configured pair is used (a problem
// classification belongs to its service).
func TestEscalateServiceWithoutProblemFallsBack(t *testing.T) {
	e := newTestEnv(t)
	e.linkAdmin(t)
	cfg := e.escalateConfig()
	cfg.Classifier = oneService{}
	if err := newEscalate(t, cfg).Handle(context.Background(), message(escalationEvent("evt-1"))); err != nil {
		t.Fatal(err)
	}
	e.wantConfiguredIDs(t)
	want := configuredNote + "the Azure Support API's classification suggested the service Billing but none of its problem classifications."
	e.wantOneNote(t, want)
}
