package ingest

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/escalator/escalator/internal/event"
)

// FuzzHandler posts arbitrary bodies in every mode: the handler must never
// panic and never answer a 5xx other than 503.
func FuzzHandler(f *testing.F) {
	fx := newFixture(f, fixtureOpts{})
	seeds, _ := filepath.Glob("../event/testdata/*.json")
	for _, path := range seeds {
		b, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(uint8(0), b)
		f.Add(uint8(1), append(append([]byte("["), b...), ']'))
	}
	f.Add(uint8(0), mustJSON(f, newEvent("fuzz-1")))
	f.Add(uint8(1), batchOf(f, "fuzz-b", 3))
	f.Add(uint8(2), mustJSON(f, newEvent("x")["data"]))
	f.Add(uint8(1), []byte(`[{},null,1,"x",[]]`))
	f.Add(uint8(0), []byte(`{"data":{"incident":7}}`))
	f.Add(uint8(3), []byte("\x00\xff"))

	handler := fx.srv.Handler()
	f.Fuzz(func(t *testing.T, mode uint8, body []byte) {
		req := httptest.NewRequest(http.MethodPost, EventsPath, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tokenA)
		switch mode % 4 {
		case 0:
			req.Header.Set("Content-Type", contentStructured)
		case 1:
			req.Header.Set("Content-Type", contentBatch)
		case 2:
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("ce-specversion", "1.0")
			req.Header.Set("ce-id", "fuzz-binary")
			req.Header.Set("ce-source", "https://contoso.service-now.com")
			req.Header.Set("ce-type", event.TypeUpdated)
			req.Header.Set("ce-time", "2026-11-25T09:02:47Z")
		case 3:
			req.Header.Set("Content-Type", "application/json")
		}
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		if rec.Code >= 500 && rec.Code != http.StatusServiceUnavailable {
			t.Fatalf("status %d for body %q: %s", rec.Code, body, rec.Body)
		}
		switch rec.Code {
		case http.StatusAccepted, http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusServiceUnavailable:
		default:
			t.Fatalf("unexpected status %d: %s", rec.Code, rec.Body)
		}
	})
}
