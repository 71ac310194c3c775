package azuresupport

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/escalator/escalator/internal/fault"
)

// ClassifyAPIVersion is the api-version of the two classification
// operations: the first stable version that has them (2026-06-01; before
// they were preview only). Tickets and the catalog stay on
// APIVersion.
const ClassifyAPIVersion = "2026-06-01"

// maxIssueSummary bounds the issue summary sent for classification, in
// characters: the title and the start of the description place an issue;
// the API documents no bound of its own.
const maxIssueSummary = 2000

// ServiceClassification is one service classifyServices suggests, best
// first.
type ServiceClassification struct {
	ServiceID     string   `json:"serviceId"` // "/providers/Microsoft.Support/services/{guid}"
	DisplayName   string   `json:"displayName"`
	ResourceTypes []string `json:"resourceTypes"`
}

// ProblemClassificationResult is one problem classification
// classifyProblems suggests, best first.
type ProblemClassificationResult struct {
	ProblemID   string `json:"problemId"`
	Title       string `json:"title"`
	Description string `json:"description"`
	ServiceID   string `json:"serviceId"`
	// ProblemClassificationID is the id a ticket's problemClassificationId
	// takes: a full resource id (a bare name is completed by
	// ClassifyProblems).
	ProblemClassificationID string                 `json:"problemClassificationId"`
	RelatedService          *ServiceClassification `json:"relatedService,omitempty"`
}

// ClassifyServices asks which services fit an issue, described in natural
// language (POST /subscriptions/{sub}/providers/Microsoft.Support/classifyServices,
// body {"issueSummary"}, answer {"serviceClassificationResults":[…]}). An
// issue the API cannot place answers an empty list.
func (c *Client) ClassifyServices(ctx context.Context, issueSummary string) ([]ServiceClassification, error) {
	var out struct {
		Results []ServiceClassification `json:"serviceClassificationResults"`
	}
	body := map[string]string{"issueSummary": boundSummary(issueSummary)}
	if err := c.classify(ctx, "/classifyServices", body, &out); err != nil {
		return nil, fmt.Errorf("classify services: %w", err)
	}
	return out.Results, nil
}

// ClassifyProblems asks which problem classifications of a service, given
// by its full id or its name (guid), fit an issue (POST
// …/services/{name}/classifyProblems, body {"issueSummary"}, answer
// {"problemClassificationResults":[…]}).
func (c *Client) ClassifyProblems(ctx context.Context, serviceID, issueSummary string) ([]ProblemClassificationResult, error) {
	svc := serviceID[strings.LastIndex(serviceID, "/")+1:]
	if err := checkName("service", svc); err != nil {
		return nil, fmt.Errorf("classify problems: %w", err)
	}
	if strings.TrimSpace(issueSummary) == "" {
		return nil, fault.Permanentf("classify problems of %s: an issue summary is required", svc)
	}
	var out struct {
		Results []ProblemClassificationResult `json:"problemClassificationResults"`
	}
	body := map[string]string{"issueSummary": boundSummary(issueSummary)}
	if err := c.classify(ctx, "/services/"+url.PathEscape(svc)+"/classifyProblems", body, &out); err != nil {
		return nil, fmt.Errorf("classify problems of %s: %w", svc, err)
	}
	full := "/providers/Microsoft.Support/services/" + svc
	for i, r := range out.Results {
		if id := r.ProblemClassificationID; id != "" && !strings.HasPrefix(strings.ToLower(id), "/providers/") {
			out.Results[i].ProblemClassificationID = full + "/problemClassifications/" + id
		}
	}
	return out.Results, nil
}

// classify POSTs body to the subscription's path at ClassifyAPIVersion and
// decodes the answer into v.
func (c *Client) classify(ctx context.Context, path string, body, v any) error {
	u := c.arm.String() + "/subscriptions/" + url.PathEscape(c.sub) + "/providers/Microsoft.Support" + path +
		"?api-version=" + ClassifyAPIVersion
	ans, err := c.send(ctx, http.MethodPost, u, body)
	if err != nil {
		return err
	}
	return decodeAnswer(ans, v)
}

// boundSummary trims s to maxIssueSummary characters.
func boundSummary(s string) string {
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) <= maxIssueSummary {
		return s
	}
	n := 0
	for i := range s {
		if n == maxIssueSummary {
			return s[:i]
		}
		n++
	}
	return s
}
