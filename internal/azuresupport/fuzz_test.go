package azuresupport

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/escalator/escalator/internal/outbound"
)

// FuzzARMAnswers feeds arbitrary bodies to the decoders of ARM answers:
// the error shape, operation status and ticket bodies.
func FuzzARMAnswers(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.json")
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(400, b)
	}
	f.Add(503, []byte(`{"error":"plain"}`))
	f.Add(404, []byte(`{"error":{"code":1,"details":[null]}}`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		status = 400 + (status%200+200)%200 // 400..599
		resp := &http.Response{StatusCode: status, Header: http.Header{}, Body: io.NopCloser(bytes.NewReader(body)),
			Request: &http.Request{Method: "GET", Header: http.Header{"Authorization": {"Bearer secret-token"}}}}
		err := armError(outbound.CheckResponse(resp))
		var ae *ARMError
		if !errors.As(err, &ae) || ae.StatusCode != status {
			t.Fatalf("armError = %v", err)
		}
		_ = ae.Error()
		if errors.Is(err, ErrTicketNotFound) != (status == 404) {
			t.Fatal("ErrTicketNotFound mismatch")
		}
		var st operationStatus
		_ = json.Unmarshal(body, &st)
		var tk Ticket
		_ = json.Unmarshal(body, &tk)
		var w wireCommunication
		_ = json.Unmarshal(body, &w)
		_ = w.communication()
	})
}
