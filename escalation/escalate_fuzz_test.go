package escalation

import (
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/escalator/escalator/internal/azuresupport"
	"github.com/escalator/escalator/internal/event"
)

// FuzzTicketProperties feeds arbitrary escalation blocks and incident text
// (outside input from ServiceNow) to the dialog reader and the ticket
// builder: whatever arrives is either refused with a reason or gives
// properties that pass the Support API's own checks, so a ticket is never
// refused by Microsoft for what the event carried.
func FuzzTicketProperties(f *testing.F) {
	f.Add("Mailbox moves stuck", "Moves queued", "Moderate", "phone", "+49 30 1", "W. Europe Standard Time", "de-DE", "de", "1", "Outlook down", "", "2026-11-25T08:40:00Z", "yes")
	f.Add("", "", "", "", "", "", "", "", "", "", "", "", "")
	f.Add("  ", "\n", "urgent", "fax", "", "  ", "", "Germany", "1 - Critical", "", "US", "yesterday", "true")
	f.Add("Down", "", "critical", "email", "", "", "", "", "3", "", "", "2026-11-25T09:40:00+01:00", "No")
	h := &EscalateHandler{
		cfg: EscalateConfig{ServiceID: "svc", ProblemClassificationID: "pc",
			Clock: func() time.Time { return time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC) }},
		log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	f.Fuzz(func(t *testing.T, title, desc, sev, method, phone, tz, lang, country, priority, short, usage, start, consent string) {
		ev := &event.Event{
			ID: "evt", Source: "https://contoso.service-now.com",
			Data: event.Data{
				Incident: event.Incident{SysID: "9d385017c611228701d22104cc95c371", Number: "INC0010023", ShortDescription: short, Priority: priority},
				Escalation: &event.Escalation{Title: title, Description: desc, Severity: sev, Contact: &event.Contact{
					PreferredContactMethod: method, Phone: phone, TimeZone: tz, Language: lang, Country: country,
				}, ProblemStartTime: start, AdvancedDiagnosticConsent: consent},
			},
		}
		for _, test := range []bool{false, true} {
			h.cfg.TestEnvironment = test
			d, why := h.readDialog(ev)
			if why != "" {
				if !strings.HasSuffix(why, ".") {
					t.Errorf("refusal %q is not a sentence", why)
				}
				continue
			}
			p, lowered := h.ticketProperties(ev, Account{Email: "admin@contoso.onmicrosoft.com", UsageLocation: usage}, d), d.lowered
			if p.Severity == azuresupport.SeverityHighestCriticalImpact || (lowered && p.Severity != azuresupport.SeverityCritical) {
				t.Errorf("severity %s (lowered %v) without ESCALATOR_ALLOW_HIGHEST_SEVERITY", p.Severity, lowered)
			}
			if err := p.Validate(); err != nil {
				t.Fatalf("properties refused: %v\n%+v", err, p)
			}
			if c := p.ContactDetails.Country; len(c) != 3 || strings.ToUpper(c) != c {
				t.Errorf("country %q is not alpha-3", c)
			}
			if m := p.ContactDetails.PreferredContactMethod; m != "email" && !(m == "phone" && p.ContactDetails.PhoneNumber != "") {
				t.Errorf("contact method %q with phone %q", m, p.ContactDetails.PhoneNumber)
			}
			if !strings.Contains(p.Description, "INC0010023") {
				t.Errorf("description does not name the incident: %q", p.Description)
			}
			if test && (p.Severity != azuresupport.SeverityMinimal || !strings.HasPrefix(p.Title, testTitlePrefix)) {
				t.Errorf("test environment: %q %q", p.Title, p.Severity)
			}
		}
	})
}

// FuzzNoteKey: a marker key built from any event id is one AddWorkNoteOnce
// accepts and a plain LIKE pattern, and the same id gives the same key.
func FuzzNoteKey(f *testing.F) {
	for _, id := range []string{"evt-1", "", "a^b]c\nd", strings.Repeat("x", 200), "9f1c2d7e-4b1a-4c5e-9d2f-7a8b6c5d4e3f", "a%b_c"} {
		f.Add(id)
	}
	f.Fuzz(func(t *testing.T, id string) {
		k := noteKey("already", id)
		if k != noteKey("already", id) || !strings.HasPrefix(k, "already-") || len(k) > 80 {
			t.Fatalf("noteKey(%q) = %q", id, k)
		}
		for _, r := range k {
			if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '-' || r == '.' || r == ':') {
				t.Fatalf("noteKey(%q) = %q holds %q", id, k, r)
			}
		}
	})
}
