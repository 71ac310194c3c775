package sim

import (
	"strings"
	"testing"
)

func classifyServicesURL(version string) string {
	return supportBase + "/classifyServices?api-version=" + version
}

func classifyProblemsURL(service, version string) string {
	return supportBase + "/services/" + service + "/classifyProblems?api-version=" + version
}

// serviceResults are the serviceId and displayName of a classifyServices
// answer, in order.
func serviceResults(t *testing.T, r resp) [][2]string {
	t.Helper()
	var out [][2]string
	for _, v := range r.json(t)["serviceClassificationResults"].([]any) {
		m := v.(map[string]any)
		if _, ok := m["resourceTypes"].([]any); !ok {
			t.Fatalf("result without resourceTypes: %v", m)
		}
		out = append(out, [2]string{m["serviceId"].(string), m["displayName"].(string)})
	}
	return out
}

func TestClassifyServices(t *testing.T) {
	e := newEnv(t, Config{})
	tok := e.token(t, ARMResource)
	tests := []struct {
		name, summary, resourceID string
		first                     string // "" for no result
	}{
		{"Outlook", "Outlook desktop clients cannot connect to Exchange Online", "", Microsoft365ServiceID},
		{"Teams in other words", "TEAMS: meetings drop after 5 minutes", "", Microsoft365ServiceID},
		{"Entra sign-in", "Users are prompted for MFA on every sign-in", "", serviceID(entraServiceGUID)},
		{"billing", "We were charged twice on the last invoice", "", serviceID("517f2da6-78fd-0498-4e22-ad26996b1dfc")},
		{"a VM by its resource", "it is slow", "/subscriptions/x/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/vm1",
			serviceID("6f16735c-b0ae-b275-ad3a-03479cfa1396")},
		{"parts of words do not count", "The outlooks for teamsters", "", ""},
		{"nothing to go on", "The printer on floor 3 is jammed", "", ""},
		{"empty", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(t, "POST", classifyServicesURL(ClassifyAPIVersion), tok, map[string]any{"issueSummary": tt.summary, "resourceId": tt.resourceID})
			wantStatus(t, r, 200)
			got := serviceResults(t, r)
			switch {
			case tt.first == "" && len(got) != 0:
				t.Fatalf("results %v, want none", got)
			case tt.first != "" && (len(got) == 0 || got[0][0] != tt.first):
				t.Fatalf("results %v, want %s first", got, tt.first)
			case len(got) > maxServiceResults:
				t.Fatalf("%d results", len(got))
			}
		})
	}
}

func TestClassifyProblems(t *testing.T) {
	e := newEnv(t, Config{})
	tok := e.token(t, ARMResource)
	r := e.do(t, "POST", classifyProblemsURL(m365ServiceGUID, ClassifyAPIVersion), tok,
		map[string]any{"issueSummary": "Teams meetings drop; Outlook is fine"})
	wantStatus(t, r, 200)
	results := r.json(t)["problemClassificationResults"].([]any)
	if len(results) != 2 {
		t.Fatalf("results %s, want Teams then Outlook", r.raw)
	}
	first := results[0].(map[string]any)
	if first["problemClassificationId"] != Microsoft365ServiceID+"/problemClassifications/61f3b8c2-9e4d-4d7a-a2c5-8b1e6f0d3a79" ||
		first["title"] != "Microsoft Teams / Meetings, calls and chat" || first["serviceId"] != Microsoft365ServiceID ||
		first["problemId"] != "61f3b8c2-9e4d-4d7a-a2c5-8b1e6f0d3a79" || first["description"] == "" {
		t.Fatalf("first %v", first)
	}
	if rel := first["relatedService"].(map[string]any); rel["serviceId"] != Microsoft365ServiceID || rel["displayName"] != "Microsoft 365 (Office 365)" {
		t.Fatalf("relatedService %v", rel)
	}
	if results[1].(map[string]any)["problemClassificationId"] != Microsoft365ProblemClassificationID {
		t.Fatalf("second %v", results[1])
	}

	r = e.do(t, "POST", classifyProblemsURL(m365ServiceGUID, ClassifyAPIVersion), tok, map[string]any{"issueSummary": "a jammed printer"})
	wantStatus(t, r, 200)
	if n := len(r.json(t)["problemClassificationResults"].([]any)); n != 0 {
		t.Fatalf("%d results for an issue of no classification", n)
	}
	r = e.do(t, "POST", classifyProblemsURL(m365ServiceGUID, ClassifyAPIVersion), tok, map[string]any{})
	wantStatus(t, r, 400)
	r = e.do(t, "POST", classifyProblemsURL("00000000-1111-2222-3333-444444444444", ClassifyAPIVersion), tok, map[string]any{"issueSummary": "Teams"})
	wantStatus(t, r, 404)
}

// TestClassifyNeedsItsAPIVersion: classification is not in 2024-04-01, as
// at Azure; the guard's other checks hold.
func TestClassifyNeedsItsAPIVersion(t *testing.T) {
	e := newEnv(t, Config{})
	tok := e.token(t, ARMResource)
	body := map[string]any{"issueSummary": "Teams"}
	r := e.do(t, "POST", classifyServicesURL(APIVersion), tok, body)
	wantStatus(t, r, 400)
	if errCode(t, r) != "NoRegisteredProviderFound" || !strings.Contains(string(r.raw), "for type 'classifyServices'") {
		t.Fatalf("body %s", r.raw)
	}
	wantStatus(t, e.do(t, "POST", classifyProblemsURL(m365ServiceGUID, APIVersion), tok, body), 400)
	wantStatus(t, e.do(t, "POST", classifyServicesURL(ClassifyAPIVersion), "", body), 401)
	wantStatus(t, e.do(t, "POST", "/subscriptions/00000000-0000-0000-0000-0000000000bb/providers/Microsoft.Support/classifyServices?api-version="+ClassifyAPIVersion, tok, body), 404)
}

// TestSupportAzureOnly: under the fault the list, the classification and
// ticket creation know no Microsoft 365 service.
func TestSupportAzureOnly(t *testing.T) {
	e := newEnv(t, Config{})
	tok := e.token(t, ARMResource)
	if err := e.s.SetFaults(Faults{SupportAzureOnly: true}); err != nil {
		t.Fatal(err)
	}
	r := e.do(t, "GET", "/providers/Microsoft.Support/services?api-version="+APIVersion, tok, nil)
	wantStatus(t, r, 200)
	for _, v := range r.json(t)["value"].([]any) {
		if v.(map[string]any)["id"] == Microsoft365ServiceID {
			t.Fatal("Microsoft 365 listed")
		}
	}
	wantStatus(t, e.do(t, "GET", Microsoft365ServiceID+"?api-version="+APIVersion, tok, nil), 404)
	r = e.do(t, "POST", classifyServicesURL(ClassifyAPIVersion), tok, map[string]any{"issueSummary": "Outlook cannot connect to Exchange Online"})
	wantStatus(t, r, 200)
	if got := serviceResults(t, r); len(got) != 0 {
		t.Fatalf("results %v", got)
	}
	r = e.do(t, "PUT", ticketURL("t-azure-only"), tok, validTicket())
	wantStatus(t, r, 400)
}
