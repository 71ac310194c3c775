package escalation

import (
	"strings"

	"github.com/escalator/escalator/internal/azuresupport"
)

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
func SeverityFromPriority(priority string) azuresupport.Severity {
	p := strings.TrimSpace(priority)
	if i := strings.IndexFunc(p, func(r rune) bool { return r < '0' || r > '9' }); i >= 0 {
		p = p[:i]
	}
	switch p {
	case "1":
		return azuresupport.SeverityCritical
	case "2":
		return azuresupport.SeverityModerate
	default:
		return azuresupport.SeverityMinimal
	}
}
