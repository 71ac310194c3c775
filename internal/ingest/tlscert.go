package ingest

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"
)

// certReloader serves the certificate in a pair of PEM files and reads
// them again at the first handshake after either changed (size or
// modification time), so a renewed certificate is served without a
// restart. A pair that does not load keeps the previous certificate.
type certReloader struct {
	certFile, keyFile string
	log               *slog.Logger

	mu                  sync.Mutex
	cert                *tls.Certificate
	certStamp, keyStamp fileStamp
}

type fileStamp struct {
	mod  time.Time
	size int64
}

func stampOf(path string) (fileStamp, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return fileStamp{}, err
	}
	return fileStamp{mod: fi.ModTime(), size: fi.Size()}, nil
}

// newCertReloader loads the pair once; an error names the variable to fix.
func newCertReloader(certFile, keyFile string, log *slog.Logger) (*certReloader, error) {
	c := &certReloader{certFile: certFile, keyFile: keyFile, log: log}
	cs, err := stampOf(certFile)
	if err != nil {
		return nil, fmt.Errorf("ESCALATOR_INGEST_TLS_CERT_FILE: %w", err)
	}
	ks, err := stampOf(keyFile)
	if err != nil {
		return nil, fmt.Errorf("ESCALATOR_INGEST_TLS_KEY_FILE: %w", err)
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("ESCALATOR_INGEST_TLS_CERT_FILE, ESCALATOR_INGEST_TLS_KEY_FILE: %w; give a PEM certificate chain and its private key", err)
	}
	c.cert, c.certStamp, c.keyStamp = &cert, cs, ks
	return c, nil
}

// getCertificate is tls.Config.GetCertificate.
func (c *certReloader) getCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cs, err1 := stampOf(c.certFile)
	ks, err2 := stampOf(c.keyFile)
	if err1 != nil || err2 != nil || (cs == c.certStamp && ks == c.keyStamp) {
		return c.cert, nil
	}
	// Remember the stamps either way: a half-written pair is tried again
	// when the other file changes, not at every handshake.
	c.certStamp, c.keyStamp = cs, ks
	cert, err := tls.LoadX509KeyPair(c.certFile, c.keyFile)
	if err != nil {
		c.log.Warn("ingest TLS certificate changed but does not load; serving the previous one", "err", err)
		return c.cert, nil
	}
	c.cert = &cert
	c.log.Info("ingest TLS certificate reloaded", "file", c.certFile)
	return c.cert, nil
}

// tlsConfig is TLS 1.2 or later, HTTP/1.1 only: every connection is one
// the listener counted and the timeouts bound.
func (c *certReloader) tlsConfig() *tls.Config {
	return &tls.Config{
		MinVersion:     tls.VersionTLS12,
		GetCertificate: c.getCertificate,
		NextProtos:     []string{"http/1.1"},
	}
}
