package health

import (
	"encoding/json"
	"fmt"
	"time"
)

// Overview is the health of one service subscribed by the tenant
// (serviceHealth).
type Overview struct {
	ID      string // e.g. "Exchange"
	Service string // e.g. "Exchange Online"
	Status  Status
}

// Issue is a service incident or advisory (serviceHealthIssue). Zero times
// mean Graph sent none (EndDateTime stays zero while an issue is open).
type Issue struct {
	ID                   string // e.g. "EX226792"
	Title                string
	Service              string
	Feature              string
	FeatureGroup         string
	ImpactDescription    string
	Classification       Classification
	Status               Status
	Origin               string // "microsoft", "thirdParty", "customer"
	IsResolved           bool
	StartDateTime        time.Time
	EndDateTime          time.Time
	LastModifiedDateTime time.Time
	Posts                []Post
}

// Post is one historical update of an issue (serviceHealthIssuePost).
type Post struct {
	CreatedDateTime time.Time
	PostType        string // regular, quick, strategic
	Description     string // HTML content of the itemBody
}

// graphTime is a DateTimeOffset as Graph writes it: RFC 3339 with up to 7
// fractional digits, or null. A value without a zone is taken as UTC.
type graphTime struct{ time.Time }

var timeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.9999999", "2006-01-02"}

func (t *graphTime) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		t.Time = time.Time{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("date-time: %w", err)
	}
	if s == "" {
		t.Time = time.Time{}
		return nil
	}
	for _, layout := range timeLayouts {
		if v, err := time.Parse(layout, s); err == nil {
			t.Time = v.UTC()
			return nil
		}
	}
	return fmt.Errorf("date-time %q: not RFC 3339", s)
}

type wirePost struct {
	CreatedDateTime graphTime `json:"createdDateTime"`
	PostType        string    `json:"postType"`
	Description     struct {
		Content string `json:"content"`
	} `json:"description"`
}

type wireIssue struct {
	ID                   string         `json:"id"`
	Title                string         `json:"title"`
	Service              string         `json:"service"`
	Feature              string         `json:"feature"`
	FeatureGroup         string         `json:"featureGroup"`
	ImpactDescription    string         `json:"impactDescription"`
	Classification       Classification `json:"classification"`
	Status               Status         `json:"status"`
	Origin               string         `json:"origin"`
	IsResolved           bool           `json:"isResolved"`
	StartDateTime        graphTime      `json:"startDateTime"`
	EndDateTime          graphTime      `json:"endDateTime"`
	LastModifiedDateTime graphTime      `json:"lastModifiedDateTime"`
	Posts                []wirePost     `json:"posts"`
}

func (w wireIssue) issue() Issue {
	is := Issue{
		ID:                   w.ID,
		Title:                w.Title,
		Service:              w.Service,
		Feature:              w.Feature,
		FeatureGroup:         w.FeatureGroup,
		ImpactDescription:    w.ImpactDescription,
		Classification:       w.Classification,
		Status:               w.Status,
		Origin:               w.Origin,
		IsResolved:           w.IsResolved,
		StartDateTime:        w.StartDateTime.Time,
		EndDateTime:          w.EndDateTime.Time,
		LastModifiedDateTime: w.LastModifiedDateTime.Time,
	}
	if len(w.Posts) > 0 {
		is.Posts = make([]Post, len(w.Posts))
		for i, p := range w.Posts {
			is.Posts[i] = Post{CreatedDateTime: p.CreatedDateTime.Time, PostType: p.PostType, Description: p.Description.Content}
		}
	}
	return is
}

type wireOverview struct {
	ID      string `json:"id"`
	Service string `json:"service"`
	Status  Status `json:"status"`
}

// page is one page of an OData collection.
type page[T any] struct {
	Value    []T    `json:"value"`
	NextLink string `json:"@odata.nextLink"`
}

// decodeIssue decodes one serviceHealthIssue. An issue without an id is
// refused: nothing downstream could key it.
func decodeIssue(b []byte) (Issue, error) {
	var w wireIssue
	if err := json.Unmarshal(b, &w); err != nil {
		return Issue{}, fmt.Errorf("decode issue: %w", err)
	}
	if w.ID == "" {
		return Issue{}, fmt.Errorf("decode issue: no id")
	}
	return w.issue(), nil
}

// decodeIssuePage decodes one page of serviceHealthIssue objects.
func decodeIssuePage(b []byte) ([]Issue, string, error) {
	var p page[wireIssue]
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, "", fmt.Errorf("decode issues: %w", err)
	}
	out := make([]Issue, 0, len(p.Value))
	for i, w := range p.Value {
		if w.ID == "" {
			return nil, "", fmt.Errorf("decode issues: item %d has no id", i)
		}
		out = append(out, w.issue())
	}
	return out, p.NextLink, nil
}

// decodeOverviewPage decodes one page of serviceHealth objects.
func decodeOverviewPage(b []byte) ([]Overview, string, error) {
	var p page[wireOverview]
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, "", fmt.Errorf("decode health overviews: %w", err)
	}
	out := make([]Overview, 0, len(p.Value))
	for _, w := range p.Value {
		out = append(out, Overview(w))
	}
	return out, p.NextLink, nil
}
