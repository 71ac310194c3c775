package azuresupport_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/escalator/escalator/internal/azuresupport"
	"github.com/escalator/escalator/internal/fault"
	"github.com/escalator/escalator/internal/outbound"
)

func TestARMErrors(t *testing.T) {
	tests := []struct {
		name     string
		answer   http.HandlerFunc
		status   int
		code     string
		class    fault.Class
		retry    time.Duration
		notFound bool
		details  int
	}{
		{"400 with details", supJSON(400, supFixture(t, "error_bad_request.json")), 400, "BadRequest", fault.Permanent, 0, false, 1},
		{"403", func(w http.ResponseWriter, r *http.Request) {
			supWriteError(w, 403, "AuthorizationFailed", "The client does not have authorization.")
		}, 403, "AuthorizationFailed", fault.Permanent, 0, false, 0},
		{"404", func(w http.ResponseWriter, r *http.Request) {
			supWriteError(w, 404, "ResourceNotFound", "The ticket was not found.")
		}, 404, "ResourceNotFound", fault.Permanent, 0, true, 0},
		{"429", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "0.25")
			supWriteError(w, 429, "TooManyRequests", "Slow down.")
		}, 429, "TooManyRequests", fault.Transient, 250 * time.Millisecond, false, 0},
		{"503 without a body", supJSON(503, ""), 503, "", fault.Transient, 0, false, 0},
		{"408", supJSON(408, ""), 408, "", fault.Transient, 0, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newSupARM(t)
			a.on("GET", supPrefix+"/supportTickets/testticket", tt.answer)
			_, err := newSupClient(t, a, &supClock{}).GetTicket(context.Background(), "testticket")
			var ae *azuresupport.ARMError
			if !errors.As(err, &ae) {
				t.Fatalf("err = %v, not an *ARMError", err)
			}
			if ae.StatusCode != tt.status || ae.Code != tt.code || len(ae.Details) != tt.details {
				t.Errorf("ARMError = %+v", ae)
			}
			if fault.Classify(err) != tt.class || fault.RetryAfter(err) != tt.retry {
				t.Errorf("class %s retry %s, want %s %s", fault.Classify(err), fault.RetryAfter(err), tt.class, tt.retry)
			}
			if errors.Is(err, azuresupport.ErrTicketNotFound) != tt.notFound {
				t.Errorf("errors.Is(ErrTicketNotFound) = %v", !tt.notFound)
			}
			var se *outbound.StatusError
			if !errors.As(err, &se) {
				t.Error("the status error is not in the chain")
			}
			if strings.Contains(err.Error(), supToken) {
				t.Error("error text carries the token")
			}
		})
	}
	// The details reach the text.
	a := newSupARM(t)
	a.on("GET", supPrefix+"/supportTickets/testticket", supJSON(400, supFixture(t, "error_bad_request.json")))
	_, err := newSupClient(t, a, &supClock{}).GetTicket(context.Background(), "testticket")
	if !strings.Contains(err.Error(), "InvalidProblemClassificationId") || !strings.Contains(err.Error(), "testticket") {
		t.Errorf("error text: %v", err)
	}
}

func TestCloseTicket(t *testing.T) {
	refuse := func(msg string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) { supWriteError(w, 400, "BadRequest", msg) }
	}
	tests := []struct {
		name    string
		patch   http.HandlerFunc
		get     string // the fixture a GET answers; "": no GET route
		wantErr bool   // else: the closed ticket
	}{
		{"closes", supJSON(200, supFixture(t, "ticket_closed.json")), "", false},
		{"already closed", refuse("The support ticket is already closed."), "ticket_closed.json", false},
		{"refused and open", refuse("Cannot close."), "ticket_created.json", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newSupARM(t)
			a.on("PATCH", supPrefix+"/supportTickets/testticket", tt.patch)
			if tt.get != "" {
				a.on("GET", supPrefix+"/supportTickets/testticket", supJSON(200, supFixture(t, tt.get)))
			}
			got, err := newSupClient(t, a, &supClock{}).CloseTicket(context.Background(), "testticket")
			if tt.wantErr {
				if err == nil || fault.Classify(err) != fault.Permanent {
					t.Fatalf("err = %v", err)
				}
				return
			}
			if err != nil || !got.Closed() {
				t.Fatalf("CloseTicket = %+v, %v", got, err)
			}
			if b := string(a.requests()[0].Body); b != `{"status":"closed"}` {
				t.Errorf("PATCH body %s", b)
			}
		})
	}
	t.Run("missing", func(t *testing.T) {
		a := newSupARM(t)
		_, err := newSupClient(t, a, &supClock{}).CloseTicket(context.Background(), "testticket")
		if !errors.Is(err, azuresupport.ErrTicketNotFound) {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestNewSupportClientValidates(t *testing.T) {
	tests := []struct {
		name string
		cfg  azuresupport.Config
	}{
		{"no tokens", azuresupport.Config{SubscriptionID: supSub}},
		{"no subscription", azuresupport.Config{Tokens: supTokens{}}},
		{"bad subscription", azuresupport.Config{Tokens: supTokens{}, SubscriptionID: "a/b"}},
		{"bad URL", azuresupport.Config{Tokens: supTokens{}, SubscriptionID: supSub, ARMURL: "management.azure.com"}},
		{"negative poll", azuresupport.Config{Tokens: supTokens{}, SubscriptionID: supSub, PollInterval: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := azuresupport.New(tt.cfg); err == nil {
				t.Fatal("accepted")
			}
		})
	}
	if _, err := azuresupport.New(azuresupport.Config{Tokens: supTokens{}, SubscriptionID: supSub}); err != nil {
		t.Fatal(err)
	}
}
