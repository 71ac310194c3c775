package doctor_test

import (
	"context"
	"strings"
	"testing"

	"github.com/escalator/escalator/cmd/escalator/internal/doctor"
	"github.com/escalator/escalator/internal/azuresupport"
	"github.com/escalator/escalator/internal/testkit/sim"
)

const classifyServicesRoute = "POST /subscriptions/{sub}/providers/Microsoft.Support/classifyServices"

// TestCoverageListsServicesAndWorkloads: the simulator's list has a
// Microsoft 365 service with Exchange Online, Teams, SharePoint and
// OneDrive classifications, and Microsoft Entra ID; classification places
// the sample issue on a listed service.
func TestCoverageListsServicesAndWorkloads(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	rep := f.run(t)
	expect(t, rep, map[string]want{doctor.NameSupportCoverage: {status: doctor.Pass,
		detail: "6 services listed: Microsoft 365 (Office 365), Microsoft Entra ID, Billing, "}})
	e, _ := rep.Entry(doctor.NameSupportCoverage)
	for _, w := range []string{
		"Microsoft 365 workloads in the list: Exchange Online (Microsoft 365 (Office 365)), Microsoft Teams (Microsoft 365 (Office 365)), " +
			"SharePoint Online (Microsoft 365 (Office 365)), OneDrive (Microsoft 365 (Office 365)), Microsoft Entra ID (Microsoft Entra ID)",
		`classification places "Outlook desktop clients cannot connect to Exchange Online" on Microsoft 365 (Office 365) (listed)`,
	} {
		if !strings.Contains(e.Detail, w) {
			t.Errorf("detail %q lacks %q", e.Detail, w)
		}
	}
	if strings.Contains(e.Detail, "not in the list") {
		t.Errorf("detail %q names missing workloads", e.Detail)
	}
}

// TestCoverageWarnsOfUnreachableWorkloads: a list of Azure services only
// (no Microsoft 365 entry) is a plain warning naming the workloads no case
// can be opened for, and where to open them; the configured Microsoft 365
// service does not exist.
func TestCoverageWarnsOfUnreachableWorkloads(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	setFaults(t, f, sim.Faults{SupportAzureOnly: true})
	expect(t, f.run(t), map[string]want{
		doctor.NameSupportCatalog: {status: doctor.Fail, detail: "support service " + sim.Microsoft365ServiceID + " does not exist"},
		doctor.NameSupportCoverage: {status: doctor.Warn,
			detail: "Microsoft 365 workloads in the list: Microsoft Entra ID (Microsoft Entra ID); not in the list: Exchange Online, Microsoft Teams, SharePoint Online, OneDrive; " +
				`classification places no service for "Outlook desktop clients cannot connect to Exchange Online"`,
			fix: "Escalator cannot open cases about Exchange Online, Microsoft Teams, SharePoint Online, OneDrive through the Azure Support API of subscription " +
				sim.DefaultSubscription + ": escalations about them are filed under the service classification or ESCALATOR_SUPPORT_SERVICE_ID chooses. " +
				"Open such cases in the Microsoft 365 admin center (Support > Help & support)"},
	})
}

// TestCoverageWithoutClassification: classification refused is a warning
// that every case takes the configured ids.
func TestCoverageWithoutClassification(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	setFaults(t, f, sim.Faults{Routes: map[string]sim.RouteFault{classifyServicesRoute: {Status: 404}}})
	expect(t, f.run(t), map[string]want{
		doctor.NameSupportCatalog: {status: doctor.Pass},
		doctor.NameSupportCoverage: {status: doctor.Warn, detail: "classification unavailable (Azure answered 404 Not Found",
			fix: "without classification every case is filed under ESCALATOR_SUPPORT_SERVICE_ID and ESCALATOR_SUPPORT_PROBLEM_CLASSIFICATION_ID"},
	})
}

// elsewhere is a Support API whose classification names a service its
// list does not have.
type elsewhere struct{ doctor.SupportReader }

func (elsewhere) ListServices(context.Context) ([]azuresupport.Service, error) {
	return []azuresupport.Service{{ID: "/providers/Microsoft.Support/services/a", Name: "a", DisplayName: "Azure Virtual Desktop"}}, nil
}

func (elsewhere) ClassifyServices(context.Context, string) ([]azuresupport.ServiceClassification, error) {
	return []azuresupport.ServiceClassification{{ServiceID: "/providers/Microsoft.Support/services/b", DisplayName: "B"}}, nil
}

// TestCoverageClassifiedServiceMissing: the classified service is checked
// against the list; a list without Microsoft 365 services reads none of
// their problem classifications.
func TestCoverageClassifiedServiceMissing(t *testing.T) {
	s := &doctor.Support{Client: elsewhere{}, SubscriptionID: sim.DefaultSubscription}
	expect(t, doctor.Run(context.Background(), []doctor.Check{s.CoverageCheck()}), map[string]want{
		doctor.NameSupportCoverage: {status: doctor.Warn,
			detail: "1 service listed: Azure Virtual Desktop; Microsoft 365 workloads in the list: none; not in the list: Exchange Online, " +
				"Microsoft Teams, SharePoint Online, OneDrive, Microsoft Entra ID; classification places \"Outlook desktop clients cannot connect to Exchange Online\" " +
				"on /providers/Microsoft.Support/services/b, which the list does not have",
			fix: "classification suggests services the subscription's list lacks"},
	})
}
