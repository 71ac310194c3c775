package ingest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// SignatureHeader carries a signed push's signature:
//
//	Escalator-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>
const SignatureHeader = "Escalator-Signature"

// SignatureTolerance is how far a signature's t may be from the server's
// clock, in the past (a replayed request) or the future (a wrong clock).
const SignatureTolerance = 300 * time.Second

// Sign returns the Escalator-Signature value of body signed with secret at
// time t. The publish command, the load tool and the verifier all compute
// the MAC here.
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(signatureMAC(secret, ts, body))
}

// signatureMAC is HMAC-SHA256(secret, ts + "." + body), ts as sent.
func signatureMAC(secret, ts string, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

// Outcomes of a signature check, as the problem's "check" member and the
// ping answer name them.
const (
	sigMissing     = "missing"
	sigMalformed   = "malformed"
	sigStale       = "stale"
	sigMismatch    = "mismatch"
	sigVerified    = "verified"
	sigNotRequired = "not_required"
)

// verifySignature checks the request's signature over body against every
// secret (rotation: any one may match). It returns "not_required" without
// secrets, "verified", or a 401 saying which check failed, never the
// expected value.
func verifySignature(secrets []string, r *http.Request, body []byte, now time.Time) (string, *problem) {
	if len(secrets) == 0 {
		return sigNotRequired, nil
	}
	h := r.Header.Values(SignatureHeader)
	if len(h) == 0 || strings.TrimSpace(h[0]) == "" {
		return "", signatureProblem(sigMissing, "send "+SignatureHeader+": t=<unix seconds>,v1=<hex HMAC-SHA256(secret, \"<t>.\" + body)>; ESCALATOR_INGEST_SIGNING_SECRETS is set, so every request must be signed")
	}
	if len(h) > 1 {
		return "", signatureProblem(sigMalformed, "send one "+SignatureHeader+" header")
	}
	ts, sigs, ok := parseSignature(h[0])
	if !ok {
		return "", signatureProblem(sigMalformed, SignatureHeader+" must be t=<unix seconds>,v1=<64 hex digits>")
	}
	sec, _ := strconv.ParseInt(ts, 10, 64)
	tol := int64(SignatureTolerance / time.Second)
	switch d := now.Unix() - sec; {
	case d > tol:
		return "", signatureProblem(sigStale, fmt.Sprintf("the signature's t is more than %d s old; sign each request when it is sent", tol))
	case d < -tol:
		return "", signatureProblem(sigStale, fmt.Sprintf("the signature's t is more than %d s in the future; check the sender's clock", tol))
	}
	match := 0
	for _, secret := range secrets {
		want := signatureMAC(secret, ts, body)
		for _, got := range sigs {
			if hmac.Equal(got, want) {
				match = 1
			}
		}
	}
	if match == 0 {
		return "", signatureProblem(sigMismatch, "the signature matches none of ESCALATOR_INGEST_SIGNING_SECRETS over this body and t")
	}
	return sigVerified, nil
}

// parseSignature reads "t=<digits>,v1=<hex>[,v1=<hex>…]"; other keys are
// ignored, for schemes to come.
func parseSignature(v string) (ts string, sigs [][]byte, ok bool) {
	for part := range strings.SplitSeq(v, ",") {
		k, val, found := strings.Cut(strings.TrimSpace(part), "=")
		if !found {
			return "", nil, false
		}
		switch k {
		case "t":
			if ts != "" || !allDigits(val) {
				return "", nil, false
			}
			ts = val
		case "v1":
			b, err := hex.DecodeString(val)
			if err != nil || len(b) != sha256.Size {
				return "", nil, false
			}
			sigs = append(sigs, b)
		}
	}
	return ts, sigs, ts != "" && len(sigs) > 0
}

func allDigits(s string) bool {
	if s == "" || len(s) > 18 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func signatureProblem(check, detail string) *problem {
	p := newProblem(http.StatusUnauthorized, "invalid-signature", "Invalid signature", detail)
	p.Check = check
	p.reason = "signature-" + check
	return p
}
