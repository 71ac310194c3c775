package azuresupport_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/escalator/escalator/internal/azuresupport"
	"github.com/escalator/escalator/internal/fault"
)

// TestCreateCommunicationIdempotent posts the same named message twice: the
// first creates it (202, polled), the second meets 409 and reads it back.
func TestCreateCommunicationIdempotent(t *testing.T) {
	a := newSupARM(t)
	commPath := supPrefix + "/supportTickets/testticket/communications/testcommunication"
	var mu sync.Mutex
	created := false
	a.on("PUT", commPath, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if created {
			supWriteError(w, http.StatusConflict, "Conflict", "A communication with name 'testcommunication' already exists.")
			return
		}
		created = true
		supJSON(http.StatusAccepted, "", "Azure-AsyncOperation", a.opURL("operationsStatus", "c1"))(w, r)
	})
	a.on("GET", supPrefix+"/operationsStatus/c1", supJSON(200, supFixture(t, "operation_succeeded.json")))
	a.on("GET", commPath, supJSON(200, supFixture(t, "communication_created.json")))
	c := newSupClient(t, a, &supClock{})
	msg := azuresupport.Communication{
		Subject: "This is a test message from a customer!", Body: "This is a test message from a customer!", Sender: "user@contoso.com",
	}

	first, err := c.CreateCommunication(context.Background(), "testticket", "testcommunication", msg)
	if err != nil {
		t.Fatal(err)
	}
	if first.Existing || first.Name != "testcommunication" || first.CommunicationDirection != "outbound" ||
		first.Sender != "user@contoso.com" || !first.CreatedDate.Equal(time.Date(2020, 3, 10, 20, 18, 19, 0, time.UTC)) {
		t.Errorf("first = %+v", first)
	}
	second, err := c.CreateCommunication(context.Background(), "testticket", "testcommunication", msg)
	if err != nil {
		t.Fatal(err)
	}
	if !second.Existing || second.Subject != msg.Subject {
		t.Errorf("second = %+v", second)
	}
	var puts int
	for _, r := range a.requests() {
		if r.Method == "PUT" {
			puts++
			var body struct{ Properties map[string]string }
			_ = json.Unmarshal(r.Body, &body)
			if body.Properties["subject"] != msg.Subject || body.Properties["body"] != msg.Body || body.Properties["sender"] != msg.Sender {
				t.Errorf("PUT body %s", r.Body)
			}
		}
	}
	if puts != 2 {
		t.Errorf("%d PUTs", puts)
	}
}

func TestCreateCommunicationValidates(t *testing.T) {
	a := newSupARM(t)
	c := newSupClient(t, a, &supClock{})
	for _, tc := range []struct {
		ticket, comm string
		m            azuresupport.Communication
	}{
		{"testticket", "c1", azuresupport.Communication{Subject: "s"}},
		{"testticket", "c/1", azuresupport.Communication{Subject: "s", Body: "b"}},
		{"", "c1", azuresupport.Communication{Subject: "s", Body: "b"}},
	} {
		if _, err := c.CreateCommunication(context.Background(), tc.ticket, tc.comm, tc.m); err == nil || fault.Classify(err) != fault.Permanent {
			t.Errorf("%+v: err = %v", tc, err)
		}
	}
	if n := len(a.requests()); n != 0 {
		t.Errorf("%d requests sent", n)
	}
}

func TestCreateCommunicationOnMissingTicket(t *testing.T) {
	a := newSupARM(t)
	_, err := newSupClient(t, a, &supClock{}).CreateCommunication(context.Background(), "nosuch", "c1",
		azuresupport.Communication{Subject: "s", Body: "b", Sender: "a@b.c"})
	if !errors.Is(err, azuresupport.ErrTicketNotFound) || fault.Classify(err) != fault.Permanent {
		t.Fatalf("err = %v", err)
	}
}

func TestListCommunicationsPages(t *testing.T) {
	a := newSupARM(t)
	path := supPrefix + "/supportTickets/testticket/communications"
	a.on("GET", path, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("$skiptoken") == "2" {
			supJSON(200, supFixture(t, "communications_page2.json"))(w, r)
			return
		}
		supJSON(200, strings.ReplaceAll(supFixture(t, "communications_page1.json"), "{{base}}", a.srv.URL))(w, r)
	})
	got, err := newSupClient(t, a, &supClock{}).ListCommunications(context.Background(), "testticket")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Name != "testmessage1" || got[1].Name != "testmessage2" || got[1].Subject != "test" {
		t.Fatalf("communications = %+v", got)
	}
	if n := len(a.requests()); n != 2 {
		t.Errorf("%d requests, want 2", n)
	}
}

func TestCheckNameAvailability(t *testing.T) {
	a := newSupARM(t)
	a.on("POST", supPrefix+"/checkNameAvailability", func(w http.ResponseWriter, r *http.Request) {
		var in struct{ Name, Type string }
		_ = json.NewDecoder(r.Body).Decode(&in)
		if in.Type != "Microsoft.Support/supportTickets" {
			supWriteError(w, 400, "BadRequest", "bad type "+in.Type)
			return
		}
		if in.Name == "sampleName" {
			supJSON(200, supFixture(t, "check_name_unavailable.json"))(w, r)
			return
		}
		supJSON(200, `{"nameAvailable":true}`)(w, r)
	})
	c := newSupClient(t, a, &supClock{})
	for name, want := range map[string]bool{"sampleName": false, "escalator-new": true} {
		got, err := c.CheckNameAvailability(context.Background(), name)
		if err != nil || got != want {
			t.Errorf("CheckNameAvailability(%s) = %v, %v; want %v", name, got, err, want)
		}
	}
}

func TestListServicesAndProblemClassifications(t *testing.T) {
	a := newSupARM(t)
	a.on("GET", "/providers/Microsoft.Support/services", supJSON(200, supFixture(t, "services.json")))
	a.on("GET", "/providers/Microsoft.Support/services/service_guid/problemClassifications",
		supJSON(200, supFixture(t, "problem_classifications.json")))
	c := newSupClient(t, a, &supClock{})
	svcs, err := c.ListServices(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(svcs) != 2 || svcs[1].ID != "/providers/Microsoft.Support/services/service_guid_4" ||
		svcs[1].DisplayName != "Data Explorer" || len(svcs[1].ResourceTypes) != 2 {
		t.Fatalf("services = %+v", svcs)
	}
	for _, id := range []string{"service_guid", "/providers/Microsoft.Support/services/service_guid"} {
		pcs, err := c.ListProblemClassifications(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if len(pcs) != 2 || pcs[1].DisplayName != "Other General Billing Questions" ||
			!strings.HasSuffix(pcs[1].ID, "/problemClassifications/problemClassification_guid_4") {
			t.Fatalf("problem classifications of %s = %+v", id, pcs)
		}
	}
	if _, err := c.ListProblemClassifications(context.Background(), ""); err == nil {
		t.Error("empty service id accepted")
	}
}
