package token

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/escalator/escalator/internal/fault"
)

// Source serves one identity's token. AccessToken is the method every client
// uses; it is safe for concurrent use.
type Source struct {
	c       *Cache
	f       Fetcher
	id      Identity
	key     string
	lockKey string
	aad     []byte

	// cur is the in-process layer: one atomic load on the hot path.
	cur        atomic.Pointer[entry]
	refreshing atomic.Bool // a flight is running: keeps the hot path lock-free

	mu      sync.Mutex
	fl      *flight   // the acquisition in progress, shared by all callers
	retryAt time.Time // no background refresh before, after a failed one
}

type entry struct {
	tok    Token
	usable time.Time // expiry minus skew
}

// waitFor blocks until ch closes or ctx ends.
func waitFor(ctx context.Context, ch <-chan struct{}) error {
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("wait for token: %w", ctx.Err())
	}
}

// flight is one acquisition. ready closes as soon as a usable token is in
// cur (possibly before the refresh ends) or when the flight ends; done
// closes when it ends, err telling how.
type flight struct {
	ready     chan struct{}
	readyOnce sync.Once
	done      chan struct{}
	err       error // written before done closes
}

func newFlight() *flight {
	return &flight{ready: make(chan struct{}), done: make(chan struct{})}
}

// markReady lets waiting callers use the token now in cur.
func (f *flight) markReady() { f.readyOnce.Do(func() { close(f.ready) }) }

func (f *flight) finish(err error) {
	f.err = err
	close(f.done)
	f.markReady()
}

var errClosed = errors.New("token cache closed")

// AccessToken returns a valid access token, for an Authorization: Bearer
// header. From the in-process layer it costs an atomic load and no
// allocation; otherwise it waits for the one acquisition in flight.
func (s *Source) AccessToken(ctx context.Context) (string, error) {
	if e := s.fresh(ctx); e != nil {
		return e.tok.AccessToken, nil
	}
	t, err := s.acquireWait(ctx)
	return t.AccessToken, err
}

// Token returns a valid token with its expiry and refresh time.
func (s *Source) Token(ctx context.Context) (Token, error) {
	if e := s.fresh(ctx); e != nil {
		return e.tok, nil
	}
	return s.acquireWait(ctx)
}

// Identity names the source's token.
func (s *Source) Identity() Identity { return s.id }

// fresh is the hot path: the local token if still usable, starting a
// background refresh once it is due.
//
// Local hits make no span (a span per call would cost more than the call
// itself, on every outbound request); they are counted in an atomic counter
// that the escalator.token.acquisitions metric reports as token.cache =
// local_hit.
func (s *Source) fresh(ctx context.Context) *entry {
	e := s.cur.Load()
	if e == nil {
		return nil
	}
	now := s.c.opts.Clock()
	if !now.Before(e.usable) {
		return nil
	}
	if !now.Before(e.tok.RefreshAt) && !s.refreshing.Load() {
		s.mu.Lock()
		if s.fl == nil && !now.Before(s.retryAt) {
			s.startLocked(ctx)
		}
		s.mu.Unlock()
	}
	s.c.counts[localHit].Add(1)
	return e
}

// acquireWait joins (or starts) the flight and waits for its token.
func (s *Source) acquireWait(ctx context.Context) (Token, error) {
	for attempt := 0; ; attempt++ {
		s.mu.Lock()
		if e := s.usable(); e != nil {
			s.mu.Unlock()
			return e.tok, nil
		}
		f := s.fl
		if f == nil {
			f = s.startLocked(ctx)
		}
		s.mu.Unlock()
		if f == nil {
			return Token{}, errClosed
		}
		if err := waitFor(ctx, f.ready); err != nil {
			return Token{}, err
		}
		if e := s.usable(); e != nil {
			return e.tok, nil
		}
		// The early token expired meanwhile: wait for the flight's own.
		if err := waitFor(ctx, f.done); err != nil {
			return Token{}, err
		}
		if e := s.usable(); e != nil {
			return e.tok, nil
		}
		if f.err != nil {
			return Token{}, f.err
		}
		if attempt == 2 {
			return Token{}, fault.AsTransient(errors.New("acquire token: it expired as soon as it arrived (check the clock and the endpoint's expires_in)"), 0)
		}
	}
}

func (s *Source) usable() *entry {
	if e := s.cur.Load(); e != nil && s.c.opts.Clock().Before(e.usable) {
		return e
	}
	return nil
}

// startLocked starts a flight; s.mu is held. It returns nil once the cache
// is closed.
func (s *Source) startLocked(ctx context.Context) *flight {
	f := newFlight()
	// The flight outlives the caller that started it (others join it), so
	// it keeps the caller's trace but not its cancellation.
	parent := context.WithoutCancel(ctx)
	if !s.c.spawn(func() { s.run(parent, f) }) {
		return nil
	}
	s.fl = f
	s.refreshing.Store(true)
	return f
}

// run performs one acquisition in its own goroutine, under a token.acquire
// span whose token.cache attribute says how it was served.
func (s *Source) run(parent context.Context, f *flight) {
	c := s.c
	ctx, cancel := context.WithTimeout(parent, c.opts.FetchTimeout)
	defer cancel()
	stop := context.AfterFunc(c.closing, cancel)
	defer stop()
	ctx, span := c.tracer.Start(ctx, "token.acquire", trace.WithAttributes(
		attribute.String("token.authority", s.id.Authority),
		attribute.String("token.resource", s.id.Resource),
	))
	o, err := s.acquire(ctx, f)
	span.SetAttributes(attribute.String("token.cache", o.String()))
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
		c.countFailure(s, err)
	} else {
		c.counts[o].Add(1)
	}
	span.End()

	s.mu.Lock()
	s.fl = nil
	s.refreshing.Store(false)
	if err != nil {
		s.retryAt = c.opts.Clock().Add(c.opts.RetryBackoff)
	}
	s.mu.Unlock()
	f.finish(err)
}

// publish makes cd the local token unless the local one is newer.
func (s *Source) publish(cd cached) {
	if cur := s.usable(); cur != nil && !cd.tok.Expiry.After(cur.tok.Expiry) {
		return
	}
	s.cur.Store(&entry{tok: cd.tok, usable: cd.usable})
}

// fetch calls the endpoint and stamps the grant with the cache's clock, as
// of the moment the request left.
func (s *Source) fetch(ctx context.Context) (cached, error) {
	issued := s.c.opts.Clock()
	g, err := s.f.Fetch(ctx)
	if err != nil {
		return cached{}, fmt.Errorf("acquire token: %w", err)
	}
	if g.AccessToken == "" {
		return cached{}, fault.AsTransient(errors.New("acquire token: endpoint answered no access_token"), 0)
	}
	if g.ExpiresIn <= 0 {
		g.ExpiresIn = defaultLifetime
	}
	tok, usable := lifetimes(g, issued, s.c.opts.Skew)
	return cached{tok: tok, usable: usable}, nil
}

// fetchLocal fetches and keeps the token in this process only.
func (s *Source) fetchLocal(ctx context.Context) error {
	cd, err := s.fetch(ctx)
	if err != nil {
		return err
	}
	s.publish(cd)
	return nil
}
