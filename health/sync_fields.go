package health

import (
	"fmt"
	"html"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// How a service health issue maps onto a ServiceNow incident.
//
//	service health        ServiceNow
//	Title                 short_description
//	classification        impact    (ImpactFor)
//	status                urgency   (UrgencyFor)
//	everything else       description (Description)
//	issue id              correlation_id (what makes the create idempotent)
//	configuration         assignment_group, category

// Impact and urgency values of the incident table (1 high, 2 medium, 3 low).
const (
	High   = "1"
	Medium = "2"
	Low    = "3"
)

// ImpactFor maps an issue's classification to the incident's impact:
//
//	incident  → 2 (medium): Microsoft confirmed a problem affecting users
//	advisory  → 3 (low): limited, or a workaround exists
//	any other → 3 (low)
//
// High impact (1) is left to people: Microsoft's classification says
// nothing about how many of this tenant's users are affected.
func ImpactFor(c Classification) string {
	if c == ClassificationIncident {
		return Medium
	}
	return Low
}

// UrgencyFor maps an issue's status to the incident's urgency:
//
//	serviceInterruption                                   → 1 (high): the service is down
//	serviceDegradation, investigating, restoringService,
//	verifyingService, extendedRecovery,
//	investigationSuspended, confirmed, reported           → 2 (medium): still going on
//	any other (serviceRestored, resolved, falsePositive,
//	postIncidentReviewPublished, mitigated, unknown …)    → 3 (low): over or not a problem
func UrgencyFor(s Status) string {
	switch {
	case s == StatusServiceInterruption:
		return High
	case s.Active():
		return Medium
	}
	return Low
}

// AdminCenterURL is the page of the issue in the Microsoft 365 admin
// center's service health.
func AdminCenterURL(id string) string {
	return "https://admin.microsoft.com/Adminportal/Home#/servicehealth/:/alerts/" + url.PathEscape(id)
}

// Description is the incident description: every field of the issue that
// has no incident field of its own.
func Description(is Issue) string {
	var b strings.Builder
	line := func(label, v string) {
		if v != "" {
			fmt.Fprintf(&b, "%s: %s\n", label, v)
		}
	}
	fmt.Fprintf(&b, "Microsoft 365 service health %s %s\n\n", classificationWord(is.Classification), is.ID)
	line("Issue ID", is.ID)
	line("Service", is.Service)
	feature := is.Feature
	if is.FeatureGroup != "" && is.FeatureGroup != is.Feature {
		feature = strings.TrimSpace(feature + " (" + is.FeatureGroup + ")")
	}
	line("Feature", feature)
	line("Classification", string(is.Classification))
	line("Status", string(is.Status))
	line("Origin", is.Origin)
	line("Start time", formatTime(is.StartDateTime))
	line("End time", formatTime(is.EndDateTime))
	line("Last updated", formatTime(is.LastModifiedDateTime))
	if is.ImpactDescription != "" {
		fmt.Fprintf(&b, "\nUser impact: %s\n", is.ImpactDescription)
	}
	fmt.Fprintf(&b, "\nDetails in the Microsoft 365 admin center: %s\n", AdminCenterURL(is.ID))
	return strings.TrimRight(b.String(), "\n")
}

func classificationWord(c Classification) string {
	if c == ClassificationAdvisory {
		return "advisory"
	}
	return "incident"
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

// IncidentFields are the fields of the incident created for is.
func IncidentFields(is Issue, assignmentGroup, category string) map[string]string {
	return map[string]string{
		"short_description": is.Title,
		"description":       Description(is),
		"impact":            ImpactFor(is.Classification),
		"urgency":           UrgencyFor(is.Status),
		"assignment_group":  assignmentGroup,
		"category":          category,
		"correlation_id":    is.ID,
	}
}

// PostNote is the work note of one post of the issue.
func PostNote(is Issue, p Post) string {
	head := fmt.Sprintf("Microsoft 365 service health update for %s (%s), posted %s:",
		is.ID, is.Status, formatTime(p.CreatedDateTime))
	return head + "\n\n" + PlainText(p.Description)
}

// ResolveNote is the close_notes of an auto-resolved incident.
func ResolveNote(is Issue) string {
	at := is.EndDateTime
	if at.IsZero() {
		at = is.LastModifiedDateTime
	}
	return "The Microsoft service health incident was resolved on " + formatTime(at)
}

var (
	lineBreakTags = regexp.MustCompile(`(?i)<\s*(br|/p|/div|/li|/h[1-6]|/tr)\s*/?\s*>`)
	itemTags      = regexp.MustCompile(`(?i)<\s*li[^>]*>`)
	anyTag        = regexp.MustCompile(`<[^>]*>`)
	blankLines    = regexp.MustCompile(`\n[ \t]*\n([ \t]*\n)+`)
)

// PlainText turns the HTML of a post into text for a work note: line
// breaks where the HTML breaks lines, tags dropped, entities decoded.
func PlainText(h string) string {
	s := strings.ReplaceAll(h, "\r\n", "\n")
	s = lineBreakTags.ReplaceAllString(s, "\n")
	s = itemTags.ReplaceAllString(s, "- ")
	s = anyTag.ReplaceAllString(s, "")
	s = html.UnescapeString(s)
	s = blankLines.ReplaceAllString(s, "\n\n")
	return strings.TrimSpace(s)
}
