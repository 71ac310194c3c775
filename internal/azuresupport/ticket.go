package azuresupport

import (
	"fmt"
	"strings"
	"time"

	"github.com/escalator/escalator/internal/fault"
)

// ContactDetails is the case contact (the linked Microsoft 365 admin).
type ContactDetails struct {
	FirstName                string `json:"firstName"`
	LastName                 string `json:"lastName"`
	PrimaryEmailAddress      string `json:"primaryEmailAddress"`
	PreferredContactMethod   string `json:"preferredContactMethod"`   // "email" or "phone"
	PreferredTimeZone        string `json:"preferredTimeZone"`        // e.g. "Pacific Standard Time"
	PreferredSupportLanguage string `json:"preferredSupportLanguage"` // e.g. "en-US"
	Country                  string `json:"country"`                  // ISO 3166-1 alpha-3, e.g. "USA"
	PhoneNumber              string `json:"phoneNumber,omitempty"`    // required with "phone"
}

// TicketProperties are a support ticket's properties. The read-only ones
// are filled by Azure and never sent.
type TicketProperties struct {
	Title                     string         `json:"title"`
	Description               string         `json:"description"`
	ServiceID                 string         `json:"serviceId"`
	ProblemClassificationID   string         `json:"problemClassificationId"`
	Severity                  Severity       `json:"severity"`
	AdvancedDiagnosticConsent string         `json:"advancedDiagnosticConsent"` // "Yes" or "No"
	ContactDetails            ContactDetails `json:"contactDetails"`
	// ProblemStartTime is when the problem started (sent as RFC 3339 UTC);
	// zero: not given.
	ProblemStartTime time.Time `json:"problemStartTime,omitzero"`

	// Read-only.
	SupportTicketID                  string    `json:"supportTicketId,omitempty"`
	Status                           string    `json:"status,omitempty"` // "Open", "Closed"
	ServiceDisplayName               string    `json:"serviceDisplayName,omitempty"`
	ProblemClassificationDisplayName string    `json:"problemClassificationDisplayName,omitempty"`
	CreatedDate                      time.Time `json:"createdDate,omitzero"`
	ModifiedDate                     time.Time `json:"modifiedDate,omitzero"`
}

// Ticket is a support ticket resource.
type Ticket struct {
	ID         string           `json:"id"`
	Name       string           `json:"name"`
	Type       string           `json:"type"`
	Properties TicketProperties `json:"properties"`
	// Existing says the create found the ticket already there (an earlier
	// attempt or replay made it) and read it back.
	Existing bool `json:"-"`
}

// Closed reports whether Azure says the ticket is closed.
func (t Ticket) Closed() bool { return strings.EqualFold(t.Properties.Status, "closed") }

// Validate checks what the API requires of a create, so that a mistake is
// one clear permanent error instead of a 400 after a round trip.
func (p *TicketProperties) Validate() error {
	var missing []string
	for _, f := range []struct{ name, v string }{
		{"title", p.Title}, {"description", p.Description}, {"serviceId", p.ServiceID},
		{"problemClassificationId", p.ProblemClassificationID},
		{"contactDetails.firstName", p.ContactDetails.FirstName}, {"contactDetails.lastName", p.ContactDetails.LastName},
		{"contactDetails.primaryEmailAddress", p.ContactDetails.PrimaryEmailAddress},
		{"contactDetails.preferredContactMethod", p.ContactDetails.PreferredContactMethod},
		{"contactDetails.preferredTimeZone", p.ContactDetails.PreferredTimeZone},
		{"contactDetails.preferredSupportLanguage", p.ContactDetails.PreferredSupportLanguage},
		{"contactDetails.country", p.ContactDetails.Country},
	} {
		if strings.TrimSpace(f.v) == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		return fault.Permanentf("ticket properties: missing %s", strings.Join(missing, ", "))
	}
	sev, err := ParseSeverity(string(p.Severity))
	if err != nil {
		return fmt.Errorf("ticket properties: %w", err)
	}
	p.Severity = sev
	switch m := strings.ToLower(p.ContactDetails.PreferredContactMethod); m {
	case "email", "phone":
		p.ContactDetails.PreferredContactMethod = m
	default:
		return fault.Permanentf("ticket properties: contactDetails.preferredContactMethod %q: want email or phone", p.ContactDetails.PreferredContactMethod)
	}
	if why := PhoneRule(p.Severity, p.ContactDetails.PreferredContactMethod, p.ContactDetails.PhoneNumber); why != "" {
		return fault.Permanentf("ticket properties: contactDetails.phoneNumber: %s", why)
	}
	if !p.ProblemStartTime.IsZero() {
		p.ProblemStartTime = p.ProblemStartTime.UTC()
	}
	switch strings.ToLower(p.AdvancedDiagnosticConsent) {
	case "yes":
		p.AdvancedDiagnosticConsent = "Yes"
	case "no":
		p.AdvancedDiagnosticConsent = "No"
	default:
		return fault.Permanentf("ticket properties: advancedDiagnosticConsent %q: want Yes or No", p.AdvancedDiagnosticConsent)
	}
	return nil
}

// writable returns p without its read-only properties.
func (p TicketProperties) writable() TicketProperties {
	return TicketProperties{
		Title: p.Title, Description: p.Description, ServiceID: p.ServiceID,
		ProblemClassificationID: p.ProblemClassificationID, Severity: p.Severity,
		AdvancedDiagnosticConsent: p.AdvancedDiagnosticConsent, ContactDetails: p.ContactDetails,
		ProblemStartTime: p.ProblemStartTime,
	}
}
