// Package outbound is the one HTTP policy for every call Escalator makes to
// Microsoft and ServiceNow: a span per attempt, retries of transient answers
// with exponential backoff that never undercuts the server's Retry-After, and
// typed status errors that the worker classifies without reading strings.
//
// Only requests that are safe to repeat are retried: GET, HEAD, PUT, DELETE
// and OPTIONS always; POST and PATCH only when they carry an Idempotency-Key
// header or were marked with Idempotent.
//
// Caller is the one way the clients of those peers send a request: bearer
// token, Accept header, status check and a bounded read of the answer.
//
// The limits of those peers are per app or per user, so the policy also
// keeps the ones the fleet shares (internal/ratelimit): a 429 or 503 with
// Retry-After puts the client's service on hold, and until it ends every
// request to that service fails at once, transient, carrying the rest of the
// hold, without being sent; an optional limiter keeps a request budget.
package outbound

import (
	"context"
	"io"
	"net/http"
	"time"

	"github.com/cenkalti/backoff/v4"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"

	"github.com/escalator/escalator/internal/fault"
	"github.com/escalator/escalator/internal/ratelimit"
	"github.com/escalator/escalator/internal/telemetry"
)

// Options configures NewClient. Every zero value means its default.
type Options struct {
	// Name names the peer ("graph", "arm", "servicenow"): span names and
	// the peer.service attribute.
	Name string
	// Timeout bounds one attempt, reading the answer included. Default 30s.
	Timeout time.Duration
	// MaxAttempts bounds the attempts of one request. Default 4; 1 disables
	// retries.
	MaxAttempts int
	// MaxElapsed bounds the time spent on one request, waits included.
	// Default 2m.
	MaxElapsed time.Duration
	// MaxRetryAfter is the longest Retry-After honoured in place; a longer
	// one ends the retries and the answer goes back to the caller (whose
	// StatusError carries the delay). Default 2m.
	MaxRetryAfter time.Duration
	// InitialBackoff is the first wait between attempts; it grows by 1.5x
	// with jitter. Default 500ms.
	InitialBackoff time.Duration
	// Transport sends the requests. Default a clone of http.DefaultTransport.
	Transport http.RoundTripper
	// TracerProvider and MeterProvider default to no-op ones.
	TracerProvider trace.TracerProvider
	MeterProvider  metric.MeterProvider

	// Service is the remote service the client calls, the unit of a hold
	// (ratelimit.Graph, ratelimit.ARM, ratelimit.ServiceNow,
	// ratelimit.Entra): clients of one service share its hold. Default Name.
	Service string
	// Holds, when set, holds Service: a 429 or 503 with Retry-After extends
	// its hold, and while it lasts a request fails at once with a
	// *ratelimit.HeldError (transient, carrying the rest of the hold)
	// without being sent; a retry already waiting in place waits it out if
	// it fits in MaxRetryAfter and MaxElapsed. Default none.
	Holds *ratelimit.Holds
	// Limiter, when set, is waited on before every attempt: a request
	// budget such as ServiceNow's rate limit rules. Default none.
	Limiter Limiter
}

// Limiter keeps requests inside a budget (ratelimit.Local, ratelimit.Shared).
type Limiter interface {
	Wait(ctx context.Context) error
}

func (o *Options) defaults() {
	if o.Name == "" {
		o.Name = "http"
	}
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 4
	}
	if o.MaxElapsed <= 0 {
		o.MaxElapsed = 2 * time.Minute
	}
	if o.MaxRetryAfter <= 0 {
		o.MaxRetryAfter = 2 * time.Minute
	}
	if o.InitialBackoff <= 0 {
		o.InitialBackoff = 500 * time.Millisecond
	}
	if o.Transport == nil {
		o.Transport = http.DefaultTransport.(*http.Transport).Clone()
	}
	if o.Service == "" {
		o.Service = o.Name
	}
}

// NewClient returns an *http.Client that applies the policy. The client has
// no overall Timeout: attempts are bounded by Options.Timeout and the whole
// request by Options.MaxElapsed and the request's context.
func NewClient(opts Options) *http.Client {
	opts.defaults()
	name := opts.Name
	otelOpts := []otelhttp.Option{
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string {
			return name + " " + r.Method
		}),
		otelhttp.WithSpanOptions(trace.WithAttributes(attribute.String("peer.service", name))),
		otelhttp.WithTracerProvider(telemetry.OrNoopTracer(opts.TracerProvider)),
		otelhttp.WithMeterProvider(telemetry.OrNoopMeter(opts.MeterProvider)),
	}
	traced := otelhttp.NewTransport(resendCounter{opts.Transport}, otelOpts...)
	t := &retrier{opts: opts, next: labelService(opts.Service, traced), sleep: sleepCtx}
	if opts.Holds != nil {
		t.hold = opts.Holds.For(opts.Service)
	}
	return &http.Client{Transport: t}
}

type idempotentKey struct{}

// Idempotent marks a POST or PATCH as safe to retry, because repeating it
// cannot repeat its effect (a deterministic name, a key the peer honours).
func Idempotent(req *http.Request) *http.Request {
	return req.WithContext(context.WithValue(req.Context(), idempotentKey{}, true))
}

func retryable(req *http.Request) bool {
	switch req.Method {
	case http.MethodGet, http.MethodHead, http.MethodPut, http.MethodDelete, http.MethodOptions, "":
	case http.MethodPost, http.MethodPatch:
		if req.Header.Get("Idempotency-Key") == "" && req.Context().Value(idempotentKey{}) == nil {
			return false
		}
	default:
		return false
	}
	// A body that cannot be replayed cannot be sent twice.
	return req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
}

type resendKey struct{}

// resendCounter runs inside the otelhttp span and stamps the attempt number
// on it (semconv: set on resends only).
type resendCounter struct{ next http.RoundTripper }

func (t resendCounter) RoundTrip(req *http.Request) (*http.Response, error) {
	if n, ok := req.Context().Value(resendKey{}).(int); ok && n > 0 {
		trace.SpanFromContext(req.Context()).SetAttributes(attribute.Int("http.request.resend_count", n))
	}
	return t.next.RoundTrip(req)
}

type retrier struct {
	opts  Options
	next  http.RoundTripper
	sleep func(context.Context, time.Duration) error
	hold  *ratelimit.Hold // nil: never on hold
}

func (t *retrier) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	start := time.Now()
	canRetry := retryable(req)
	bo := backoff.NewExponentialBackOff()
	bo.InitialInterval = t.opts.InitialBackoff
	bo.MaxElapsedTime = 0 // bounded below, Retry-After waits included
	bo.Reset()

	for attempt := 0; ; attempt++ {
		if err := t.admit(ctx, attempt, start); err != nil {
			closeBody(req)
			return nil, err
		}
		resp, err := t.attempt(req, attempt)
		t.observe(ctx, resp)
		if ctx.Err() != nil {
			// The caller gave up: its error, not the attempt's, is the answer.
			if resp != nil {
				_ = resp.Body.Close()
			}
			return nil, ctx.Err()
		}
		if !canRetry || attempt+1 >= t.opts.MaxAttempts {
			return resp, err
		}
		var wait time.Duration
		switch {
		case err != nil:
			// Network failures and attempt timeouts are worth another try.
		case fault.StatusClass(resp.StatusCode) == fault.Transient:
			if ra, ok := ParseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
				if ra > t.opts.MaxRetryAfter {
					return resp, nil
				}
				wait = ra
			}
		default:
			return resp, nil
		}
		wait = max(wait, bo.NextBackOff())
		if time.Since(start)+wait > t.opts.MaxElapsed {
			return resp, err
		}
		if resp != nil {
			drain(resp.Body)
		}
		if err := t.sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

// admit lets attempt go once its service is not on hold and the limiter
// allows it. A first attempt on hold fails at once with a *HeldError; a
// retry, already waiting in place, waits out a hold that fits in its
// limits. The hold is read again after the limiter's wait, which may have
// been long.
func (t *retrier) admit(ctx context.Context, attempt int, start time.Time) error {
	now := start
	if attempt > 0 {
		now = time.Now()
	}
	if err := t.held(ctx, attempt, start, now); err != nil {
		return err
	}
	if t.opts.Limiter == nil {
		return nil
	}
	if err := t.opts.Limiter.Wait(ctx); err != nil {
		return err
	}
	return t.held(ctx, attempt, start, time.Now())
}

// held returns a *HeldError, or waits, while the service is on hold at now.
func (t *retrier) held(ctx context.Context, attempt int, start, now time.Time) error {
	for {
		d := t.hold.Remaining(now)
		if d == 0 {
			return nil
		}
		if attempt == 0 || d > t.opts.MaxRetryAfter || now.Sub(start)+d > t.opts.MaxElapsed {
			return &ratelimit.HeldError{Service: t.hold.Service(), Remaining: d}
		}
		if err := t.sleep(ctx, d); err != nil {
			return err
		}
		now = time.Now()
	}
}

// observe extends the service's hold when an answer tells the app to back
// off (holdStatus with a Retry-After).
func (t *retrier) observe(ctx context.Context, resp *http.Response) {
	if t.hold == nil || resp == nil || !holdStatus(resp.StatusCode) {
		return
	}
	now := time.Now()
	if ra, ok := ParseRetryAfter(resp.Header.Get("Retry-After"), now); ok && ra > 0 {
		t.hold.Extend(ctx, now.Add(ra))
	}
}

// attempt sends one try, bounded by Options.Timeout until its body is closed.
func (t *retrier) attempt(req *http.Request, n int) (*http.Response, error) {
	ctx, cancel := context.WithTimeout(context.WithValue(req.Context(), resendKey{}, n), t.opts.Timeout)
	r := req.Clone(ctx)
	if n > 0 && req.Body != nil && req.Body != http.NoBody {
		body, err := req.GetBody()
		if err != nil {
			cancel()
			return nil, err
		}
		r.Body = body
	}
	resp, err := t.next.RoundTrip(r)
	if err != nil {
		cancel()
		return nil, err
	}
	resp.Body = &cancelBody{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

// cancelBody releases the attempt's context when the caller is done reading.
type cancelBody struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b *cancelBody) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}

// closeBody closes the body of a request that is not sent, as a
// RoundTripper must.
func closeBody(req *http.Request) {
	if req.Body != nil {
		_ = req.Body.Close()
	}
}

func drain(body io.ReadCloser) {
	_, _ = io.Copy(io.Discard, io.LimitReader(body, 64<<10))
	_ = body.Close()
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
