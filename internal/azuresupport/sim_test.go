package azuresupport_test

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/escalator/escalator/internal/azuresupport"
	"github.com/escalator/escalator/internal/outbound"
	"github.com/escalator/escalator/internal/testkit/sim"
)

type simARMToken string

func (s simARMToken) AccessToken(context.Context) (string, error) { return string(s), nil }

func simToken(t *testing.T, base string) string {
	t.Helper()
	tok, err := sim.FetchToken(base, sim.ARMResource)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestSupportClientAgainstSimulator runs a case's life against the
// simulator: discover the classification, create (202 + polling), create
// again (409 → the same ticket), post a message twice, list, close twice.
func TestSupportClientAgainstSimulator(t *testing.T) {
	s := sim.New(sim.Config{AsyncPolls: 2})
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	c, err := azuresupport.New(azuresupport.Config{
		ARMURL: ts.URL, SubscriptionID: sim.DefaultSubscription, Tokens: simARMToken(simToken(t, ts.URL)),
		HTTPClient:   outbound.NewClient(outbound.Options{Name: "arm", InitialBackoff: time.Millisecond}),
		PollInterval: time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	svcs, err := c.ListServices(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, svc := range svcs {
		found = found || svc.ID == sim.Microsoft365ServiceID
	}
	if !found {
		t.Fatalf("services %+v lack %s", svcs, sim.Microsoft365ServiceID)
	}
	pcs, err := c.ListProblemClassifications(ctx, sim.Microsoft365ServiceID)
	if err != nil || len(pcs) == 0 {
		t.Fatalf("problem classifications: %v, %v", pcs, err)
	}

	name := azuresupport.TicketName(sim.DefaultIncidentSysID, 0)
	if free, err := c.CheckNameAvailability(ctx, name); err != nil || !free {
		t.Fatalf("name available = %v, %v", free, err)
	}
	p := azuresupport.TicketProperties{
		Title: "INC0010023: Outlook cannot connect", Description: "Users cannot connect since 09:00.",
		ServiceID: sim.Microsoft365ServiceID, ProblemClassificationID: sim.Microsoft365ProblemClassificationID,
		Severity: azuresupport.SeverityModerate, AdvancedDiagnosticConsent: "No",
		ContactDetails: azuresupport.ContactDetails{
			FirstName: "Megan", LastName: "Bowen", PrimaryEmailAddress: sim.DefaultAdminUPN, PreferredContactMethod: "email",
			PreferredTimeZone: "Pacific Standard Time", PreferredSupportLanguage: "en-US", Country: "USA",
		},
	}
	first, err := c.CreateTicket(ctx, name, p)
	if err != nil {
		t.Fatal(err)
	}
	if first.Existing || first.Properties.SupportTicketID == "" || first.Closed() || first.Properties.Severity != azuresupport.SeverityModerate {
		t.Fatalf("first create = %+v", first)
	}
	again, err := c.CreateTicket(ctx, name, p)
	if err != nil {
		t.Fatal(err)
	}
	if !again.Existing || again.Properties.SupportTicketID != first.Properties.SupportTicketID {
		t.Fatalf("second create = %+v", again)
	}
	if n := s.Calls("PUT /subscriptions/{sub}/providers/Microsoft.Support/supportTickets/{name}"); n != 2 {
		t.Errorf("%d PUTs", n)
	}

	msg := azuresupport.Communication{Subject: "Update", Body: "Still failing.", Sender: sim.DefaultAdminUPN}
	comm := azuresupport.CommunicationName("evt-42")
	if m, err := c.CreateCommunication(ctx, name, comm, msg); err != nil || m.Existing || m.Body != msg.Body {
		t.Fatalf("first message = %+v, %v", m, err)
	}
	if m, err := c.CreateCommunication(ctx, name, comm, msg); err != nil || !m.Existing {
		t.Fatalf("second message = %+v, %v", m, err)
	}
	list, err := c.ListCommunications(ctx, name)
	if err != nil || len(list) != 1 || list[0].Name != comm {
		t.Fatalf("communications = %+v, %v", list, err)
	}

	for i := range 2 {
		closed, err := c.CloseTicket(ctx, name)
		if err != nil || !closed.Closed() {
			t.Fatalf("close %d = %+v, %v", i, closed, err)
		}
	}
	if free, err := c.CheckNameAvailability(ctx, name); err != nil || free {
		t.Fatalf("name still available after create: %v, %v", free, err)
	}
}
