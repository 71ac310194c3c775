package sim

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"unicode"
)

// The Azure Support API's classification (stable from api-version
// 2026-06-01):
//
//	POST /subscriptions/{sub}/providers/Microsoft.Support/classifyServices
//	     {"issueSummary":"…","resourceId":"…","additionalContext":"…"}
//	  → {"serviceClassificationResults":[{"serviceId","displayName","resourceTypes"}]}
//	POST /subscriptions/{sub}/providers/Microsoft.Support/services/{service}/classifyProblems
//	     {"issueSummary":"…","resourceId":"…"}   (issueSummary required)
//	  → {"problemClassificationResults":[{"problemId","title","description",
//	     "serviceId","problemClassificationId","relatedService":{…}}]}
//
// The simulator's model is the catalog's keywords: an issue summary scores
// one point for every keyword of a problem classification it holds as a
// whole word or phrase, in any case ("Outlook", "mail flow", "Teams",
// "sign-in", "quota", …; see catalog). classifyServices answers the
// services with points, most first (at most 3), plus, for a resourceId,
// the services of its resource type; classifyProblems the service's
// problem classifications with points, most first. Nothing matches: an
// empty list, as the real API answers an issue it cannot place.

// ClassifyAPIVersion is the first stable api-version with classification;
// the classification routes accept it only.
const ClassifyAPIVersion = "2026-06-01"

// maxServiceResults bounds a classifyServices answer.
const maxServiceResults = 3

// words is text lower-cased with every run of other characters than
// letters, digits and '-' as one space, between spaces: " a b-c d ".
func words(text string) string {
	var b strings.Builder
	b.WriteByte(' ')
	space := true
	for _, r := range strings.ToLower(text) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' {
			b.WriteRune(r)
			space = false
		} else if !space {
			b.WriteByte(' ')
			space = true
		}
	}
	if !space {
		b.WriteByte(' ')
	}
	return b.String()
}

// score counts pc's keywords in summary (as words) and names them.
func (pc problemClass) score(summary string) (int, []string) {
	var hit []string
	for _, k := range pc.keywords {
		if strings.Contains(summary, words(k)) {
			hit = append(hit, k)
		}
	}
	return len(hit), hit
}

type classifyBody struct {
	IssueSummary      string `json:"issueSummary"`
	ResourceID        string `json:"resourceId"`
	AdditionalContext string `json:"additionalContext"`
}

func (s *Server) readClassify(w http.ResponseWriter, r *http.Request) (classifyBody, bool) {
	if !s.armGuardVersions(w, r, true, []string{ClassifyAPIVersion}) {
		return classifyBody{}, false
	}
	var b classifyBody
	if err := readJSON(r, &b); err != nil {
		s.armError(w, http.StatusBadRequest, "InvalidRequestContent", "The request content was invalid and could not be deserialized: "+err.Error())
		return classifyBody{}, false
	}
	return b, true
}

func (s *Server) armClassifyServices(w http.ResponseWriter, r *http.Request) {
	b, ok := s.readClassify(w, r)
	if !ok {
		return
	}
	summary := words(b.IssueSummary + " " + b.AdditionalContext)
	resType := resourceType(b.ResourceID)
	type ranked struct {
		svc    supportService
		points int
	}
	var rank []ranked
	for _, svc := range s.supportCatalog() {
		points := 0
		for _, pc := range svc.problems {
			n, _ := pc.score(summary)
			points += n
		}
		if resType != "" && slices.ContainsFunc(svc.resourceTypes, func(t string) bool { return strings.EqualFold(t, resType) }) {
			points++
		}
		if points > 0 {
			rank = append(rank, ranked{svc, points})
		}
	}
	slices.SortStableFunc(rank, func(a, b ranked) int { return cmp.Compare(b.points, a.points) })
	results := []map[string]any{}
	for _, x := range rank[:min(len(rank), maxServiceResults)] {
		results = append(results, x.svc.classificationService())
	}
	writeJSON(w, http.StatusOK, map[string]any{"serviceClassificationResults": results})
}

func (s *Server) armClassifyProblems(w http.ResponseWriter, r *http.Request) {
	b, ok := s.readClassify(w, r)
	if !ok {
		return
	}
	svc, found := lookupService(s.supportCatalog(), r.PathValue("service"))
	if !found {
		s.armError(w, http.StatusNotFound, "ResourceNotFound", fmt.Sprintf("Service '%s' was not found.", r.PathValue("service")))
		return
	}
	if strings.TrimSpace(b.IssueSummary) == "" {
		s.armError(w, http.StatusBadRequest, "BadRequest", "The property 'issueSummary' is required.")
		return
	}
	summary := words(b.IssueSummary)
	type ranked struct {
		pc     problemClass
		points int
		hit    []string
	}
	var rank []ranked
	for _, pc := range svc.problems {
		if n, hit := pc.score(summary); n > 0 {
			rank = append(rank, ranked{pc, n, hit})
		}
	}
	slices.SortStableFunc(rank, func(a, b ranked) int { return cmp.Compare(b.points, a.points) })
	results := []map[string]any{}
	for _, x := range rank {
		results = append(results, map[string]any{
			"problemId":               x.pc.guid,
			"title":                   x.pc.name,
			"description":             "The issue mentions " + strings.Join(x.hit, ", ") + ".",
			"serviceId":               serviceID(svc.guid),
			"problemClassificationId": serviceID(svc.guid) + "/problemClassifications/" + x.pc.guid,
			"relatedService":          svc.classificationService(),
		})
	}
	writeJSON(w, http.StatusOK, map[string]any{"problemClassificationResults": results})
}

// classificationService is svc as a classification answer names it.
func (svc supportService) classificationService() map[string]any {
	rt := svc.resourceTypes
	if rt == nil {
		rt = []string{}
	}
	return map[string]any{"serviceId": serviceID(svc.guid), "displayName": svc.name, "resourceTypes": rt}
}

// resourceType is the "Provider/type" of an ARM resource id, or "".
func resourceType(id string) string {
	_, after, ok := strings.Cut(strings.ToLower(id), "/providers/")
	if !ok {
		return ""
	}
	parts := strings.Split(after, "/")
	if len(parts) < 2 {
		return ""
	}
	return parts[0] + "/" + parts[1]
}
