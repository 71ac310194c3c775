package main

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/escalator/escalator/internal/ingest"
)

const testSigningSecret = "test-signing-secret-0123456789"

// signedApp runs an App whose ingest requires signatures and the
// examples' instance as the event source.
func signedApp(t *testing.T, rec *recorder, secrets ...string) *App {
	t.Helper()
	var cfg appConfig
	cfg.ingest.policy.SigningSecrets = secrets
	cfg.ingest.policy.Source = "https://contoso.service-now.com"
	return startApp(t, cfg, rec.handlers)
}

func TestPublishSignsThroughIngest(t *testing.T) {
	var rec recorder
	app := signedApp(t, &rec, "old-secret-0123456789", testSigningSecret)
	// Three events in one NDJSON file, as one batch.
	var ndjson []byte
	for _, f := range []string{"insights-requested.json", "escalation-requested.json", "incident-updated.json"} {
		b, err := os.ReadFile("examples/" + f)
		if err != nil {
			t.Fatal(err)
		}
		var v any
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatal(err)
		}
		line, _ := json.Marshal(v)
		ndjson = append(append(ndjson, line...), '\n')
	}
	path := filepath.Join(t.TempDir(), "events.ndjson")
	if err := os.WriteFile(path, ndjson, 0o600); err != nil {
		t.Fatal(err)
	}
	envm := map[string]string{
		"ESCALATOR_INGEST_URL":             app.IngestURL(),
		"ESCALATOR_INGEST_TOKENS":          testIngestToken,
		"ESCALATOR_INGEST_SIGNING_SECRETS": " " + testSigningSecret + " ,other",
	}
	out, _, err := runRoot(t, envm, "publish", "--output", "json", path)
	if err != nil {
		t.Fatalf("publish through ingest: %v", err)
	}
	var subjects []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var r publishResult
		if err := json.Unmarshal([]byte(line), &r); err != nil || r.Seq == 0 || r.Duplicate {
			t.Fatalf("result %q: %v", line, err)
		}
		subjects = append(subjects, r.Subject)
	}
	if len(subjects) != 3 || subjects[0] != "escalator.incident.insights" {
		t.Fatalf("subjects %v", subjects)
	}
	waitFor(t, "the published events handled", func() bool {
		return rec.count("escalator.incident.insights") == 1 && rec.count("escalator.incident.update") == 1
	})

	// Without the secret, or with another one, ingest refuses and says why.
	delete(envm, "ESCALATOR_INGEST_SIGNING_SECRETS")
	if _, _, err := runRoot(t, envm, "publish", path); err == nil || !strings.Contains(err.Error(), "401") ||
		!strings.Contains(err.Error(), "Escalator-Signature") {
		t.Fatalf("unsigned publish: %v, want a 401 naming the header", err)
	}
	envm["ESCALATOR_INGEST_SIGNING_SECRETS"] = "not-the-secret"
	if _, _, err := runRoot(t, envm, "publish", path); err == nil || !strings.Contains(err.Error(), "matches none") {
		t.Fatalf("publish with a wrong secret: %v", err)
	}
	delete(envm, "ESCALATOR_INGEST_TOKENS")
	if _, _, err := runRoot(t, envm, "publish", path); err == nil || !strings.Contains(err.Error(), "ESCALATOR_INGEST_TOKENS") {
		t.Fatalf("publish without a token: %v", err)
	}
}

func TestServeRequiresSignatureAndSource(t *testing.T) {
	var rec recorder
	app := signedApp(t, &rec, testSigningSecret)
	if resp := postEvent(t, app.IngestURL(), "insights-requested.json"); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("unsigned event: status %d, want 401", resp.StatusCode)
	}
	body := []byte(`{"source":"https://contoso.service-now.com"}`)
	req, _ := http.NewRequest(http.MethodPost, app.IngestURL()+ingest.PingPath, strings.NewReader(string(body)))
	req.Header.Set("Authorization", "Bearer "+testIngestToken)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(ingest.SignatureHeader, ingest.Sign(testSigningSecret, time.Now(), body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(got), `"signature":"verified"`) || !strings.Contains(string(got), `"source":"match"`) {
		t.Fatalf("ping: %d %s", resp.StatusCode, got)
	}
}
