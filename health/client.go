package health

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/escalator/escalator/internal/fault"
	"github.com/escalator/escalator/internal/graph"
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
	graph *graph.Client
}

const (
	announcements = "/v1.0/admin/serviceAnnouncement"
	maxBody       = 16 << 20 // a page of 1000 issues with posts stays far below
	maxPages      = 500
)

// NewClient validates cfg and returns a Client.
func NewClient(cfg ClientConfig) (*Client, error) {
	if cfg.Tokens == nil {
		return nil, errors.New("health client: no token source")
	}
	if cfg.Limiter == nil {
		l, err := NewLimiter(LimiterConfig{})
		if err != nil {
			return nil, err
		}
		cfg.Limiter = l
	}
	g, err := graph.New(graph.Config{URL: cfg.GraphURL, Tokens: cfg.Tokens, HTTPClient: cfg.HTTPClient,
		MaxBody: maxBody, MaxPages: maxPages, Limiter: cfg.Limiter})
	if err != nil {
		return nil, fmt.Errorf("health client: %w", err)
	}
	return &Client{graph: g}, nil
}

// HealthOverviews lists the health of every service the tenant subscribes to.
func (c *Client) HealthOverviews(ctx context.Context) ([]Overview, error) {
	var all []Overview
	err := c.graph.Pages(ctx, c.graph.Root()+announcements+"/healthOverviews", func(b []byte) (string, error) {
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
	u := c.graph.Root() + announcements + "/issues"
	if filter != "" {
		u += "?$filter=" + strings.ReplaceAll(url.QueryEscape(filter), "+", "%20")
	}
	var all []Issue
	err := c.graph.Pages(ctx, u, func(b []byte) (string, error) {
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
	b, err := c.graph.Get(ctx, c.graph.Root()+announcements+"/issues/"+url.PathEscape(id))
	if err != nil {
		return Issue{}, fmt.Errorf("get service health issue %s: %w", id, err)
	}
	is, err := decodeIssue(b)
	if err != nil {
		return Issue{}, fmt.Errorf("get service health issue %s: %w", id, err)
	}
	return is, nil
}
