package azuresupport_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/escalator/escalator/internal/azuresupport"
	"github.com/escalator/escalator/internal/fault"
)

func TestParseSeverity(t *testing.T) {
	tests := []struct {
		in      string
		want    azuresupport.Severity
		wantErr bool
	}{
		{"minimal", azuresupport.SeverityMinimal, false},
		{"Moderate", azuresupport.SeverityModerate, false},
		{"CRITICAL", azuresupport.SeverityCritical, false},
		{"HighestCriticalImpact", azuresupport.SeverityHighestCriticalImpact, false},
		{" critical ", azuresupport.SeverityCritical, false},
		{"urgent", "", true},
		{"", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := azuresupport.ParseSeverity(tt.in)
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
	var p struct{ Severity azuresupport.Severity }
	for in, want := range map[string]azuresupport.Severity{`"Moderate"`: "moderate", `"critical"`: "critical", `"sev0"`: "sev0"} {
		if err := json.Unmarshal([]byte(`{"Severity":`+in+`}`), &p); err != nil || p.Severity != want {
			t.Errorf("%s: %q, %v", in, p.Severity, err)
		}
	}
	if azuresupport.Severity("Moderate").Valid() || !azuresupport.SeverityModerate.Valid() {
		t.Error("Valid: wire values are lower case")
	}
}
