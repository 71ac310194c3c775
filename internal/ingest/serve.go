package ingest

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"

	"golang.org/x/net/netutil"
)

// Serve answers on ln until ctx ends: at most MaxConns connections at
// once, over TLS when configured, each request bounded by the read, write
// and idle timeouts. Once ctx ends it stops accepting, waits up to
// ShutdownTimeout for requests in flight, then closes whatever is still
// open (a stalled client cannot hold the process). It returns nil after
// such a shutdown, forced or not, and an error only when the listener
// fails.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	ln = netutil.LimitListener(ln, s.cfg.MaxConns)
	if s.certs != nil {
		ln = tls.NewListener(ln, s.certs.tlsConfig())
	}
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: s.cfg.ReadHeaderTimeout,
		ReadTimeout:       s.cfg.ReadTimeout,
		WriteTimeout:      s.cfg.WriteTimeout,
		IdleTimeout:       s.cfg.IdleTimeout,
		MaxHeaderBytes:    s.cfg.MaxHeaderBytes,
		// Handshake failures and other connection errors: scanners make
		// plenty, so they stay below the default level.
		ErrorLog: slog.NewLogLogger(s.cfg.Logger.Handler(), slog.LevelDebug),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("ingest listener: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		s.cfg.Logger.Warn("ingest shutdown: closing connections still open", "after", s.cfg.ShutdownTimeout, "err", err)
		_ = srv.Close()
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("ingest listener: %w", err)
	}
	return nil
}

// TLS reports whether Serve speaks TLS.
func (s *Server) TLS() bool { return s.certs != nil }
