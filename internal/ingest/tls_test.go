package ingest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/escalator/escalator/internal/streams"
)

// testCert is a self-signed certificate for 127.0.0.1 as PEM.
type testCert struct {
	cert    *x509.Certificate
	certPEM []byte
	keyPEM  []byte
}

func newTestCert(t *testing.T, serial int64) testCert {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(serial),
		Subject:               pkix.Name{CommonName: "escalator-ingest test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	kb, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return testCert{cert: cert,
		certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		keyPEM:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kb})}
}

// install writes the pair; the modification time is set apart from the
// previous write's, as a renewal minutes later would be, so a filesystem
// with coarse timestamps cannot hide the change.
func (c testCert) install(t *testing.T, certFile, keyFile string, at time.Time) {
	t.Helper()
	for path, b := range map[string][]byte{certFile: c.certPEM, keyFile: c.keyPEM} {
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(path, at, at); err != nil {
			t.Fatal(err)
		}
	}
}

func servedSerial(t *testing.T, addr string, roots *x509.CertPool) int64 {
	t.Helper()
	conn, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: roots})
	if err != nil {
		t.Fatalf("TLS handshake: %v", err)
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0].SerialNumber.Int64()
}

func TestTLSServesAndReloadsTheCertificate(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	first, second := newTestCert(t, 1), newTestCert(t, 2)
	start := time.Now().Add(-time.Hour)
	first.install(t, certFile, keyFile, start)
	roots := x509.NewCertPool()
	roots.AddCert(first.cert)
	roots.AddCert(second.cert)

	f := newFixture(t, fixtureOpts{serve: true, roots: roots, cfg: func(c *Config) {
		c.TLSCertFile, c.TLSKeyFile = certFile, keyFile
	}})
	if !strings.HasPrefix(f.url, "https://") {
		t.Fatalf("url %s, want https", f.url)
	}
	wantAccepted(t, f.post("application/cloudevents+json", tokenA, mustJSON(t, newEvent("tls-1"))))
	if got := servedSerial(t, f.addr, roots); got != 1 {
		t.Fatalf("serial %d, want 1", got)
	}

	second.install(t, certFile, keyFile, start.Add(time.Minute))
	if got := servedSerial(t, f.addr, roots); got != 2 {
		t.Fatalf("serial %d after the files changed, want the new certificate 2", got)
	}

	// A pair that does not load keeps the certificate being served.
	if err := os.WriteFile(keyFile, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := servedSerial(t, f.addr, roots); got != 2 {
		t.Fatalf("serial %d after a broken key, want 2 still", got)
	}
	if !f.logs.contains("does not load") {
		t.Fatalf("broken pair not logged: %s", f.logs.String())
	}

	// TLS 1.1 is refused.
	if conn, err := tls.Dial("tcp", f.addr, &tls.Config{RootCAs: roots, MaxVersion: tls.VersionTLS11}); err == nil {
		conn.Close()
		t.Fatal("a TLS 1.1 handshake succeeded")
	}
}

func TestTLSConfigErrors(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	newTestCert(t, 1).install(t, certFile, keyFile, time.Now())
	garbage := filepath.Join(dir, "garbage.pem")
	if err := os.WriteFile(garbage, []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	pub := streams.NewPublisher(nil, nil)
	tests := []struct {
		name, cert, key, want string
	}{
		{"cert without key", certFile, "", "ESCALATOR_INGEST_TLS_KEY_FILE"},
		{"key without cert", "", keyFile, "ESCALATOR_INGEST_TLS_CERT_FILE"},
		{"missing file", filepath.Join(dir, "absent.crt"), keyFile, "ESCALATOR_INGEST_TLS_CERT_FILE"},
		{"not PEM", garbage, keyFile, "ESCALATOR_INGEST_TLS_CERT_FILE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(Config{Tokens: []string{"a"}, TLSCertFile: tt.cert, TLSKeyFile: tt.key}, pub)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one naming %s", err, tt.want)
			}
		})
	}
}
