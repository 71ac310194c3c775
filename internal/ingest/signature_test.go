package ingest

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

const (
	secretOld = "signing-secret-old-0123456789"
	secretNew = "signing-secret-new-9876543210"
)

// TestSignKnownValue holds Sign to the documented scheme; the value is
// what the README's openssl example prints:
//
//	printf '%s' '1764061367.{"source":"https://contoso.service-now.com"}' | openssl dgst -sha256 -hmac s3cret -hex
func TestSignKnownValue(t *testing.T) {
	got := Sign("s3cret", time.Unix(1764061367, 0), []byte(`{"source":"https://contoso.service-now.com"}`))
	want := "t=1764061367,v1=ae10ba67152bd5c34381d142c3e65981242e6822aa8a10e20762b2fd5dead7d5"
	if got != want {
		t.Fatalf("Sign = %q, want %q", got, want)
	}
}

func TestSignedPush(t *testing.T) {
	f := newFixture(t, fixtureOpts{cfg: func(c *Config) { c.SigningSecrets = []string{secretNew, secretOld} }})
	body := mustJSON(t, newEvent("signed-1"))
	now := time.Now()
	post := func(sig string, body []byte) *http.Response {
		t.Helper()
		if sig == "" {
			return f.post("application/cloudevents+json", tokenA, body)
		}
		return f.post("application/cloudevents+json", tokenA, body, SignatureHeader, sig)
	}

	// Either configured secret signs: a rotation accepts the old and the new.
	wantAccepted(t, post(Sign(secretNew, now, body), body))
	other := mustJSON(t, newEvent("signed-2"))
	wantAccepted(t, post(Sign(secretOld, now, other), other))

	mac := Sign(secretNew, now, body)[len("t=")+len(strconv.FormatInt(now.Unix(), 10))+len(",v1="):]
	tests := []struct {
		name, sig, check string
	}{
		{"missing", "", sigMissing},
		{"wrong secret", Sign("not-a-configured-secret", now, body), sigMismatch},
		{"other body", Sign(secretNew, now, []byte(`{"other":true}`)), sigMismatch},
		{"t changed", "t=" + strconv.FormatInt(now.Unix()+1, 10) + ",v1=" + mac, sigMismatch},
		{"stale", Sign(secretNew, now.Add(-SignatureTolerance-10*time.Second), body), sigStale},
		{"future", Sign(secretNew, now.Add(SignatureTolerance+10*time.Second), body), sigStale},
		{"no t", "v1=" + mac, sigMalformed},
		{"no v1", "t=" + strconv.FormatInt(now.Unix(), 10), sigMalformed},
		{"t not a number", "t=soon,v1=" + mac, sigMalformed},
		{"v1 not hex", "t=" + strconv.FormatInt(now.Unix(), 10) + ",v1=" + strings.Repeat("z", 64), sigMalformed},
		{"v1 short", "t=" + strconv.FormatInt(now.Unix(), 10) + ",v1=" + mac[:40], sigMalformed},
		{"not key=value", "garbage", sigMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := f.stored()
			p := wantProblem(t, post(tt.sig, body), http.StatusUnauthorized)
			if p.Check != tt.check {
				t.Fatalf("check %q, want %q (%s)", p.Check, tt.check, p.Detail)
			}
			if strings.Contains(p.Detail, secretNew) || strings.Contains(p.Detail, mac) {
				t.Fatalf("detail reveals the secret or the expected value: %s", p.Detail)
			}
			if f.stored() != before {
				t.Fatal("an event with a bad signature was stored")
			}
		})
	}
	for _, s := range []string{secretNew, secretOld, mac} {
		if f.logs.contains(s) {
			t.Fatalf("the log holds a secret or a MAC: %s", f.logs.String())
		}
	}
	if !f.logs.contains(`"reason":"signature-stale"`) || !f.logs.contains(`"reason":"signature-mismatch"`) {
		t.Fatalf("refusals not logged with the failed check: %s", f.logs.String())
	}
}

// TestSignatureAfterAccessChecks: the token is checked first, and without
// secrets no signature is needed.
func TestSignatureAfterAccessChecks(t *testing.T) {
	signed := newFixture(t, fixtureOpts{cfg: func(c *Config) { c.SigningSecrets = []string{secretNew} }})
	body := mustJSON(t, newEvent("order-1"))
	p := wantProblem(t, signed.post("application/cloudevents+json", "wrong-token", body, SignatureHeader, Sign(secretNew, time.Now(), body)),
		http.StatusUnauthorized)
	if p.Check != "" {
		t.Fatalf("a wrong token reported as a signature check %q", p.Check)
	}
	unsigned := newFixture(t, fixtureOpts{})
	wantAccepted(t, unsigned.post("application/cloudevents+json", tokenA, body))
}

func TestEmptySigningSecretRefused(t *testing.T) {
	_, err := New(Config{Tokens: []string{"a"}, SigningSecrets: []string{secretNew, ""}}, noPublisher(t))
	if err == nil || !strings.Contains(err.Error(), "ESCALATOR_INGEST_SIGNING_SECRETS") {
		t.Fatalf("an empty secret was accepted: %v", err)
	}
}
