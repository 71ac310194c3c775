package health

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/escalator/escalator/internal/fault"
	"github.com/escalator/escalator/internal/outbound"
)

// TokenSource gives the bearer token for Graph (ServiceHealth.Read.All).
type TokenSource interface {
	AccessToken(ctx context.Context) (string, error)
}

// ClientConfig configures NewClient.
type ClientConfig struct {
	// GraphURL is the Graph root. Default https://graph.microsoft.com.
	GraphURL string
	// Tokens is required.
	Tokens TokenSource
	// HTTPClient sends the requests; it is expected to apply the outbound
	// policy (retries, Retry-After, spans). Default
	// outbound.NewClient(outbound.Options{Name: "graph"}).
	HTTPClient *http.Client
	// Limiter is waited on before every request. Default NewLimiter at
	// Graph's limits (240/min, 800/h), per process. Several processes of
	// one app share Graph's budget: give them a ratelimit.Shared of
	// GraphBudgets on one Redis.
	Limiter RequestLimiter
}

// Client reads service health from Graph. It is safe for concurrent use.
type Client struct {
	base    *url.URL
	graph   outbound.Caller
	limiter RequestLimiter
}

const (
	defaultGraphURL = "https://graph.microsoft.com"
	announcements   = "/v1.0/admin/serviceAnnouncement"
	maxBody         = 16 << 20 // a page of 1000 issues with posts stays far below
	maxPages        = 500
)

// NewClient validates cfg and returns a Client.
func NewClient(cfg ClientConfig) (*Client, error) {
	if cfg.Tokens == nil {
		return nil, errors.New("health client: no token source")
	}
	if cfg.GraphURL == "" {
		cfg.GraphURL = defaultGraphURL
	}
	base, err := url.Parse(strings.TrimRight(cfg.GraphURL, "/"))
	if err != nil || (base.Scheme != "https" && base.Scheme != "http") || base.Host == "" {
		return nil, fmt.Errorf("health client: graph URL %q must be an absolute http(s) URL", cfg.GraphURL)
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = outbound.NewClient(outbound.Options{Name: "graph"})
	}
	if cfg.Limiter == nil {
		l, err := NewLimiter(LimiterConfig{})
		if err != nil {
			return nil, err
		}
		cfg.Limiter = l
	}
	graph := outbound.Caller{Client: cfg.HTTPClient, Tokens: cfg.Tokens, Peer: "graph", MaxBody: maxBody}
	return &Client{base: base, graph: graph, limiter: cfg.Limiter}, nil
}

// HealthOverviews lists the health of every service the tenant subscribes to.
func (c *Client) HealthOverviews(ctx context.Context) ([]Overview, error) {
	var all []Overview
	err := c.pages(ctx, c.base.String()+announcements+"/healthOverviews", func(b []byte) (string, error) {
		v, next, err := decodeOverviewPage(b)
		all = append(all, v...)
		return next, err
	})
	if err != nil {
		return nil, fmt.Errorf("list health overviews: %w", err)
	}
	return all, nil
}

// Issues lists service health issues matching the OData filter (empty: all),
// following @odata.nextLink across pages. Example filter:
// "isResolved eq false".
func (c *Client) Issues(ctx context.Context, filter string) ([]Issue, error) {
	u := c.base.String() + announcements + "/issues"
	if filter != "" {
		u += "?$filter=" + strings.ReplaceAll(url.QueryEscape(filter), "+", "%20")
	}
	var all []Issue
	err := c.pages(ctx, u, func(b []byte) (string, error) {
		v, next, err := decodeIssuePage(b)
		all = append(all, v...)
		return next, err
	})
	if err != nil {
		return nil, fmt.Errorf("list service health issues (filter %q): %w", filter, err)
	}
	return all, nil
}

// Issue reads one service health issue by id (e.g. "EX226792").
func (c *Client) Issue(ctx context.Context, id string) (Issue, error) {
	if id == "" {
		return Issue{}, fault.Permanentf("get service health issue: empty id")
	}
	b, err := c.get(ctx, c.base.String()+announcements+"/issues/"+url.PathEscape(id))
	if err != nil {
		return Issue{}, fmt.Errorf("get service health issue %s: %w", id, err)
	}
	is, err := decodeIssue(b)
	if err != nil {
		return Issue{}, fmt.Errorf("get service health issue %s: %w", id, err)
	}
	return is, nil
}

// pages GETs first and every page its nextLink points to. A nextLink must
// stay on the Graph host: the bearer token is never sent anywhere else.
func (c *Client) pages(ctx context.Context, first string, decode func([]byte) (string, error)) error {
	next := first
	for n := 0; next != ""; n++ {
		if n == maxPages {
			return fault.Permanentf("more than %d pages", maxPages)
		}
		u, err := url.Parse(next)
		if err != nil {
			return fault.AsPermanent(fmt.Errorf("page %d: bad nextLink: %w", n+1, err))
		}
		if !outbound.SameOrigin(c.base, u) {
			return fault.Permanentf("page %d: nextLink leaves %s for %s", n+1, c.base.Host, u.Host)
		}
		b, err := c.get(ctx, next)
		if err != nil {
			return fmt.Errorf("page %d: %w", n+1, err)
		}
		if next, err = decode(b); err != nil {
			return fmt.Errorf("page %d: %w", n+1, err)
		}
	}
	return nil
}

// get sends one GET, after the limiter allows it, and returns the body of a
// 2xx answer. Other answers come back as *outbound.StatusError, classified.
func (c *Client) get(ctx context.Context, u string) ([]byte, error) {
	if err := c.limiter.Wait(ctx); err != nil {
		return nil, err
	}
	req, err := outbound.NewJSONRequest(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	ans, err := c.graph.Send(req)
	return ans.Body, err
}
