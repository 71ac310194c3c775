package doctor

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/escalator/escalator/internal/azuresupport"
)

// SupportReader is what doctor reads of the Azure Support API;
// *azuresupport.Client implements it.
type SupportReader interface {
	ListServices(ctx context.Context) ([]azuresupport.Service, error)
	ListProblemClassifications(ctx context.Context, serviceID string) ([]azuresupport.ProblemClassification, error)
	GetTicket(ctx context.Context, name string) (azuresupport.Ticket, error)
	ClassifyServices(ctx context.Context, issueSummary string) ([]azuresupport.ServiceClassification, error)
}

// probeTicket is the ticket name doctor reads to test access to the
// subscription's tickets; it is never created, so the read answers 404.
const probeTicket = "escalator-doctor-probe"

// ARM error codes doctor explains.
const (
	armSubscriptionNotFound = "SubscriptionNotFound"
	armInvalidSubscription  = "InvalidSubscriptionId"
)

// Support checks access to the subscription's support tickets and the
// configured service and problem classification.
type Support struct {
	Client                  SupportReader
	SubscriptionID          string
	ServiceID               string
	ProblemClassificationID string
}

// AccessCheck reads a support ticket of the subscription: a 404 for the
// ticket proves read access; 403 and SubscriptionNotFound have their fixes.
func (s *Support) AccessCheck(needs ...string) Check {
	return Check{Name: NameSupportAccess, Needs: needs, Run: s.access}
}

// CatalogCheck checks that the configured service and problem
// classification exist, listing valid ids in the fix when they do not.
func (s *Support) CatalogCheck(needs ...string) Check {
	return Check{Name: NameSupportCatalog, Needs: needs, Run: s.catalog}
}

func (s *Support) access(ctx context.Context) Result {
	_, err := s.Client.GetTicket(ctx, probeTicket)
	var ae *azuresupport.ARMError
	isARM := errors.As(err, &ae)
	switch {
	case err == nil:
		return Passed("support tickets of subscription %s readable", s.SubscriptionID)
	case isARM && (ae.Code == armSubscriptionNotFound || ae.Code == armInvalidSubscription):
		return Failed(fmt.Sprintf("check ESCALATOR_AZURE_SUBSCRIPTION_ID: subscription %s does not exist or is not in this tenant; use the Subscription ID shown in the Azure portal (Subscriptions)", s.SubscriptionID),
			"Azure answered %s %s for subscription %s", statusText(ae.StatusCode), ae.Code, s.SubscriptionID)
	case errors.Is(err, azuresupport.ErrTicketNotFound):
		return Passed("support tickets of subscription %s readable", s.SubscriptionID)
	case isARM && ae.StatusCode == http.StatusForbidden:
		return Failed(fmt.Sprintf("assign the \"Support Request Contributor\" role on subscription %s to the app's service principal (Subscription > Access control (IAM) > Add role assignment)", s.SubscriptionID),
			"Azure answered %s %s: the app may not read support tickets", statusText(ae.StatusCode), ae.Code)
	case isARM && ae.StatusCode == http.StatusUnauthorized:
		return Failed("Azure Resource Manager refused the token: check ESCALATOR_ARM_URL (https://management.azure.com) and that the subscription belongs to tenant ESCALATOR_TENANT",
			"Azure answered %s %s", statusText(ae.StatusCode), ae.Code)
	}
	return otherFailure("the Azure Support API", err,
		"check ESCALATOR_ARM_URL and that this host reaches it (proxy, firewall, DNS)",
		"check ESCALATOR_ARM_URL and ESCALATOR_AZURE_SUBSCRIPTION_ID")
}

func (s *Support) catalog(ctx context.Context) Result {
	svcs, err := s.Client.ListServices(ctx)
	if err != nil {
		return s.catalogFailure("list support services", err)
	}
	i := slices.IndexFunc(svcs, func(v azuresupport.Service) bool { return sameID(v.ID, v.Name, s.ServiceID) })
	if i < 0 {
		return Failed("set ESCALATOR_SUPPORT_SERVICE_ID to one of: "+serviceChoices(svcs),
			"support service %s does not exist (%d services listed)", s.ServiceID, len(svcs))
	}
	svc := svcs[i]
	pcs, err := s.Client.ListProblemClassifications(ctx, svc.ID)
	if err != nil {
		return s.catalogFailure("list problem classifications of "+svc.DisplayName, err)
	}
	j := slices.IndexFunc(pcs, func(p azuresupport.ProblemClassification) bool {
		return sameID(p.ID, p.Name, s.ProblemClassificationID)
	})
	if j < 0 {
		return Failed("set ESCALATOR_SUPPORT_PROBLEM_CLASSIFICATION_ID to one of: "+classificationChoices(pcs),
			"problem classification %s is not one of service %s (%s)", s.ProblemClassificationID, svc.DisplayName, svc.Name)
	}
	return Passed("service %q, problem classification %q", svc.DisplayName, pcs[j].DisplayName)
}

func (s *Support) catalogFailure(what string, err error) Result {
	var ae *azuresupport.ARMError
	if errors.As(err, &ae) && (ae.StatusCode == http.StatusUnauthorized || ae.StatusCode == http.StatusForbidden) {
		return Failed("Azure Resource Manager refused the token: check ESCALATOR_ARM_URL (https://management.azure.com)",
			"%s: Azure answered %s %s", what, statusText(ae.StatusCode), ae.Code)
	}
	return otherFailure(what, err,
		"check ESCALATOR_ARM_URL and that this host reaches it (proxy, firewall, DNS)",
		"check ESCALATOR_ARM_URL")
}

// sameID matches a configured id against a catalog entry's full id or its
// name (the last segment), ignoring case as ARM does.
func sameID(id, name, configured string) bool {
	c := strings.TrimRight(strings.TrimSpace(configured), "/")
	return c != "" && (strings.EqualFold(id, c) || strings.EqualFold(name, c[strings.LastIndex(c, "/")+1:]))
}

// maxChoices is how many valid ids a fix lists.
const maxChoices = 5

// serviceChoices lists a few services, Microsoft 365 ones first (what
// Escalator files cases for).
func serviceChoices(svcs []azuresupport.Service) string {
	sorted := slices.Clone(svcs)
	slices.SortStableFunc(sorted, func(a, b azuresupport.Service) int {
		return boolRank(strings.Contains(a.DisplayName, "365")) - boolRank(strings.Contains(b.DisplayName, "365"))
	})
	var out []string
	for _, v := range sorted[:min(len(sorted), maxChoices)] {
		out = append(out, fmt.Sprintf("%s (%s)", v.ID, v.DisplayName))
	}
	return choices(out, len(svcs), "GET /providers/Microsoft.Support/services")
}

func classificationChoices(pcs []azuresupport.ProblemClassification) string {
	var out []string
	for _, p := range pcs[:min(len(pcs), maxChoices)] {
		out = append(out, fmt.Sprintf("%s (%s)", p.ID, p.DisplayName))
	}
	return choices(out, len(pcs), "GET /providers/Microsoft.Support/services/{id}/problemClassifications")
}

func choices(list []string, total int, more string) string {
	if len(list) == 0 {
		return "(the API listed none)"
	}
	s := strings.Join(list, ", ")
	if total > len(list) {
		s += fmt.Sprintf(" (%d more: %s)", total-len(list), more)
	}
	return s
}

func boolRank(b bool) int {
	if b {
		return 0
	}
	return 1
}
