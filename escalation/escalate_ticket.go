package escalation

import (
	"cmp"
	"net/url"
	"strings"

	"github.com/escalator/escalator/internal/azuresupport"
	"github.com/escalator/escalator/internal/event"
	"github.com/escalator/escalator/internal/servicenow"
)

// Contact defaults, used when the event's escalation.contact leaves a
// preference out.
const (
	DefaultContactMethod = "email"
	DefaultTimeZone      = "UTC"
	DefaultLanguage      = "en-us"
	DefaultCountry       = "USA"
)

// testTitlePrefix marks the title of a case opened from a test environment.
const testTitlePrefix = "[TEST] "

// ticketProperties builds the ticket of ev's incident with acct as its
// contact and d, the dialog's answers (readDialog):
//   - title and description from the escalation block, else from the
//     incident; the description always names the incident and links back;
//   - severity from the block, else mapped from the priority;
//     highestcriticalimpact lowered to critical unless allowed; minimal in
//     a test environment (readDialog);
//   - contact names and address from the linked account; contact method,
//     phone, time zone, language and country from the block's contact,
//     else the defaults (country: the account's usage location, else USA);
//   - problem start time and advanced diagnostic consent from the block
//     (consent No when not given);
//   - service and problem classification: the configured ones (the
//     handler classifies afterwards, see classify).
func (h *EscalateHandler) ticketProperties(ev *event.Event, acct Account, d dialog) azuresupport.TicketProperties {
	inc := ev.Data.Incident
	esc, contact := escalationBlock(ev)

	title := cmp.Or(strings.TrimSpace(esc.Title), strings.TrimSpace(inc.ShortDescription), "ServiceNow incident "+inc.Number)
	if h.cfg.TestEnvironment {
		title = testTitlePrefix + title
	}
	country := DefaultCountry
	if c, ok := CountryAlpha3(acct.UsageLocation); ok {
		country = c
	}
	if c, ok := contactCountry(contact.Country); ok {
		country = c
	}
	first, last := acct.ContactName()
	return azuresupport.TicketProperties{
		Title:                     title,
		Description:               description(ev, esc),
		ServiceID:                 h.cfg.ServiceID,
		ProblemClassificationID:   h.cfg.ProblemClassificationID,
		Severity:                  d.severity,
		AdvancedDiagnosticConsent: d.consent,
		ProblemStartTime:          d.start,
		ContactDetails: azuresupport.ContactDetails{
			FirstName:                first,
			LastName:                 last,
			PrimaryEmailAddress:      acct.Email,
			PreferredContactMethod:   d.method,
			PhoneNumber:              d.phone,
			PreferredTimeZone:        cmp.Or(strings.TrimSpace(contact.TimeZone), DefaultTimeZone),
			PreferredSupportLanguage: strings.ToLower(cmp.Or(strings.TrimSpace(contact.Language), DefaultLanguage)),
			Country:                  country,
		},
	}
}

// contactCountry reads a country given as an ISO 3166-1 alpha-2 or
// alpha-3 code; anything else is not used.
func contactCountry(c string) (string, bool) {
	c = strings.ToUpper(strings.TrimSpace(c))
	switch len(c) {
	case 2:
		return CountryAlpha3(c)
	case 3:
		for _, r := range c {
			if r < 'A' || r > 'Z' {
				return "", false
			}
		}
		return c, true
	}
	return "", false
}

// description is the case description: the block's or the incident's
// text, then where it comes from.
func description(ev *event.Event, esc *event.Escalation) string {
	inc := ev.Data.Incident
	body := cmp.Or(strings.TrimSpace(esc.Description), strings.TrimSpace(inc.Description), strings.TrimSpace(inc.ShortDescription))
	var b strings.Builder
	if body != "" {
		b.WriteString(body)
		b.WriteString("\n\n")
	}
	b.WriteString("ServiceNow incident " + inc.Number)
	if link := incidentLink(ev.Source, inc.SysID); link != "" {
		b.WriteString(": " + link)
	}
	b.WriteString("\nEscalated by " + ev.Data.RequestedBy.UserName + " through Escalator.")
	return b.String()
}

// incidentLink is the incident's URL on the instance the event came from,
// or "" when the source is not an http(s) URL.
func incidentLink(source, sysID string) string {
	u, err := url.Parse(strings.TrimRight(source, "/"))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return ""
	}
	return u.String() + "/nav_to.do?uri=" + url.QueryEscape("incident.do?sys_id="+sysID)
}

// noteKey is a work-note marker key for id: id itself when it is short and
// plain, else a digest (servicenow.EventKeyForm).
func noteKey(prefix, id string) string {
	return servicenow.NoteKey(prefix, id, servicenow.EventKeyForm)
}
