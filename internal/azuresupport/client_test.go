package azuresupport_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/escalator/escalator/internal/azuresupport"
	"github.com/escalator/escalator/internal/fault"
	"github.com/escalator/escalator/internal/outbound"
)

const (
	supSub    = "132d901f-189d-4381-9214-fe68e27e05a1"
	supToken  = "arm-access-token-abc"
	supPrefix = "/subscriptions/" + supSub + "/providers/Microsoft.Support"
)

type supRequest struct {
	Method, Path, Query, Auth string
	Body                      []byte
}

// supARM is a scripted Azure Resource Manager: tests register answers by
// "METHOD path"; everything else is an ARM 404.
type supARM struct {
	t      *testing.T
	srv    *httptest.Server
	mu     sync.Mutex
	reqs   []supRequest
	routes map[string]http.HandlerFunc
}

func newSupARM(t *testing.T) *supARM {
	t.Helper()
	a := &supARM{t: t, routes: map[string]http.HandlerFunc{}}
	a.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		a.mu.Lock()
		a.reqs = append(a.reqs, supRequest{r.Method, r.URL.Path, r.URL.RawQuery, r.Header.Get("Authorization"), body})
		h := a.routes[r.Method+" "+r.URL.Path]
		a.mu.Unlock()
		version := "2024-04-01"
		if strings.HasSuffix(r.URL.Path, "/classifyServices") || strings.HasSuffix(r.URL.Path, "/classifyProblems") {
			version = "2026-06-01" // the first stable version with classification
		}
		if r.URL.Query().Get("api-version") != version {
			supWriteError(w, http.StatusBadRequest, "MissingApiVersionParameter", "api-version "+version+" required")
			return
		}
		if h == nil {
			supWriteError(w, http.StatusNotFound, "ResourceNotFound", "not found: "+r.URL.Path)
			return
		}
		h(w, r)
	}))
	t.Cleanup(a.srv.Close)
	return a
}

func (a *supARM) on(method, path string, h http.HandlerFunc) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.routes[method+" "+path] = h
}

func (a *supARM) requests() []supRequest {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]supRequest(nil), a.reqs...)
}

// sequence answers each call with the next handler, repeating the last.
func sequence(hs ...http.HandlerFunc) http.HandlerFunc {
	var mu sync.Mutex
	n := 0
	return func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		h := hs[min(n, len(hs)-1)]
		n++
		mu.Unlock()
		h(w, r)
	}
}

func supFixture(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func supJSON(status int, body string, headers ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i+1 < len(headers); i += 2 {
			w.Header().Set(headers[i], headers[i+1])
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

func supWriteError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": code, "message": msg}})
}

// supClock never sleeps: every wait moves it forward and is recorded.
type supClock struct {
	mu    sync.Mutex
	now   time.Time
	waits []time.Duration
}

func (c *supClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *supClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.waits = append(c.waits, d)
	c.now = c.now.Add(d)
	ch := make(chan time.Time, 1)
	ch <- c.now
	return ch
}

func (c *supClock) recorded() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.waits...)
}

type supTokens struct{}

func (supTokens) AccessToken(context.Context) (string, error) { return supToken, nil }

func newSupClient(t *testing.T, a *supARM, clock *supClock) *azuresupport.Client {
	t.Helper()
	c, err := azuresupport.New(azuresupport.Config{
		ARMURL: a.srv.URL, SubscriptionID: supSub, Tokens: supTokens{},
		HTTPClient:   outbound.NewClient(outbound.Options{Name: "arm", MaxAttempts: 2, InitialBackoff: time.Millisecond}),
		PollInterval: 2 * time.Second, PollTimeout: time.Minute, Clock: clock,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// exampleProperties are the properties of the API documentation's create
// example (CreateTechnicalSupportTicketForSubscription).
func exampleProperties(t *testing.T) azuresupport.TicketProperties {
	t.Helper()
	var req struct{ Properties azuresupport.TicketProperties }
	if err := json.Unmarshal([]byte(supFixture(t, "create_ticket_request.json")), &req); err != nil {
		t.Fatal(err)
	}
	return req.Properties
}

func (a *supARM) opURL(kind, id string) string {
	return a.srv.URL + supPrefix + "/" + kind + "/" + id + "?api-version=2024-04-01"
}

func TestCreateTicketPollsAsyncOperation(t *testing.T) {
	a := newSupARM(t)
	ticketPath := supPrefix + "/supportTickets/testticket"
	a.on("PUT", ticketPath, supJSON(http.StatusAccepted, "",
		"Azure-AsyncOperation", a.opURL("operationsStatus", "op1"),
		"Location", a.opURL("operationResults", "op1"), "Retry-After", "0.5"))
	a.on("GET", supPrefix+"/operationsStatus/op1", sequence(
		supJSON(200, supFixture(t, "operation_in_progress.json")),
		supJSON(200, supFixture(t, "operation_in_progress.json"), "Retry-After", "3"),
		supJSON(200, supFixture(t, "operation_succeeded.json")),
	))
	a.on("GET", ticketPath, supJSON(200, supFixture(t, "ticket_created.json")))
	clock := &supClock{now: time.Date(2020, 3, 20, 21, 36, 0, 0, time.UTC)}

	p := exampleProperties(t)
	p.SupportTicketID, p.Status = "must-not-be-sent", "Open"
	got, err := newSupClient(t, a, clock).CreateTicket(context.Background(), "testticket", p)
	if err != nil {
		t.Fatal(err)
	}
	if got.Existing || got.Name != "testticket" || got.Properties.SupportTicketID != "119120321001170" ||
		got.Properties.Status != "Open" || got.Properties.Severity != azuresupport.SeverityModerate ||
		!got.Properties.CreatedDate.Equal(time.Date(2020, 3, 20, 21, 36, 18, 0, time.UTC)) {
		t.Errorf("ticket = %+v", got)
	}
	if w, want := clock.recorded(), []time.Duration{500 * time.Millisecond, 500 * time.Millisecond, 3 * time.Second}; !slices.Equal(w, want) {
		t.Errorf("waits = %v, want %v (Retry-After, else the second step of the schedule)", w, want)
	}

	reqs := a.requests()
	var seq []string
	for _, r := range reqs {
		seq = append(seq, r.Method+" "+strings.TrimPrefix(r.Path, supPrefix))
		if r.Auth != "Bearer "+supToken {
			t.Errorf("%s %s: Authorization %q", r.Method, r.Path, r.Auth)
		}
	}
	want := "PUT /supportTickets/testticket,GET /operationsStatus/op1,GET /operationsStatus/op1,GET /operationsStatus/op1,GET /supportTickets/testticket"
	if strings.Join(seq, ",") != want {
		t.Errorf("calls:\n%s\nwant\n%s", strings.Join(seq, ","), want)
	}
	// The body is the documented request: properties only, no read-only ones.
	var sent, doc map[string]any
	_ = json.Unmarshal(reqs[0].Body, &sent)
	_ = json.Unmarshal([]byte(supFixture(t, "create_ticket_request.json")), &doc)
	sentJSON, _ := json.Marshal(sent)
	docJSON, _ := json.Marshal(doc)
	if string(sentJSON) != string(docJSON) {
		t.Errorf("PUT body\n%s\nwant\n%s", sentJSON, docJSON)
	}
}

func TestCreateTicketPollsLocation(t *testing.T) {
	a := newSupARM(t)
	ticketPath := supPrefix + "/supportTickets/testticket"
	a.on("PUT", ticketPath, supJSON(http.StatusAccepted, "", "Location", a.opURL("operationResults", "op2")))
	a.on("GET", supPrefix+"/operationResults/op2", sequence(
		supJSON(http.StatusAccepted, "", "Retry-After", "1", "Location", a.opURL("operationResults", "op2b")),
	))
	a.on("GET", supPrefix+"/operationResults/op2b", supJSON(200, supFixture(t, "ticket_created.json")))
	a.on("GET", ticketPath, supJSON(200, supFixture(t, "ticket_created.json")))
	clock := &supClock{}
	got, err := newSupClient(t, a, clock).CreateTicket(context.Background(), "testticket", exampleProperties(t))
	if err != nil {
		t.Fatal(err)
	}
	if got.Existing || got.Properties.SupportTicketID != "119120321001170" {
		t.Errorf("ticket = %+v", got)
	}
	if w := clock.recorded(); !slices.Equal(w, []time.Duration{250 * time.Millisecond, time.Second}) {
		t.Errorf("waits = %v", w)
	}
}

func TestCreateTicketExisting(t *testing.T) {
	created := time.Date(2020, 3, 20, 21, 36, 18, 0, time.UTC)
	tests := []struct {
		name         string
		put          http.HandlerFunc
		now          time.Time
		wantExisting bool
		wantGET      bool
	}{
		{"409 conflict", func(w http.ResponseWriter, r *http.Request) {
			supWriteError(w, http.StatusConflict, "Conflict", "A support ticket with name 'testticket' already exists.")
		}, created.Add(time.Hour), true, true},
		{"200 with an old ticket", supJSON(200, supFixture(t, "ticket_created.json")), created.Add(time.Hour), true, true},
		{"201 with a fresh ticket", supJSON(201, supFixture(t, "ticket_created.json")), created.Add(time.Second), false, false},
		{"200 with a fresh ticket", supJSON(200, supFixture(t, "ticket_created.json")), created, false, false},
		{"204 without the ticket", supJSON(http.StatusNoContent, ""), created, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newSupARM(t)
			a.on("PUT", supPrefix+"/supportTickets/testticket", tt.put)
			a.on("GET", supPrefix+"/supportTickets/testticket", supJSON(200, supFixture(t, "ticket_created.json")))
			got, err := newSupClient(t, a, &supClock{now: tt.now}).CreateTicket(context.Background(), "testticket", exampleProperties(t))
			if err != nil {
				t.Fatal(err)
			}
			if got.Existing != tt.wantExisting || got.Properties.SupportTicketID != "119120321001170" {
				t.Errorf("Existing = %v, ticket %+v", got.Existing, got)
			}
			reqs := a.requests()
			if gotGET := len(reqs) == 2 && reqs[1].Method == "GET"; gotGET != tt.wantGET {
				t.Errorf("read back = %v, want %v (%d requests)", gotGET, tt.wantGET, len(reqs))
			}
		})
	}
}

func TestCreateTicketConflictUnreadableIsTransient(t *testing.T) {
	a := newSupARM(t)
	a.on("PUT", supPrefix+"/supportTickets/testticket", func(w http.ResponseWriter, r *http.Request) {
		supWriteError(w, http.StatusConflict, "Conflict", "Another operation is in progress.")
	})
	_, err := newSupClient(t, a, &supClock{}).CreateTicket(context.Background(), "testticket", exampleProperties(t))
	if err == nil || fault.Classify(err) != fault.Transient {
		t.Fatalf("err = %v, want transient", err)
	}
}

func TestCreateTicketOperationFailed(t *testing.T) {
	tests := []struct {
		code  string
		class fault.Class
	}{
		{"BadRequest", fault.Permanent},
		{"InternalServerError", fault.Transient},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			a := newSupARM(t)
			a.on("PUT", supPrefix+"/supportTickets/testticket", supJSON(http.StatusAccepted, "",
				"Azure-AsyncOperation", a.opURL("operationsStatus", "op3")))
			a.on("GET", supPrefix+"/operationsStatus/op3", supJSON(200,
				strings.ReplaceAll(supFixture(t, "operation_failed.json"), "{{code}}", tt.code)))
			_, err := newSupClient(t, a, &supClock{}).CreateTicket(context.Background(), "testticket", exampleProperties(t))
			var ae *azuresupport.ARMError
			if !errors.As(err, &ae) || ae.Code != tt.code || ae.Message != "The support ticket could not be created." {
				t.Fatalf("err = %v", err)
			}
			if got := fault.Classify(err); got != tt.class {
				t.Errorf("class = %s, want %s", got, tt.class)
			}
		})
	}
}

func TestCreateTicketPollTimeout(t *testing.T) {
	a := newSupARM(t)
	a.on("PUT", supPrefix+"/supportTickets/testticket", supJSON(http.StatusAccepted, "",
		"Azure-AsyncOperation", a.opURL("operationsStatus", "op4")))
	a.on("GET", supPrefix+"/operationsStatus/op4", supJSON(200, supFixture(t, "operation_in_progress.json")))
	clock := &supClock{}
	_, err := newSupClient(t, a, clock).CreateTicket(context.Background(), "testticket", exampleProperties(t))
	if err == nil || fault.Classify(err) != fault.Transient {
		t.Fatalf("err = %v, want transient", err)
	}
	// 250 ms, 500 ms, 1 s, then 2 s (the interval) until the minute is up.
	if n := len(clock.recorded()); n != 32 {
		t.Errorf("%d polls (%v), want 32", n, clock.recorded())
	}
}

// TestCreateTicketPollSchedule: without Retry-After the polls come after
// 250 ms, 500 ms, 1 s, 2 s, 4 s, then every PollInterval (5 s by default),
// so an operation that takes a second is seen done within about a second.
func TestCreateTicketPollSchedule(t *testing.T) {
	a := newSupARM(t)
	ticketPath := supPrefix + "/supportTickets/testticket"
	a.on("PUT", ticketPath, supJSON(http.StatusAccepted, "", "Azure-AsyncOperation", a.opURL("operationsStatus", "op5")))
	inProgress := supJSON(200, supFixture(t, "operation_in_progress.json"))
	a.on("GET", supPrefix+"/operationsStatus/op5", sequence(inProgress, inProgress, inProgress, inProgress, inProgress, inProgress,
		supJSON(200, supFixture(t, "operation_succeeded.json"))))
	a.on("GET", ticketPath, supJSON(200, supFixture(t, "ticket_created.json")))
	clock := &supClock{}
	c, err := azuresupport.New(azuresupport.Config{
		ARMURL: a.srv.URL, SubscriptionID: supSub, Tokens: supTokens{}, Clock: clock,
		HTTPClient: outbound.NewClient(outbound.Options{Name: "arm", MaxAttempts: 2, InitialBackoff: time.Millisecond}),
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateTicket(context.Background(), "testticket", exampleProperties(t)); err != nil {
		t.Fatal(err)
	}
	ms := time.Millisecond
	want := []time.Duration{250 * ms, 500 * ms, time.Second, 2 * time.Second, 4 * time.Second, 5 * time.Second, 5 * time.Second}
	if w := clock.recorded(); !slices.Equal(w, want) {
		t.Errorf("waits = %v, want %v", w, want)
	}
}

func TestCreateTicketRefusesForeignOperationURL(t *testing.T) {
	var hits int
	other := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits++ }))
	defer other.Close()
	a := newSupARM(t)
	a.on("PUT", supPrefix+"/supportTickets/testticket", supJSON(http.StatusAccepted, "",
		"Azure-AsyncOperation", other.URL+"/op?api-version=2024-04-01"))
	_, err := newSupClient(t, a, &supClock{}).CreateTicket(context.Background(), "testticket", exampleProperties(t))
	if err == nil || fault.Classify(err) != fault.Permanent || hits != 0 {
		t.Fatalf("err = %v, foreign hits %d", err, hits)
	}
}

func TestCreateTicketValidates(t *testing.T) {
	tests := []struct {
		name   string
		ticket string
		edit   func(p *azuresupport.TicketProperties)
		want   string
	}{
		{"missing title", "t1", func(p *azuresupport.TicketProperties) { p.Title = " " }, "title"},
		{"missing contact", "t1", func(p *azuresupport.TicketProperties) { p.ContactDetails = azuresupport.ContactDetails{} }, "contactDetails.firstName"},
		{"bad severity", "t1", func(p *azuresupport.TicketProperties) { p.Severity = "urgent" }, "highestcriticalimpact"},
		{"bad consent", "t1", func(p *azuresupport.TicketProperties) { p.AdvancedDiagnosticConsent = "maybe" }, "Yes or No"},
		{"bad contact method", "t1", func(p *azuresupport.TicketProperties) { p.ContactDetails.PreferredContactMethod = "fax" }, "email or phone"},
		{"phone without number", "t1", func(p *azuresupport.TicketProperties) { p.ContactDetails.PreferredContactMethod = "phone" }, "contactDetails.phoneNumber"},
		{"critical without phone number", "t1", func(p *azuresupport.TicketProperties) { p.Severity = azuresupport.SeverityCritical }, "phone number for a case of severity critical"},
		{"highestcriticalimpact without phone number", "t1", func(p *azuresupport.TicketProperties) {
			p.Severity = azuresupport.SeverityHighestCriticalImpact
		}, "phone number for a case of severity highestcriticalimpact"},
		{"bad name", "a/b", func(p *azuresupport.TicketProperties) {}, "not a valid resource name"},
		{"empty name", "", func(p *azuresupport.TicketProperties) {}, "not a valid resource name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newSupARM(t)
			p := exampleProperties(t)
			tt.edit(&p)
			_, err := newSupClient(t, a, &supClock{}).CreateTicket(context.Background(), tt.ticket, p)
			if err == nil || fault.Classify(err) != fault.Permanent || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want permanent naming %q", err, tt.want)
			}
			if n := len(a.requests()); n != 0 {
				t.Errorf("%d requests sent", n)
			}
		})
	}
}

func TestCreateTicketNormalizes(t *testing.T) {
	a := newSupARM(t)
	a.on("PUT", supPrefix+"/supportTickets/testticket", supJSON(201, supFixture(t, "ticket_created.json")))
	p := exampleProperties(t)
	p.Severity, p.AdvancedDiagnosticConsent = "Critical", "no"
	p.ContactDetails.PreferredContactMethod, p.ContactDetails.PhoneNumber = "Phone", "+1 425 555 0100"
	p.ProblemStartTime = time.Date(2026, 11, 25, 9, 40, 0, 0, time.FixedZone("CET", 3600))
	if _, err := newSupClient(t, a, &supClock{}).CreateTicket(context.Background(), "testticket", p); err != nil {
		t.Fatal(err)
	}
	var sent struct{ Properties map[string]any }
	_ = json.Unmarshal(a.requests()[0].Body, &sent)
	cd, _ := sent.Properties["contactDetails"].(map[string]any)
	if sent.Properties["severity"] != "critical" || sent.Properties["advancedDiagnosticConsent"] != "No" ||
		sent.Properties["problemStartTime"] != "2026-11-25T08:40:00Z" || cd["preferredContactMethod"] != "phone" {
		t.Errorf("sent %v", sent.Properties)
	}
}
