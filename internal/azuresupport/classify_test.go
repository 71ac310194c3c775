package azuresupport_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/escalator/escalator/internal/azuresupport"
	"github.com/escalator/escalator/internal/fault"
)

// TestClassifyServicesRequest: the documented request (POST at the
// subscription, api-version 2026-06-01, {"issueSummary"}) and answer
// (serviceClassificationResults, the API reference's example).
func TestClassifyServicesRequest(t *testing.T) {
	a := newSupARM(t)
	a.on("POST", supPrefix+"/classifyServices", supJSON(200, supFixture(t, "classify_services.json")))
	long := strings.Repeat("é", 2500)
	got, err := newSupClient(t, a, &supClock{}).ClassifyServices(context.Background(), "  "+long+"  ")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ServiceID != "/providers/Microsoft.Support/services/5c41904f-1bcf-76e4-7a54-5fc07468f3cc" ||
		got[0].DisplayName != "Azure Update Manager" || len(got[1].ResourceTypes) != 2 {
		t.Fatalf("results %+v", got)
	}
	req := a.requests()[0]
	var body map[string]string
	if err := json.Unmarshal(req.Body, &body); err != nil {
		t.Fatal(err)
	}
	if len(body) != 1 || body["issueSummary"] != strings.Repeat("é", 2000) {
		t.Errorf("body has %d fields, summary of %d bytes: want issueSummary bounded to 2000 characters", len(body), len(body["issueSummary"]))
	}
	if req.Auth != "Bearer "+supToken || req.Query != "api-version=2026-06-01" {
		t.Errorf("request %+v", req)
	}
}

// TestClassifyProblemsRequest: by the service's name (its id's last
// segment); a bare problemClassificationId is completed to the full id a
// ticket takes.
func TestClassifyProblemsRequest(t *testing.T) {
	const svc = "40ef020e-8ae7-8d57-b538-9153c47cee69"
	a := newSupARM(t)
	a.on("POST", supPrefix+"/services/"+svc+"/classifyProblems", supJSON(200, supFixture(t, "classify_problems.json")))
	c := newSupClient(t, a, &supClock{})
	got, err := c.ClassifyProblems(context.Background(), "/providers/Microsoft.Support/services/"+svc, "Can not connect to Windows VM")
	if err != nil {
		t.Fatal(err)
	}
	full := "/providers/Microsoft.Support/services/" + svc + "/problemClassifications/"
	if len(got) != 2 || got[0].ProblemClassificationID != full+"problemClassificationId1" ||
		got[1].ProblemClassificationID != full+"problemClassificationId2" || got[0].Title != "Problem classification title" ||
		got[0].RelatedService == nil || got[0].RelatedService.DisplayName != "SQL Server in VM - Linux" {
		t.Fatalf("results %+v", got)
	}
	for _, bad := range []struct{ svc, summary string }{{"a/../b c", "x"}, {svc, "  "}} {
		if _, err := c.ClassifyProblems(context.Background(), bad.svc, bad.summary); fault.Classify(err) != fault.Permanent {
			t.Errorf("ClassifyProblems(%q, %q) = %v, want permanent", bad.svc, bad.summary, err)
		}
	}
	if n := len(a.requests()); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}

// TestClassifyErrorsAreARMErrors: a refused classification is classified
// by the ARM rules like every other call.
func TestClassifyErrorsAreARMErrors(t *testing.T) {
	a := newSupARM(t)
	a.on("POST", supPrefix+"/classifyServices", func(w http.ResponseWriter, _ *http.Request) {
		supWriteError(w, http.StatusForbidden, "AuthorizationFailed", "no access")
	})
	_, err := newSupClient(t, a, &supClock{}).ClassifyServices(context.Background(), "Teams")
	var ae *azuresupport.ARMError
	if !errors.As(err, &ae) || ae.StatusCode != http.StatusForbidden || fault.Classify(err) != fault.Permanent {
		t.Fatalf("err = %v, want a permanent 403 ARMError", err)
	}
}
