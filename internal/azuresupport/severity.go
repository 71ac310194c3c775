package azuresupport

import (
	"fmt"
	"slices"
	"strings"

	"github.com/escalator/escalator/internal/fault"
)

// Severity is the severity of an Azure support ticket.
type Severity string

// The severities the Azure Support API accepts (api-version 2024-04-01).
const (
	SeverityMinimal  Severity = "minimal"  // Severity C
	SeverityModerate Severity = "moderate" // Severity B
	SeverityCritical Severity = "critical" // Severity A
	// SeverityHighestCriticalImpact is "critical business impact, 24x7":
	// Microsoft engages around the clock and expects the customer to as
	// well. Never chosen automatically (see escalation.SeverityFromPriority).
	SeverityHighestCriticalImpact Severity = "highestcriticalimpact"
)

var severities = []Severity{SeverityMinimal, SeverityModerate, SeverityCritical, SeverityHighestCriticalImpact}

// ParseSeverity reads a severity in any letter case. An unknown value is a
// permanent error naming the allowed ones.
func ParseSeverity(s string) (Severity, error) {
	v := strings.TrimSpace(s)
	for _, sev := range severities {
		if strings.EqualFold(v, string(sev)) {
			return sev, nil
		}
	}
	allowed := make([]string, len(severities))
	for i, sev := range severities {
		allowed[i] = string(sev)
	}
	return "", fault.Permanentf("severity %q: want one of %s", s, strings.Join(allowed, ", "))
}

// String returns the wire value.
func (s Severity) String() string { return string(s) }

// Valid reports whether s is one of the accepted severities, as sent on
// the wire (lower case).
func (s Severity) Valid() bool { return slices.Contains(severities, s) }

// UnmarshalText accepts any letter case ("Moderate" as some tools print
// it); an unknown value is kept as sent.
func (s *Severity) UnmarshalText(b []byte) error {
	if v, err := ParseSeverity(string(b)); err == nil {
		*s = v
		return nil
	}
	*s = Severity(b)
	return nil
}

// PhoneRule is Microsoft's rule for the contact's phone number (Azure
// Support API, ContactProfile.phoneNumber: "required if preferred contact
// method is phone. It is also required when submitting 'critical' or
// 'highestcriticalimpact' severity cases"). It returns why a ticket of
// severity sev with contact method and phone breaks it, or "".
func PhoneRule(sev Severity, method, phone string) string {
	if strings.TrimSpace(phone) != "" {
		return ""
	}
	switch {
	case strings.EqualFold(method, "phone"):
		return "the contact method is phone but no phone number was given. Give a phone number, or choose email as the contact method."
	case sev == SeverityCritical || sev == SeverityHighestCriticalImpact:
		return fmt.Sprintf("Microsoft requires a phone number for a case of severity %s (and of severity %s). "+
			"Give a phone number in the escalation dialog, or choose a lower severity.", sev, otherTopSeverity(sev))
	}
	return ""
}

func otherTopSeverity(sev Severity) Severity {
	if sev == SeverityCritical {
		return SeverityHighestCriticalImpact
	}
	return SeverityCritical
}
