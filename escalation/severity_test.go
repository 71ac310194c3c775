package escalation_test

import (
	"testing"

	"github.com/escalator/escalator/escalation"
	"github.com/escalator/escalator/internal/azuresupport"
)

func TestSeverityFromPriority(t *testing.T) {
	tests := []struct {
		priority string
		want     azuresupport.Severity
	}{
		{"1", azuresupport.SeverityCritical},
		{"1 - Critical", azuresupport.SeverityCritical},
		{" 1 ", azuresupport.SeverityCritical},
		{"2", azuresupport.SeverityModerate},
		{"2 - High", azuresupport.SeverityModerate},
		{"3", azuresupport.SeverityMinimal},
		{"3 - Moderate", azuresupport.SeverityMinimal},
		{"4", azuresupport.SeverityMinimal},
		{"5 - Planning", azuresupport.SeverityMinimal},
		{"", azuresupport.SeverityMinimal},
		{"0", azuresupport.SeverityMinimal},
		{"12", azuresupport.SeverityMinimal},
		{"critical", azuresupport.SeverityMinimal},
	}
	for _, tt := range tests {
		t.Run(tt.priority, func(t *testing.T) {
			got := escalation.SeverityFromPriority(tt.priority)
			if got != tt.want {
				t.Errorf("SeverityFromPriority(%q) = %s, want %s", tt.priority, got, tt.want)
			}
			if got == azuresupport.SeverityHighestCriticalImpact {
				t.Error("highestcriticalimpact chosen automatically")
			}
		})
	}
}
