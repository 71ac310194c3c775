package sim

import (
	"fmt"
	"net/http"
)

// Error bodies, one shape per API family, as the real services send them.

// graphError writes {"error":{"code","message","innerError":{...}}}.
func (s *Server) graphError(w http.ResponseWriter, status int, code, msg string) {
	rid := s.guid()
	w.Header().Set("request-id", rid)
	writeJSON(w, status, map[string]any{"error": map[string]any{
		"code":    code,
		"message": msg,
		"innerError": map[string]string{
			"date":              s.now().Format("2006-01-02T15:04:05"),
			"request-id":        rid,
			"client-request-id": rid,
		},
	}})
}

// armError writes the ARM error body {"error":{"code","message"}}.
func (s *Server) armError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("x-ms-request-id", s.guid())
	writeJSON(w, status, map[string]any{"error": map[string]string{"code": code, "message": msg}})
}

// snowError writes {"error":{"message","detail"},"status":"failure"}.
func snowError(w http.ResponseWriter, status int, msg, detail string) {
	writeJSONType(w, "application/json;charset=UTF-8", status, map[string]any{
		"error":  map[string]any{"message": msg, "detail": detail},
		"status": "failure",
	})
}

// entraError writes the AADSTS error body.
func (s *Server) entraError(w http.ResponseWriter, status int, errCode string, aadsts int, desc string) {
	now := s.now()
	trace, corr := s.guid(), s.guid()
	ts := now.Format("2006-01-02 15:04:05Z")
	full := fmt.Sprintf("AADSTS%d: %s Trace ID: %s Correlation ID: %s Timestamp: %s", aadsts, desc, trace, corr, ts)
	writeJSON(w, status, map[string]any{
		"error":             errCode,
		"error_description": full,
		"error_codes":       []int{aadsts},
		"timestamp":         ts,
		"trace_id":          trace,
		"correlation_id":    corr,
		"error_uri":         fmt.Sprintf("https://login.microsoftonline.com/error?code=%d", aadsts),
	})
}

// writeInjected answers an injected fault in the family's error shape.
func (s *Server) writeInjected(w http.ResponseWriter, fam family, status int) {
	text := http.StatusText(status)
	switch fam {
	case famEntra:
		// AADSTS90033: "A transient error has occurred. Please try again."
		s.entraError(w, status, "temporarily_unavailable", 90033, "A transient error has occurred. Please try again. (simulated: "+text+")")
	case famGraph:
		code := "serviceNotAvailable"
		switch {
		case status == http.StatusTooManyRequests:
			code = "TooManyRequests"
		case status < 500:
			code = "BadRequest"
		case status == http.StatusGatewayTimeout:
			code = "GatewayTimeout"
		}
		s.graphError(w, status, code, "Simulated fault: "+text)
	case famARM:
		code := "ServiceUnavailable"
		switch {
		case status == http.StatusTooManyRequests:
			code = "TooManyRequests"
		case status == http.StatusInternalServerError:
			code = "InternalServerError"
		case status < 500:
			code = "BadRequest"
		}
		s.armError(w, status, code, "Simulated fault: "+text)
	case famServiceNowOAuth:
		writeJSON(w, status, map[string]string{"error": "server_error", "error_description": text})
	default:
		snowError(w, status, text, "Simulated fault")
	}
}
