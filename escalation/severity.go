package escalation

import (
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
	// well. Never chosen automatically; see SeverityFromPriority.
	SeverityHighestCriticalImpact Severity = "highestcriticalimpact"
)

var severities = []Severity{SeverityMinimal, SeverityModerate, SeverityCritical, SeverityHighestCriticalImpact}

// SeverityFromPriority maps a ServiceNow incident priority to a ticket
// severity:
//
//	ServiceNow priority       ticket severity
//	1 - Critical              critical  (Severity A)
//	2 - High                  moderate  (Severity B)
//	3 - Moderate              minimal   (Severity C)
//	4 - Low                   minimal
//	5 - Planning              minimal
//	anything else             minimal
//
// highestcriticalimpact is never the result: it commits Microsoft and the
// customer's contact to 24x7 work on the case, which nobody should sign up
// for through an automatic mapping; a caller that needs it asks for it
// explicitly (ParseSeverity). Unknown or empty priorities map to minimal, the
// severity that can be raised later without harm. The priority may be given
// as "1" or as ServiceNow's display value "1 - Critical".
func SeverityFromPriority(priority string) Severity {
	p := strings.TrimSpace(priority)
	if i := strings.IndexFunc(p, func(r rune) bool { return r < '0' || r > '9' }); i >= 0 {
		p = p[:i]
	}
	switch p {
	case "1":
		return SeverityCritical
	case "2":
		return SeverityModerate
	default:
		return SeverityMinimal
	}
}

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
