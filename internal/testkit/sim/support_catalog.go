package sim

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// The Azure Support catalog: GET /providers/Microsoft.Support/services and
// …/services/{id}/problemClassifications. The ids look like real ones; the
// Microsoft 365 entry is the one `escalator dev` configures. The keywords of
// a problem classification are the simulator's classification
// (support_classify.go); the real API classifies by its own models.
//
// Whether a subscription's list has a Microsoft 365 entry at all is the
// tenant's (the Azure Support API documents its services as Azure
// services): the fault support_azure_only serves the list without it.

const (
	m365ServiceGUID   = "9b2c4f8e-6d1a-4c3b-8e5f-0a7d2b9c1e63"
	m365OutlookPCGUID = "3c8e1d5a-7b2f-4e9c-a1d6-5f0b8c2e4a97"
	entraServiceGUID  = "e6b2c4d8-3f1a-4b5c-9d7e-2a8f0c6e4b19"
)

type supportService struct {
	guid, name    string
	resourceTypes []string
	problems      []problemClass
}

// problemClass is a problem classification and the words that classify an
// issue summary as one (whole words or phrases, any case).
type problemClass struct {
	guid, name string
	keywords   []string
}

func catalog() []supportService {
	return []supportService{
		{guid: m365ServiceGUID, name: "Microsoft 365 (Office 365)", problems: []problemClass{
			{m365OutlookPCGUID, "Exchange Online / Outlook cannot connect to Exchange Online",
				[]string{"outlook", "exchange online", "exchange", "mailbox", "owa", "trying to connect"}},
			{"d4a7e2b9-1c6f-4a3e-b8d5-2e9f0c7a1b64", "Exchange Online / Mail flow delays or non-delivery",
				[]string{"mail flow", "non-delivery", "ndr", "bounce", "bounced", "delayed mail", "queued mail"}},
			{"61f3b8c2-9e4d-4d7a-a2c5-8b1e6f0d3a79", "Microsoft Teams / Meetings, calls and chat",
				[]string{"teams", "meeting", "meetings", "call", "calls", "chat"}},
			{"a8e5c1d7-2b9f-4f6a-9c3e-7d4b0a1e5f28", "SharePoint Online and OneDrive / Access and sync",
				[]string{"sharepoint", "onedrive", "sync", "site", "sites"}},
			{"5e2d9a4c-8f1b-4b7e-b6a3-1c9e7d0f2a85", "Service health / Ongoing Microsoft 365 service incident",
				[]string{"outage", "service health", "service incident", "advisory"}},
		}},
		{guid: entraServiceGUID, name: "Microsoft Entra ID", problems: []problemClass{
			{"b7d1e3f5-2a4c-4e6b-8d0f-1c3e5a7b9d24", "Sign-in and multifactor authentication",
				[]string{"sign-in", "sign in", "signin", "login", "mfa", "multifactor", "password"}},
			{"c9e2f4a6-3b5d-4f7c-9e1a-2d4f6b8c0e35", "Conditional Access",
				[]string{"conditional access"}},
		}},
		{guid: "517f2da6-78fd-0498-4e22-ad26996b1dfc", name: "Billing", problems: []problemClass{
			{"5ee2b3b2-8f4c-4d6e-a1c7-3e9b0d2f6a41", "Refund request", []string{"refund"}},
			{"8b1c5e9d-2a7f-4c3b-9e6d-0f4a1b8c7e52", "Other General Billing Questions", []string{"invoice", "billing", "charge", "charged"}},
		}},
		{guid: "06bfd9d3-516b-d5c6-5802-169c800dec89", name: "Service and subscription limits (quotas)", problems: []problemClass{
			{"e12e3d1d-7fa0-af33-c6d0-3c50df9658a3", "Compute-VM (cores-vCPUs) subscription limit increases",
				[]string{"quota", "vcpu", "vcpus", "cores", "limit increase"}},
		}},
		{guid: "f3dc5421-79ef-1efa-41a5-42bf3cbb52c6", name: "Subscription management", problems: []problemClass{
			{"c2a4e6f8-1b3d-4e5f-8a7c-9d0b2e4f6a13", "Add or Edit VAT, TAX ID, or PO Number", []string{"vat", "tax id", "purchase order"}},
		}},
		{guid: "6f16735c-b0ae-b275-ad3a-03479cfa1396", name: "Virtual Machine running Windows",
			resourceTypes: []string{"MICROSOFT.CLASSICCOMPUTE/VIRTUALMACHINES", "MICROSOFT.COMPUTE/VIRTUALMACHINES"},
			problems: []problemClass{
				{"7f4b2d9e-3c1a-4e8b-b5d7-6a0c9e2f1b38", "Cannot connect to my VM / Troubleshoot my RDP connection",
					[]string{"rdp", "vm", "virtual machine", "remote desktop"}},
			}},
	}
}

// supportCatalog is the catalog as the subscription sees it now: without
// the Microsoft 365 entry under the fault support_azure_only.
func (s *Server) supportCatalog() []supportService {
	s.mu.Lock()
	azureOnly := s.faults.SupportAzureOnly
	s.mu.Unlock()
	cat := catalog()
	if azureOnly {
		cat = slices.DeleteFunc(cat, func(svc supportService) bool { return svc.guid == m365ServiceGUID })
	}
	return cat
}

func serviceID(guid string) string { return "/providers/Microsoft.Support/services/" + guid }

func (svc supportService) resource() map[string]any {
	rt := svc.resourceTypes
	if rt == nil {
		rt = []string{}
	}
	return map[string]any{
		"id": serviceID(svc.guid), "name": svc.guid, "type": "Microsoft.Support/services",
		"properties": map[string]any{"displayName": svc.name, "resourceTypes": rt},
	}
}

func (svc supportService) problemResource(pc problemClass) map[string]any {
	return map[string]any{
		"id":   serviceID(svc.guid) + "/problemClassifications/" + pc.guid,
		"name": pc.guid, "type": "Microsoft.Support/problemClassifications",
		"properties": map[string]any{"displayName": pc.name},
	}
}

// lookupService finds a service of cat by GUID.
func lookupService(cat []supportService, guid string) (supportService, bool) {
	for _, svc := range cat {
		if strings.EqualFold(svc.guid, guid) {
			return svc, true
		}
	}
	return supportService{}, false
}

// resolveClassification checks that serviceId and problemClassificationId are
// full resource ids of cat and belong together; it returns the display
// names, or the ARM error message.
func resolveClassification(cat []supportService, svcID, pcID string) (svcName, pcName, problem string) {
	guid, ok := strings.CutPrefix(strings.ToLower(svcID), strings.ToLower(serviceID("")))
	svc, found := lookupService(cat, guid)
	if !ok || !found || strings.Contains(guid, "/") {
		return "", "", fmt.Sprintf("The service id '%s' is not valid. Use the id of a service listed by GET /providers/Microsoft.Support/services.", svcID)
	}
	prefix := strings.ToLower(serviceID(svc.guid) + "/problemClassifications/")
	pcGUID, ok := strings.CutPrefix(strings.ToLower(pcID), prefix)
	if ok {
		for _, pc := range svc.problems {
			if pc.guid == pcGUID {
				return svc.name, pc.name, ""
			}
		}
	}
	return "", "", fmt.Sprintf("The problem classification id '%s' is not valid for service '%s'. Use an id listed by GET %s/problemClassifications.", pcID, svcID, serviceID(svc.guid))
}

func (s *Server) armListServices(w http.ResponseWriter, r *http.Request) {
	if !s.armGuard(w, r, false) {
		return
	}
	value := []map[string]any{}
	for _, svc := range s.supportCatalog() {
		value = append(value, svc.resource())
	}
	writeJSON(w, http.StatusOK, map[string]any{"value": value})
}

func (s *Server) serviceFromPath(w http.ResponseWriter, r *http.Request) (supportService, bool) {
	if !s.armGuard(w, r, false) {
		return supportService{}, false
	}
	svc, ok := lookupService(s.supportCatalog(), r.PathValue("service"))
	if !ok {
		s.armError(w, http.StatusNotFound, "ResourceNotFound", fmt.Sprintf("Service '%s' was not found.", r.PathValue("service")))
	}
	return svc, ok
}

func (s *Server) armGetService(w http.ResponseWriter, r *http.Request) {
	if svc, ok := s.serviceFromPath(w, r); ok {
		writeJSON(w, http.StatusOK, svc.resource())
	}
}

func (s *Server) armListProblemClassifications(w http.ResponseWriter, r *http.Request) {
	svc, ok := s.serviceFromPath(w, r)
	if !ok {
		return
	}
	value := []map[string]any{}
	for _, pc := range svc.problems {
		value = append(value, svc.problemResource(pc))
	}
	writeJSON(w, http.StatusOK, map[string]any{"value": value})
}

func (s *Server) armGetProblemClassification(w http.ResponseWriter, r *http.Request) {
	svc, ok := s.serviceFromPath(w, r)
	if !ok {
		return
	}
	for _, pc := range svc.problems {
		if strings.EqualFold(pc.guid, r.PathValue("pc")) {
			writeJSON(w, http.StatusOK, svc.problemResource(pc))
			return
		}
	}
	s.armError(w, http.StatusNotFound, "ResourceNotFound", fmt.Sprintf("Problem classification '%s' was not found.", r.PathValue("pc")))
}
