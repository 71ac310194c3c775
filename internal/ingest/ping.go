package ingest

import (
	"encoding/json"
	"fmt"
	"mime"
	"net/http"

	"github.com/escalator/escalator/internal/event"
)

// Source outcomes of the ping answer.
const (
	sourceMatch      = "match"
	sourceMismatch   = "mismatch"
	sourceNotChecked = "not_checked"
)

// pingAnswer is the 200 answer of POST /v1/ping.
type pingAnswer struct {
	Status    string `json:"status"`
	Signature string `json:"signature"` // verified | not_required
	Source    string `json:"source"`    // match | mismatch | not_checked
}

// servePing is the ServiceNow side's "test connection": the checks of
// /v1/events (network, token, signature over the raw body) on a JSON
// object such as {"source":"https://<instance>"}, and whether its source
// is the configured instance. It publishes nothing.
func (s *Server) servePing(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	answer, p := s.ping(w, r)
	if p != nil {
		s.refuse(ctx, w, r, p)
		return
	}
	s.metrics.request(ctx, http.StatusOK)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_ = json.NewEncoder(w).Encode(answer)
}

func (s *Server) ping(w http.ResponseWriter, r *http.Request) (*pingAnswer, *problem) {
	if p := s.admit(r); p != nil {
		return nil, p
	}
	ct := r.Header.Get("Content-Type")
	if mt, _, err := mime.ParseMediaType(ct); err != nil || !isJSON(mt) {
		return nil, newProblem(http.StatusUnsupportedMediaType, "unsupported-media-type", "Unsupported media type",
			fmt.Sprintf("content type %q is not accepted; send a JSON object as application/json", ct)).closing()
	}
	body, sig, p := s.readSigned(w, r)
	if p != nil {
		return nil, p
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil || obj == nil {
		return nil, invalid([]event.FieldError{{Index: -1, Field: "body", Detail: "send a JSON object, e.g. {\"source\":\"https://<instance>.service-now.com\"}"}})
	}
	answer := &pingAnswer{Status: "ok", Signature: sig, Source: sourceNotChecked}
	if s.source != "" {
		var src string
		answer.Source = sourceMismatch
		if raw, ok := obj["source"]; ok && json.Unmarshal(raw, &src) == nil && sourceMatches(s.source, src) {
			answer.Source = sourceMatch
		}
	}
	return answer, nil
}
