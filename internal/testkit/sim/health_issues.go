package sim

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// HealthIssue is a Microsoft Graph serviceHealthIssue as served. Enum values
// (Classification, Status, Origin) are served exactly as stored: real Graph
// mixes camelCase ("incident", "serviceDegradation") and PascalCase
// ("Advisory", "ServiceRestored"), and the seed data does too.
type HealthIssue struct {
	ID                   string       `json:"id"`
	Title                string       `json:"title"`
	Service              string       `json:"service"`
	Feature              string       `json:"feature"`
	FeatureGroup         string       `json:"featureGroup"`
	ImpactDescription    string       `json:"impactDescription"`
	Classification       string       `json:"classification"` // incident | advisory
	Status               string       `json:"status"`         // serviceHealthStatus
	Origin               string       `json:"origin"`         // microsoft | thirdParty | customer
	IsResolved           bool         `json:"isResolved"`
	StartDateTime        time.Time    `json:"startDateTime"`
	EndDateTime          *time.Time   `json:"endDateTime"`
	LastModifiedDateTime time.Time    `json:"lastModifiedDateTime"`
	Details              []KeyValue   `json:"details"`
	Posts                []HealthPost `json:"posts"`
}

// KeyValue is Graph's keyValuePair.
type KeyValue struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// HealthPost is a serviceHealthIssuePost.
type HealthPost struct {
	CreatedDateTime time.Time `json:"createdDateTime"`
	PostType        string    `json:"postType"` // regular | quick | strategic
	Description     ItemBody  `json:"description"`
}

// ItemBody is Graph's itemBody; service health posts are always html.
type ItemBody struct {
	ContentType string `json:"contentType"`
	Content     string `json:"content"`
}

// ErrNotFound is returned by the Go API for an unknown issue, ticket or incident.
var ErrNotFound = errors.New("not found")

func (is HealthIssue) clone() HealthIssue {
	is.Posts = slices.Clone(is.Posts)
	is.Details = slices.Clone(is.Details)
	if is.EndDateTime != nil {
		t := *is.EndDateTime
		is.EndDateTime = &t
	}
	return is
}

func (is *HealthIssue) normalize(now time.Time) {
	if is.Origin == "" {
		is.Origin = "microsoft"
	}
	if is.Classification == "" {
		is.Classification = "incident"
	}
	if is.Status == "" {
		is.Status = "investigating"
	}
	if is.StartDateTime.IsZero() {
		is.StartDateTime = now
	}
	if is.LastModifiedDateTime.IsZero() {
		is.LastModifiedDateTime = now
	}
	is.StartDateTime = is.StartDateTime.UTC().Truncate(time.Second)
	is.LastModifiedDateTime = is.LastModifiedDateTime.UTC().Truncate(time.Second)
	if is.EndDateTime != nil {
		t := is.EndDateTime.UTC().Truncate(time.Second)
		is.EndDateTime = &t
	}
	if is.Details == nil {
		is.Details = []KeyValue{}
	}
	if is.Posts == nil {
		is.Posts = []HealthPost{}
	}
	for i := range is.Posts {
		is.Posts[i].normalize(now)
	}
}

func (p *HealthPost) normalize(now time.Time) {
	if p.CreatedDateTime.IsZero() {
		p.CreatedDateTime = now
	}
	p.CreatedDateTime = p.CreatedDateTime.UTC().Truncate(time.Second)
	if p.PostType == "" {
		p.PostType = "regular"
	}
	if p.Description.ContentType == "" {
		p.Description.ContentType = "html"
	}
}

// UpsertIssue adds the issue, or replaces the one with the same id (keeping
// its place in listings). Empty fields get defaults; a zero
// LastModifiedDateTime becomes now.
func (s *Server) UpsertIssue(is HealthIssue) error {
	if is.ID == "" || is.Service == "" || is.Title == "" {
		return fmt.Errorf("upsert issue: id, service and title are required")
	}
	is = is.clone()
	s.mu.Lock()
	defer s.mu.Unlock()
	is.normalize(s.now())
	for i, old := range s.issues {
		if old.ID == is.ID {
			s.issues[i] = &is
			return nil
		}
	}
	s.issues = append(s.issues, &is)
	return nil
}

// AddIssuePost appends a post to an issue and, when status is not empty,
// sets the issue's status; the issue's lastModifiedDateTime becomes now.
func (s *Server) AddIssuePost(id, status string, p HealthPost) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	is := s.issueLocked(id)
	if is == nil {
		return fmt.Errorf("add post to issue %s: %w", id, ErrNotFound)
	}
	now := s.now()
	p.normalize(now)
	is.Posts = append(is.Posts, p)
	if status != "" {
		is.Status = status
	}
	is.LastModifiedDateTime = now.Truncate(time.Second)
	return nil
}

// ResolveIssue marks an issue resolved with status (default
// "serviceRestored"), sets its end time, and posts content when not empty.
func (s *Server) ResolveIssue(id, status, content string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	is := s.issueLocked(id)
	if is == nil {
		return fmt.Errorf("resolve issue %s: %w", id, ErrNotFound)
	}
	if status == "" {
		status = "serviceRestored"
	}
	now := s.now().Truncate(time.Second)
	is.IsResolved = true
	is.Status = status
	is.EndDateTime = &now
	is.LastModifiedDateTime = now
	if content != "" {
		p := HealthPost{Description: ItemBody{Content: content}}
		p.normalize(now)
		is.Posts = append(is.Posts, p)
	}
	return nil
}

// Issue returns a copy of one issue.
func (s *Server) Issue(id string) (HealthIssue, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if is := s.issueLocked(id); is != nil {
		return is.clone(), true
	}
	return HealthIssue{}, false
}

// Issues returns copies of every issue in listing order.
func (s *Server) Issues() []HealthIssue {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]HealthIssue, 0, len(s.issues))
	for _, is := range s.issues {
		out = append(out, is.clone())
	}
	return out
}

func (s *Server) issueLocked(id string) *HealthIssue {
	for _, is := range s.issues {
		if strings.EqualFold(is.ID, id) {
			return is
		}
	}
	return nil
}
