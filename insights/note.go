package insights

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// How much of a Note the work note shows (and the digest covers).
const (
	noteIssues    = 3
	noteArticles  = 5
	noteImpactMax = 300 // runes of an impact description
)

// Note is what the insights handler writes back to an incident.
type Note struct {
	// Incident is the incident number ("INC0010023"), for the heading.
	Incident string
	Services []ServiceMatch
	Issues   []IssueMatch   // best first; the note shows the first 3
	Articles []ArticleMatch // best first; the note shows the first 5
}

func (n Note) shownIssues() []IssueMatch     { return n.Issues[:min(len(n.Issues), noteIssues)] }
func (n Note) shownArticles() []ArticleMatch { return n.Articles[:min(len(n.Articles), noteArticles)] }

// FormatNote renders n as one plain-text ServiceNow work note. When the
// incident names no Microsoft 365 service the note says so, rather than
// padding it with articles (Recommend gives none then, unless the
// description quotes one closely).
func FormatNote(n Note) string {
	var b strings.Builder
	b.WriteString("Microsoft 365 insights")
	if n.Incident != "" {
		b.WriteString(" for " + n.Incident)
	}
	b.WriteString("\n\n")

	issues, articles := n.shownIssues(), n.shownArticles()
	if len(n.Services) == 0 && len(issues) == 0 && len(articles) == 0 {
		b.WriteString("No Microsoft 365 service recognised in this incident's description, and no Microsoft service health issue or article matches it.\n")
		return b.String()
	}

	if len(n.Services) == 0 {
		b.WriteString("Services: no Microsoft 365 service recognised in the incident's description.\n")
	} else {
		parts := make([]string, len(n.Services))
		for i, s := range n.Services {
			parts[i] = fmt.Sprintf("%s (%s)", s.Service, strings.Join(s.Terms, ", "))
		}
		b.WriteString("Services: " + strings.Join(parts, "; ") + "\n")
	}

	b.WriteString("\n")
	if len(issues) == 0 {
		b.WriteString("Microsoft service health: no current or recent issue matches this incident.\n")
	} else {
		b.WriteString("Microsoft service health issues that may be related:\n")
		for i, m := range issues {
			is := m.Issue
			fmt.Fprintf(&b, "%d. %s - %s\n", i+1, is.ID, oneLine(is.Title))
			fmt.Fprintf(&b, "   Service: %s | Status: %s", is.Service, humanize(is.Status))
			if is.Classification != "" {
				fmt.Fprintf(&b, " | %s", humanize(is.Classification))
			}
			if !is.LastModified.IsZero() {
				fmt.Fprintf(&b, " | Updated: %s", is.LastModified.UTC().Format("2006-01-02 15:04 UTC"))
			}
			b.WriteString("\n")
			if impact := oneLine(is.ImpactDescription); impact != "" {
				fmt.Fprintf(&b, "   Impact: %s\n", truncate(impact, noteImpactMax))
			}
		}
	}

	b.WriteString("\n")
	switch {
	case len(articles) == 0 && len(n.Services) == 0:
		b.WriteString("Recommended articles: none, as no Microsoft 365 service was recognised and no article matches the description closely.\n")
	case len(articles) == 0:
		b.WriteString("Recommended articles: none matches this incident.\n")
	default:
		b.WriteString("Recommended articles:\n")
		for i, m := range articles {
			fmt.Fprintf(&b, "%d. %s\n   %s\n", i+1, oneLine(m.Article.Title), m.Article.URL)
		}
	}
	return b.String()
}

// Digest is the sha256 (hex) of what the note says that matters: the shown
// issues' ids, statuses and last-modified times and the shown articles'
// URLs. The handler posts a new note only when the digest changed. Items
// are sorted, so the same issues and articles in another order give the
// same digest; status case ("serviceDegradation" or "ServiceDegradation")
// does not matter either.
func Digest(n Note) string {
	var lines []string
	for _, m := range n.shownIssues() {
		lm := ""
		if !m.Issue.LastModified.IsZero() {
			lm = m.Issue.LastModified.UTC().Format(time.RFC3339Nano)
		}
		lines = append(lines, fmt.Sprintf("issue\t%s\t%s\t%s", m.Issue.ID, strings.ToLower(m.Issue.Status), lm))
	}
	for _, m := range n.shownArticles() {
		lines = append(lines, "article\t"+m.Article.URL)
	}
	slices.Sort(lines)
	h := sha256.New()
	h.Write([]byte("escalator-insights-v1\n"))
	for _, l := range lines {
		h.Write([]byte(l))
		h.Write([]byte("\n"))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// humanize turns an enum value into words: "serviceDegradation" and
// "ServiceDegradation" → "Service degradation".
func humanize(s string) string {
	if s == "" {
		return "unknown"
	}
	var b strings.Builder
	for i, r := range s {
		if i > 0 && unicode.IsUpper(r) {
			b.WriteByte(' ')
		}
		if i == 0 {
			b.WriteRune(unicode.ToUpper(r))
		} else {
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// oneLine collapses runs of white space (new lines included) to one space.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func truncate(s string, runes int) string {
	if utf8.RuneCountInString(s) <= runes {
		return s
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:runes])) + "..."
}
