package doctor

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/escalator/escalator/internal/azuresupport"
	"github.com/escalator/escalator/internal/fault"
)

// m365Workloads are the Microsoft 365 workloads incidents are about, and
// the words that name them in a support service's or problem
// classification's display name. The Azure Support API documents its
// services as Azure services: whether a subscription's list has any of
// these is the tenant's, and only the list says.
var m365Workloads = []struct {
	name  string
	words []string
}{
	{"Exchange Online", []string{"exchange online", "outlook"}},
	{"Microsoft Teams", []string{"teams"}},
	{"SharePoint Online", []string{"sharepoint"}},
	{"OneDrive", []string{"onedrive"}},
	{"Microsoft Entra ID", []string{"entra", "azure active directory"}},
}

// coverageProbe is the issue doctor asks classification to place: the
// examples' incident.
const coverageProbe = "Outlook desktop clients cannot connect to Exchange Online"

// Bounds of what the coverage check reads and prints.
const (
	maxSuiteServices = 5  // Microsoft 365 services whose problem classifications are read
	maxListed        = 12 // services named in the detail
)

// CoverageCheck lists the services the subscription's support covers, says
// which Microsoft 365 workloads are among them (WARN for those that are
// not: no case about them can be opened through this API) and whether
// classification places a sample Microsoft 365 issue on a listed service.
func (s *Support) CoverageCheck(needs ...string) Check {
	return Check{Name: NameSupportCoverage, Needs: needs, Run: s.coverage}
}

func (s *Support) coverage(ctx context.Context) Result {
	svcs, err := s.Client.ListServices(ctx)
	if err != nil {
		return s.catalogFailure("list support services", err)
	}
	reach, err := s.workloads(ctx, svcs)
	if err != nil {
		return s.catalogFailure("list problem classifications", err)
	}
	var missing, found []string
	for _, w := range m365Workloads {
		if where, ok := reach[w.name]; ok {
			found = append(found, w.name+" ("+where+")")
		} else {
			missing = append(missing, w.name)
		}
	}
	noun := "services"
	if len(svcs) == 1 {
		noun = "service"
	}
	detail := fmt.Sprintf("%d %s listed: %s; Microsoft 365 workloads in the list: %s",
		len(svcs), noun, serviceNames(svcs), orNone(found))
	var fixes []string
	if len(missing) > 0 {
		detail += "; not in the list: " + strings.Join(missing, ", ")
		fixes = append(fixes, fmt.Sprintf("Escalator cannot open cases about %s through the Azure Support API of subscription %s: "+
			"escalations about them are filed under the service classification or ESCALATOR_SUPPORT_SERVICE_ID chooses. "+
			"Open such cases in the Microsoft 365 admin center (Support > Help & support); Microsoft publishes no API for "+
			"an ordinary tenant's Microsoft 365 service requests (a CSP partner has Partner Center's)", strings.Join(missing, ", "), s.SubscriptionID))
	}
	probe, fix := s.probe(ctx, svcs)
	detail += "; " + probe
	if fix != "" {
		fixes = append(fixes, fix)
	}
	if len(fixes) > 0 {
		return Warned(strings.Join(fixes, "\n"), "%s", detail)
	}
	return Passed("%s", detail)
}

// workloads finds each workload in the services' names and in the problem
// classifications of the Microsoft 365 services (at most
// maxSuiteServices): where it was found, by workload.
func (s *Support) workloads(ctx context.Context, svcs []azuresupport.Service) (map[string]string, error) {
	reach := map[string]string{}
	note := func(text, where string) {
		low := strings.ToLower(text)
		for _, w := range m365Workloads {
			if _, ok := reach[w.name]; !ok && slices.ContainsFunc(w.words, func(word string) bool { return strings.Contains(low, word) }) {
				reach[w.name] = where
			}
		}
	}
	suites := 0
	for _, svc := range svcs {
		note(svc.DisplayName, svc.DisplayName)
		low := strings.ToLower(svc.DisplayName)
		if suites == maxSuiteServices || !(strings.Contains(low, "365") || strings.Contains(low, "office")) {
			continue
		}
		suites++
		pcs, err := s.Client.ListProblemClassifications(ctx, svc.ID)
		if err != nil {
			return nil, err
		}
		for _, pc := range pcs {
			note(pc.DisplayName, svc.DisplayName)
		}
	}
	return reach, nil
}

// probe asks classification to place coverageProbe: its finding for the
// detail, and a fix when classification cannot help.
func (s *Support) probe(ctx context.Context, svcs []azuresupport.Service) (finding, fix string) {
	got, err := s.Client.ClassifyServices(ctx, coverageProbe)
	if err != nil {
		var ae *azuresupport.ARMError
		why := "no answer"
		if errors.As(err, &ae) && ae.StatusCode != 0 {
			why = fmt.Sprintf("Azure answered %s %s", statusText(ae.StatusCode), ae.Code)
		} else if fault.Classify(err) == fault.Permanent {
			why = err.Error()
		}
		return "classification unavailable (" + why + ")",
			"without classification every case is filed under ESCALATOR_SUPPORT_SERVICE_ID and ESCALATOR_SUPPORT_PROBLEM_CLASSIFICATION_ID; " +
				"classification needs api-version " + azuresupport.ClassifyAPIVersion + " of Microsoft.Support at ESCALATOR_ARM_URL"
	}
	i := slices.IndexFunc(got, func(c azuresupport.ServiceClassification) bool { return c.ServiceID != "" })
	if i < 0 {
		return fmt.Sprintf("classification places no service for %q", coverageProbe), ""
	}
	c := got[i]
	if !slices.ContainsFunc(svcs, func(v azuresupport.Service) bool { return sameID(v.ID, v.Name, c.ServiceID) }) {
		return fmt.Sprintf("classification places %q on %s, which the list does not have", coverageProbe, c.ServiceID),
			"classification suggests services the subscription's list lacks: such escalations fail; report it to Microsoft, and check ESCALATOR_AZURE_SUBSCRIPTION_ID"
	}
	return fmt.Sprintf("classification places %q on %s (listed)", coverageProbe, c.DisplayName), ""
}

// serviceNames names the first maxListed services.
func serviceNames(svcs []azuresupport.Service) string {
	var names []string
	for _, v := range svcs[:min(len(svcs), maxListed)] {
		names = append(names, v.DisplayName)
	}
	s := orNone(names)
	if len(svcs) > maxListed {
		s += fmt.Sprintf(" and %d more", len(svcs)-maxListed)
	}
	return s
}

func orNone(list []string) string {
	if len(list) == 0 {
		return "none"
	}
	return strings.Join(list, ", ")
}
