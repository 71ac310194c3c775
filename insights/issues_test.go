package insights

import (
	"slices"
	"testing"
	"time"
)

const exampleIncident = "Outlook cannot connect to Exchange Online for the finance floor\n" +
	"Since 08:40 UTC about 40 users get 'Trying to connect...' in Outlook desktop. OWA works."

var exampleTime = time.Date(2026, 3, 2, 8, 55, 0, 0, time.UTC)

// exampleIssues are shaped like Graph serviceHealthIssue values: the
// connectivity incident the example incident is about, a Teams issue that
// shares a few words with it, an unrelated Exchange Online advisory and a
// SharePoint issue.
func exampleIssues() []Issue {
	return []Issue{
		{
			ID: "MO999001", Title: "Some users can't join Teams meetings from the Outlook desktop client",
			Service: "Microsoft Teams", Feature: "Teams Components", FeatureGroup: "Meetings",
			Classification: "advisory", Status: "investigating", LastModified: exampleTime,
		},
		{
			ID: "EX999002", Title: "Admins are unable to migrate some user mailboxes from IMAP using the Exchange admin center",
			Service: "Exchange Online", Feature: "Tenant Administration (Provisioning, Remote PowerShell)", FeatureGroup: "Management and Provisioning",
			ImpactDescription: "Admins attempting to migrate some user mailboxes experience failures.",
			Classification:    "advisory", Status: "serviceDegradation", LastModified: exampleTime,
		},
		{
			ID: "EX999003", Title: "Users may be unable to connect to Exchange Online using Outlook desktop client",
			Service: "Exchange Online", Feature: "E-Mail and calendar access", FeatureGroup: "E-Mail and calendar access",
			ImpactDescription: "Users may be unable to connect to Exchange Online using the Outlook desktop client; Outlook on the web is unaffected.",
			Classification:    "Incident", Status: "ServiceInterruption", LastModified: exampleTime,
		},
		{
			ID: "SP999004", Title: "Users can't open some SharePoint Online pages",
			Service: "SharePoint Online", Feature: "SharePoint Features", FeatureGroup: "SharePoint Features",
			Classification: "incident", Status: "restoringService", LastModified: exampleTime,
		},
	}
}

func TestRankIssuesExampleIncident(t *testing.T) {
	services := MatchServices(exampleIncident)
	if len(services) == 0 || services[0].Service != ServiceExchange {
		t.Fatalf("top service = %+v, want Exchange Online", services)
	}
	got := RankIssues(exampleIncident, services, exampleIssues(), 10)
	ids := issueIDs(got)
	if len(got) == 0 || ids[0] != "EX999003" {
		t.Fatalf("ranked %q, want the Exchange Online connectivity issue EX999003 first", ids)
	}
	pos := func(id string) int { return slices.Index(ids, id) }
	if p := pos("MO999001"); p >= 0 && p < pos("EX999003") {
		t.Errorf("Teams issue ranked above the Exchange issue: %q", ids)
	}
	if p := pos("EX999002"); p < 0 || p < pos("EX999003") {
		t.Errorf("unrelated Exchange issue should rank below the connectivity issue: %q", ids)
	}
	if pos("SP999004") >= 0 {
		t.Errorf("SharePoint issue shares nothing with the incident but was ranked: %q", ids)
	}
	for _, m := range got {
		if m.Score <= 0 {
			t.Errorf("issue %s has score %v", m.Issue.ID, m.Score)
		}
	}
}

func issueIDs(ms []IssueMatch) []string {
	var ids []string
	for _, m := range ms {
		ids = append(ids, m.Issue.ID)
	}
	return ids
}

func TestRankIssues(t *testing.T) {
	exo := []ServiceMatch{{Service: ServiceExchange, Terms: []string{"outlook"}, Score: 2}}
	tests := []struct {
		name     string
		text     string
		services []ServiceMatch
		issues   []Issue
		n        int
		want     []string
	}{
		{
			name: "service match beats word overlap", text: "outlook search broken", services: exo,
			issues: []Issue{
				{ID: "A1", Service: "Microsoft Teams", Title: "Search broken in Teams for Outlook contacts"},
				{ID: "B1", Service: "Exchange Online", Title: "Delays in mail delivery"},
			},
			n: 5, want: []string{"B1", "A1"},
		},
		{
			name: "equal scores order by id", text: "outlook", services: exo,
			issues: []Issue{
				{ID: "EX3", Service: "Exchange Online", Title: "x"},
				{ID: "EX1", Service: "exchange online", Title: "y"},
				{ID: "EX2", Service: "Exchange Online", Title: "z"},
			},
			n: 5, want: []string{"EX1", "EX2", "EX3"},
		},
		{
			name: "n limits", text: "outlook", services: exo,
			issues: []Issue{
				{ID: "EX3", Service: "Exchange Online"}, {ID: "EX1", Service: "Exchange Online"}, {ID: "EX2", Service: "Exchange Online"},
			},
			n: 2, want: []string{"EX1", "EX2"},
		},
		{
			name: "active issue ranks above resolved one", text: "outlook", services: exo,
			issues: []Issue{
				{ID: "EX1", Service: "Exchange Online", Status: "serviceRestored"},
				{ID: "EX2", Service: "Exchange Online", Status: "ServiceDegradation"},
			},
			n: 5, want: []string{"EX2", "EX1"},
		},
		{
			name: "feature words count more than title words", text: "calendar sharing broken, mail delivery fine", services: nil,
			issues: []Issue{
				{ID: "X1", Service: "Exchange Online", Title: "Mail delivery delayed"},
				{ID: "X2", Service: "Exchange Online", Title: "Problems", Feature: "Calendar", FeatureGroup: "Sharing"},
			},
			n: 5, want: []string{"X2", "X1"},
		},
		{
			name: "one shared word is not enough without the service", text: "printer jammed near outlook poster", services: nil,
			issues: []Issue{{ID: "T1", Service: "Microsoft Teams", Title: "Outlook add-in missing"}},
			n:      5, want: nil,
		},
		{
			name: "noise words do not match", text: "users may be unable to work, issue affects service", services: nil,
			issues: []Issue{{ID: "T1", Service: "Microsoft Teams", Title: "Users may be unable to work: issue affects service"}},
			n:      5, want: nil,
		},
		{
			name: "incident names the issue id", text: "probably related to ex123456 per the admin center", services: nil,
			issues: []Issue{{ID: "EX123456", Service: "Exchange Online", Title: "Something"}, {ID: "EX1", Service: "Exchange Online"}},
			n:      5, want: []string{"EX123456"},
		},
		{
			name: "old Graph service name", text: "mfa", services: []ServiceMatch{{Service: ServiceEntra, Score: 2}},
			issues: []Issue{{ID: "ID1", Service: "Identity Service"}},
			n:      5, want: []string{"ID1"},
		},
		{name: "no issues", text: "outlook", services: exo, issues: nil, n: 5, want: nil},
		{name: "n zero", text: "outlook", services: exo, issues: []Issue{{ID: "EX1", Service: "Exchange Online"}}, n: 0, want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := RankIssues(tt.text, tt.services, tt.issues, tt.n)
			if ids := issueIDs(got); !slices.Equal(ids, tt.want) {
				t.Fatalf("RankIssues = %q, want %q (%+v)", ids, tt.want, got)
			}
		})
	}
}

func TestRankIssuesStrongerServiceFirst(t *testing.T) {
	services := []ServiceMatch{
		{Service: ServiceExchange, Score: 7},
		{Service: ServiceTeams, Score: 1},
	}
	issues := []Issue{{ID: "A", Service: "Microsoft Teams"}, {ID: "B", Service: "Exchange Online"}}
	if got := issueIDs(RankIssues("x", services, issues, 5)); !slices.Equal(got, []string{"B", "A"}) {
		t.Errorf("RankIssues = %q, want the issue of the stronger service first", got)
	}
}

func TestIsActiveStatus(t *testing.T) {
	tests := []struct {
		status string
		want   bool
	}{
		{"investigating", true},
		{"ServiceDegradation", true},
		{"extendedRecovery", true},
		{"serviceRestored", false},
		{"PostIncidentReviewPublished", false},
		{"falsePositive", false},
		{"resolved", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := IsActiveStatus(tt.status); got != tt.want {
			t.Errorf("IsActiveStatus(%q) = %v, want %v", tt.status, got, tt.want)
		}
	}
}
