package health

import (
	"encoding/json"
	"testing"
)

func TestParseStatus(t *testing.T) {
	tests := []struct {
		in     string
		want   Status
		known  bool
		active bool
	}{
		{"serviceOperational", StatusServiceOperational, true, false},
		{"ServiceOperational", StatusServiceOperational, true, false},
		{"investigating", StatusInvestigating, true, true},
		{"Investigating", StatusInvestigating, true, true},
		{"RestoringService", StatusRestoringService, true, true},
		{"verifyingService", StatusVerifyingService, true, true},
		{"ServiceRestored", StatusServiceRestored, true, false},
		{"PostIncidentReviewPublished", StatusPostIncidentReviewPublished, true, false},
		{"ServiceDegradation", StatusServiceDegradation, true, true},
		{"serviceInterruption", StatusServiceInterruption, true, true},
		{"ExtendedRecovery", StatusExtendedRecovery, true, true},
		{"FalsePositive", StatusFalsePositive, true, false},
		{"InvestigationSuspended", StatusInvestigationSuspended, true, true},
		{"Resolved", StatusResolved, true, false},
		{"mitigatedExternal", StatusMitigatedExternal, true, false},
		{"Mitigated", StatusMitigated, true, false},
		{"ResolvedExternal", StatusResolvedExternal, true, false},
		{"Confirmed", StatusConfirmed, true, true},
		{"reported", StatusReported, true, true},
		{"UnknownFutureValue", StatusUnknownFutureValue, true, false},
		{"SERVICEDEGRADATION", StatusServiceDegradation, true, true},
		{"someNewState", Status("someNewState"), false, false},
		{"", Status(""), false, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got := ParseStatus(tt.in)
			if got != tt.want || got.Known() != tt.known || got.Active() != tt.active {
				t.Errorf("ParseStatus(%q) = %q known=%v active=%v, want %q known=%v active=%v",
					tt.in, got, got.Known(), got.Active(), tt.want, tt.known, tt.active)
			}
			var s Status
			if err := json.Unmarshal([]byte(`"`+tt.in+`"`), &s); err != nil || s != tt.want {
				t.Errorf("unmarshal %q = %q, %v", tt.in, s, err)
			}
		})
	}
}

func TestParseClassification(t *testing.T) {
	tests := []struct {
		in    string
		want  Classification
		known bool
	}{
		{"advisory", ClassificationAdvisory, true},
		{"Advisory", ClassificationAdvisory, true},
		{"Incident", ClassificationIncident, true},
		{"incident", ClassificationIncident, true},
		{"unknownFutureValue", ClassificationUnknownFutureValue, true},
		{"UnknownFutureValue", ClassificationUnknownFutureValue, true},
		{"Outage", Classification("Outage"), false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got := ParseClassification(tt.in)
			if got != tt.want || got.Known() != tt.known {
				t.Errorf("ParseClassification(%q) = %q known=%v, want %q known=%v", tt.in, got, got.Known(), tt.want, tt.known)
			}
			var c Classification
			if err := json.Unmarshal([]byte(`"`+tt.in+`"`), &c); err != nil || c != tt.want {
				t.Errorf("unmarshal %q = %q, %v", tt.in, c, err)
			}
		})
	}
}

func TestDecodeIssueUnknownValuesKept(t *testing.T) {
	is, err := decodeIssue([]byte(`{"id":"EX1","classification":"Outage","status":"BrandNew","startDateTime":"2024-01-02T03:04:05.1234567Z","endDateTime":"2024-01-02T04:00:00"}`))
	if err != nil {
		t.Fatal(err)
	}
	if is.Classification != "Outage" || is.Status != "BrandNew" {
		t.Errorf("unknown values not kept: %+v", is)
	}
	if is.StartDateTime.Nanosecond() != 123456700 || is.EndDateTime.Hour() != 4 {
		t.Errorf("times: %s, %s", is.StartDateTime, is.EndDateTime)
	}
	for _, bad := range []string{`{"title":"no id"}`, `{"id":"EX1","startDateTime":"yesterday"}`, `[`, `{"id":"EX1","isResolved":"yes"}`} {
		if _, err := decodeIssue([]byte(bad)); err == nil {
			t.Errorf("decodeIssue(%s) accepted", bad)
		}
	}
}
