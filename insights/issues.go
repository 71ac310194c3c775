package insights

import (
	"cmp"
	"slices"
	"strings"
	"time"
)

// Issue is a Microsoft service health issue (Graph serviceHealthIssue),
// reduced to what matching needs. Enum values (Classification, Status) may
// arrive in camelCase or PascalCase.
type Issue struct {
	ID                string
	Title             string
	Service           string
	Feature           string
	FeatureGroup      string
	ImpactDescription string
	Classification    string // "advisory" or "incident"
	Status            string // serviceHealthStatus, e.g. "serviceDegradation"
	LastModified      time.Time
}

// IssueMatch is a health issue that matches an incident.
type IssueMatch struct {
	Issue Issue
	Score float64
	// Why says what matched, for logs and traces: "service Exchange Online",
	// "title: outlook, connect".
	Why []string
}

// Scores of RankIssues. The service decides first: an issue of a service
// the incident is about scores serviceScoreMin..serviceScoreMax (by the
// strength of the service match), more than the words of any ordinary
// title can add.
const (
	serviceScoreMin  = 6.0
	serviceScoreMax  = 10.0
	featureTermScore = 2.0  // per incident term in the issue's feature or feature group
	titleTermScore   = 1.0  // per incident term in the title
	impactTermScore  = 0.5  // per incident term in the impact description (not in the title)
	mentionScore     = 20.0 // the incident names the issue id ("EX123456")
	activeScore      = 1.0  // the issue is not resolved (only added to a positive score)
	// minTextOnlyScore is the least word score an issue of a service the
	// incident is not about needs: one shared word like "outlook" in a
	// Teams issue is not enough.
	minTextOnlyScore = 2.0
)

// issueNoise are terms (after stemming) that nearly every issue and
// incident contains; they say nothing about which issue it is.
var issueNoise = map[string]bool{
	"user": true, "unable": true, "may": true, "issue": true, "problem": true,
	"affected": true, "impact": true, "experience": true, "service": true,
	"microsoft": true, "365": true, "office": true, "working": true, "work": true,
}

// resolvedStatuses are the serviceHealthStatus values (lower case) of an
// issue that no longer affects users.
var resolvedStatuses = map[string]bool{
	"serviceoperational": true, "servicerestored": true, "postincidentreviewpublished": true,
	"falsepositive": true, "resolved": true, "resolvedexternal": true,
	"mitigated": true, "mitigatedexternal": true,
}

// IsActiveStatus reports whether a Graph serviceHealthStatus (any case)
// describes an issue still in progress.
func IsActiveStatus(status string) bool {
	return status != "" && !resolvedStatuses[strings.ToLower(status)]
}

// RankIssues returns up to n of issues that match an incident, best first
// (score descending, then id). text is the incident's short description
// and description; services is MatchServices(text). Only issues with a
// positive score are returned: the issue's service is one the incident is
// about, or the incident shares enough words with the issue, or it names
// the issue's id.
func RankIssues(text string, services []ServiceMatch, issues []Issue, n int) []IssueMatch {
	if n <= 0 || len(issues) == 0 {
		return nil
	}
	query := make(map[string]bool)
	for _, t := range tokenize(text) {
		if !issueNoise[t] {
			query[t] = true
		}
	}
	mentioned := make(map[string]bool)
	for _, w := range words(text) {
		mentioned[w] = true
	}
	top := 0
	strength := make(map[string]int, len(services))
	for _, s := range services {
		strength[CanonicalService(s.Service)] = max(strength[CanonicalService(s.Service)], s.Score)
		top = max(top, s.Score)
	}

	var out []IssueMatch
	for _, is := range issues {
		m := scoreIssue(is, query, mentioned, strength, top)
		if m.Score > 0 {
			out = append(out, m)
		}
	}
	slices.SortFunc(out, func(a, b IssueMatch) int {
		if c := cmp.Compare(b.Score, a.Score); c != 0 {
			return c
		}
		return cmp.Compare(a.Issue.ID, b.Issue.ID)
	})
	if len(out) > n {
		out = out[:n]
	}
	return out
}

func scoreIssue(is Issue, query, mentioned map[string]bool, strength map[string]int, top int) IssueMatch {
	m := IssueMatch{Issue: is}
	var serviceScore, textScore float64
	service := CanonicalService(is.Service)
	if s, ok := strength[service]; ok && top > 0 {
		serviceScore = serviceScoreMin + (serviceScoreMax-serviceScoreMin)*float64(s)/float64(top)
		m.Why = append(m.Why, "service "+service)
	}
	if is.ID != "" && mentioned[strings.ToLower(is.ID)] {
		textScore += mentionScore
		m.Why = append(m.Why, "mentions "+is.ID)
	}
	used := make(map[string]bool)
	var buf []byte
	overlap := func(label, text string, per float64) {
		var hit []string
		buf = scanTerms(text, buf, func(t []byte) {
			if query[string(t)] && !used[string(t)] {
				term := string(t)
				used[term] = true
				hit = append(hit, term)
				textScore += per
			}
		})
		if len(hit) > 0 {
			m.Why = append(m.Why, label+": "+strings.Join(hit, ", "))
		}
	}
	overlap("feature", is.Feature+" "+is.FeatureGroup, featureTermScore)
	overlap("title", is.Title, titleTermScore)
	overlap("impact", is.ImpactDescription, impactTermScore)

	if serviceScore == 0 && textScore < minTextOnlyScore {
		return IssueMatch{}
	}
	m.Score = serviceScore + textScore
	if m.Score > 0 && IsActiveStatus(is.Status) {
		m.Score += activeScore
		m.Why = append(m.Why, "active")
	}
	return m
}
