package health

import (
	"strings"
	"testing"
	"time"
)

func TestImpactFor(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"incident", "2"},
		{"Incident", "2"},
		{"advisory", "3"},
		{"Advisory", "3"},
		{"unknownFutureValue", "3"},
		{"somethingNew", "3"},
	}
	for _, tt := range tests {
		if got := ImpactFor(ParseClassification(tt.in)); got != tt.want {
			t.Errorf("ImpactFor(%s) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestUrgencyFor(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"serviceInterruption", "1"},
		{"ServiceInterruption", "1"},
		{"serviceDegradation", "2"},
		{"investigating", "2"},
		{"restoringService", "2"},
		{"verifyingService", "2"},
		{"extendedRecovery", "2"},
		{"investigationSuspended", "2"},
		{"confirmed", "2"},
		{"reported", "2"},
		{"serviceRestored", "3"},
		{"postIncidentReviewPublished", "3"},
		{"falsePositive", "3"},
		{"resolved", "3"},
		{"mitigated", "3"},
		{"serviceOperational", "3"},
		{"brandNewStatus", "3"},
	}
	for _, tt := range tests {
		if got := UrgencyFor(ParseStatus(tt.in)); got != tt.want {
			t.Errorf("UrgencyFor(%s) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestIncidentFields(t *testing.T) {
	is := Issue{
		ID: "EX226792", Title: "Users can't send mail", Service: "Exchange Online", Feature: "E-Mail and calendar access",
		FeatureGroup: "E-Mail", Classification: ClassificationIncident, Status: StatusServiceInterruption,
		StartDateTime:     time.Date(2026, 11, 25, 8, 40, 0, 0, time.UTC),
		ImpactDescription: "Users can't send email messages.",
	}
	f := IncidentFields(is, "Messaging", "email")
	want := map[string]string{
		"short_description": "Users can't send mail",
		"impact":            "2",
		"urgency":           "1",
		"assignment_group":  "Messaging",
		"category":          "email",
		"correlation_id":    "EX226792",
	}
	for k, v := range want {
		if f[k] != v {
			t.Errorf("%s = %q, want %q", k, f[k], v)
		}
	}
	for _, part := range []string{
		"Issue ID: EX226792", "Service: Exchange Online", "Feature: E-Mail and calendar access (E-Mail)",
		"Status: serviceInterruption", "Classification: incident", "Start time: 2026-11-25 08:40:00 UTC",
		"User impact: Users can't send email messages.",
		"https://admin.microsoft.com/Adminportal/Home#/servicehealth/:/alerts/EX226792",
	} {
		if !strings.Contains(f["description"], part) {
			t.Errorf("description lacks %q:\n%s", part, f["description"])
		}
	}
	if strings.Contains(f["description"], "End time") {
		t.Errorf("an open issue has no end time:\n%s", f["description"])
	}
}

func TestPlainText(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"<p>Title: A<br><br>User impact: B</p>", "Title: A\n\nUser impact: B"},
		{"<p>a &amp; b</p><p>c&#39;s</p>", "a & b\nc's"},
		{"<ul><li>one</li><li>two</li></ul>", "- one\n- two"},
		{"plain", "plain"},
		{"<p>a</p>\n\n\n\n<p>b</p>", "a\n\nb"},
	}
	for _, tt := range tests {
		if got := PlainText(tt.in); got != tt.want {
			t.Errorf("PlainText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestPostKeys(t *testing.T) {
	t0 := time.Unix(1795598100, 0)
	posts := []Post{
		{CreatedDateTime: t0},
		{CreatedDateTime: t0.Add(time.Minute)},
		{CreatedDateTime: t0.Add(time.Minute)},
		{CreatedDateTime: t0.Add(time.Minute)},
	}
	want := []string{
		"health-EX1-1795598100",
		"health-EX1-1795598160",
		"health-EX1-1795598160-2",
		"health-EX1-1795598160-3",
	}
	got := PostKeys("EX1", posts)
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("key %d = %s, want %s", i, got[i], want[i])
		}
	}
}

func TestResolveNote(t *testing.T) {
	is := Issue{EndDateTime: time.Date(2026, 11, 25, 11, 5, 0, 0, time.UTC)}
	if got, want := ResolveNote(is), "The Microsoft service health incident was resolved on 2026-11-25 11:05:00 UTC"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}
