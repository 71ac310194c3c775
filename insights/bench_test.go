package insights

import "testing"

// benchIncident is a typical incident: a short description and a few
// sentences of description.
const benchIncident = exampleIncident + "\n" +
	"Users on the 3rd floor report that Outlook shows 'Disconnected' in the status bar and " +
	"new mail does not arrive. Restarting Outlook and the PC did not help. Teams and OneDrive " +
	"work normally. Affected users are all in the Finance security group; their mailboxes are " +
	"in Exchange Online. Please check whether there is a known Microsoft 365 service issue."

func BenchmarkRecommend(b *testing.B) {
	c := loadCatalog(b)
	services := MatchServices(benchIncident)
	b.ReportAllocs()
	for b.Loop() {
		if len(c.Recommend(benchIncident, services, 5)) == 0 {
			b.Fatal("no article")
		}
	}
}

func BenchmarkMatchServices(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		MatchServices(benchIncident)
	}
}

func BenchmarkRankIssues(b *testing.B) {
	services := MatchServices(benchIncident)
	var issues []Issue
	for range 25 { // a busy day: 100 issues
		issues = append(issues, exampleIssues()...)
	}
	b.ReportAllocs()
	for b.Loop() {
		RankIssues(benchIncident, services, issues, 3)
	}
}

func BenchmarkLoadCatalog(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := LoadCatalog(); err != nil {
			b.Fatal(err)
		}
	}
}
