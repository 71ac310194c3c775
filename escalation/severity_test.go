package escalation_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/escalator/escalator/escalation"
	"github.com/escalator/escalator/internal/fault"
)

func TestSeverityFromPriority(t *testing.T) {
	tests := []struct {
		priority string
		want     escalation.Severity
	}{
		{"1", escalation.SeverityCritical},
		{"1 - Critical", escalation.SeverityCritical},
		{" 1 ", escalation.SeverityCritical},
		{"2", escalation.SeverityModerate},
		{"2 - High", escalation.SeverityModerate},
		{"3", escalation.SeverityMinimal},
		{"3 - Moderate", escalation.SeverityMinimal},
		{"4", escalation.SeverityMinimal},
		{"5 - Planning", escalation.SeverityMinimal},
		{"", escalation.SeverityMinimal},
		{"0", escalation.SeverityMinimal},
		{"12", escalation.SeverityMinimal},
		{"critical", escalation.SeverityMinimal},
	}
	for _, tt := range tests {
		t.Run(tt.priority, func(t *testing.T) {
			got := escalation.SeverityFromPriority(tt.priority)
			if got != tt.want {
				t.Errorf("SeverityFromPriority(%q) = %s, want %s", tt.priority, got, tt.want)
			}
			if got == escalation.SeverityHighestCriticalImpact {
				t.Error("highestcriticalimpact chosen automatically")
			}
		})
	}
}

func TestParseSeverity(t *testing.T) {
	tests := []struct {
		in      string
		want    escalation.Severity
		wantErr bool
	}{
		{"minimal", escalation.SeverityMinimal, false},
		{"Moderate", escalation.SeverityModerate, false},
		{"CRITICAL", escalation.SeverityCritical, false},
		{"HighestCriticalImpact", escalation.SeverityHighestCriticalImpact, false},
		{" critical ", escalation.SeverityCritical, false},
		{"urgent", "", true},
		{"", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := escalation.ParseSeverity(tt.in)
			if got != tt.want || (err != nil) != tt.wantErr {
				t.Fatalf("ParseSeverity(%q) = %q, %v", tt.in, got, err)
			}
			if err != nil {
				if fault.Classify(err) != fault.Permanent {
					t.Error("not permanent")
				}
				for _, v := range []string{"minimal", "moderate", "critical", "highestcriticalimpact"} {
					if !strings.Contains(err.Error(), v) {
						t.Errorf("error %q does not name %s", err, v)
					}
				}
			}
		})
	}
}

func TestSeverityUnmarshal(t *testing.T) {
	var p struct{ Severity escalation.Severity }
	for in, want := range map[string]escalation.Severity{`"Moderate"`: "moderate", `"critical"`: "critical", `"sev0"`: "sev0"} {
		if err := json.Unmarshal([]byte(`{"Severity":`+in+`}`), &p); err != nil || p.Severity != want {
			t.Errorf("%s: %q, %v", in, p.Severity, err)
		}
	}
	if escalation.Severity("Moderate").Valid() || !escalation.SeverityModerate.Valid() {
		t.Error("Valid: wire values are lower case")
	}
}
