// Package graph is the transport Escalator's Microsoft Graph clients share:
// the Graph root and its validation, the authenticated GET through
// outbound.Caller, and the paging that follows @odata.nextLink. What the
// callers ask of Graph stays with them (health's service health,
// escalation's directory); what every Graph call must do is here once.
//
// A nextLink is followed only on the Graph origin (outbound.SameOrigin):
// the bearer token is never sent to a host an answer names.
package graph

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

// DefaultURL is Microsoft Graph's root.
const DefaultURL = "https://graph.microsoft.com"

// defaultMaxPages bounds the pages one listing follows, so that a
// misbehaving nextLink cannot loop forever.
const defaultMaxPages = 100

// Limiter is waited on before every request (health's request budget).
type Limiter interface {
	Wait(ctx context.Context) error
}

// Config configures New.
type Config struct {
	// URL is the Graph root. Default DefaultURL.
	URL string
	// Tokens supplies the Graph access tokens; required.
	Tokens outbound.TokenSource
	// HTTPClient sends the requests; it is expected to apply the outbound
	// policy. Default outbound.NewClient(outbound.Options{Name: "graph"}).
	HTTPClient *http.Client
	// MaxBody bounds one answer. Default outbound.Caller's (4 MiB).
	MaxBody int64
	// MaxPages bounds the pages Pages follows. Default 100.
	MaxPages int
	// NotFound, when set, is joined to the error of a 404 (errors.Is).
	NotFound error
	// Limiter, when set, is waited on before every request.
	Limiter Limiter
}

// Client sends GETs to Graph. It is safe for concurrent use.
type Client struct {
	root     *url.URL
	api      outbound.Caller
	maxPages int
	limiter  Limiter
}

// New validates cfg and returns a Client.
func New(cfg Config) (*Client, error) {
	if cfg.Tokens == nil {
		return nil, errors.New("no token source for Microsoft Graph")
	}
	raw := cfg.URL
	if raw == "" {
		raw = DefaultURL
	}
	root, err := url.Parse(strings.TrimRight(raw, "/"))
	if err != nil || (root.Scheme != "https" && root.Scheme != "http") || root.Host == "" {
		return nil, fmt.Errorf("graph URL %q must be an absolute http(s) URL such as %s", cfg.URL, DefaultURL)
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = outbound.NewClient(outbound.Options{Name: "graph"})
	}
	if cfg.MaxPages <= 0 {
		cfg.MaxPages = defaultMaxPages
	}
	return &Client{root: root, maxPages: cfg.MaxPages, limiter: cfg.Limiter, api: outbound.Caller{
		Client: cfg.HTTPClient, Tokens: cfg.Tokens, Peer: "graph", MaxBody: cfg.MaxBody, NotFound: cfg.NotFound,
	}}, nil
}

// Root is the Graph root without a trailing slash, e.g.
// "https://graph.microsoft.com".
func (c *Client) Root() string { return c.root.String() }

// Endpoint joins path segments, each escaped, and the query q to the root.
func (c *Client) Endpoint(segments []string, q url.Values) string {
	u := *c.root
	var path, raw strings.Builder
	path.WriteString(c.root.Path)
	raw.WriteString(c.root.EscapedPath())
	for _, s := range segments {
		path.WriteString("/" + s)
		raw.WriteString("/" + url.PathEscape(s))
	}
	u.Path, u.RawPath = path.String(), raw.String()
	u.RawQuery = q.Encode()
	return u.String()
}

// Get sends one GET, after the limiter allows it, and returns the body of
// a 2xx answer. Other answers are *outbound.StatusError, classified (a 404
// joined with Config.NotFound).
func (c *Client) Get(ctx context.Context, target string) ([]byte, error) {
	if c.limiter != nil {
		if err := c.limiter.Wait(ctx); err != nil {
			return nil, err
		}
	}
	req, err := outbound.NewJSONRequest(ctx, http.MethodGet, target, nil)
	if err != nil {
		return nil, err
	}
	ans, err := c.api.Send(req)
	return ans.Body, err
}

// Pages GETs first and every page its nextLink names, handing each body to
// page, which returns the page's @odata.nextLink ("" on the last page). A
// link off the Graph origin is refused before anything is sent to it; more
// than MaxPages pages is a permanent error.
func (c *Client) Pages(ctx context.Context, first string, page func(body []byte) (next string, err error)) error {
	next := first
	for n := 0; next != ""; n++ {
		if n == c.maxPages {
			return fault.Permanentf("more than %d pages", c.maxPages)
		}
		u, err := url.Parse(next)
		if err != nil {
			return fault.AsPermanent(fmt.Errorf("page %d: bad nextLink: %w", n+1, err))
		}
		if !outbound.SameOrigin(c.root, u) {
			return fault.Permanentf("page %d: nextLink leaves %s for %s", n+1, c.root.Host, u.Host)
		}
		b, err := c.Get(ctx, next)
		if err != nil {
			return fmt.Errorf("page %d: %w", n+1, err)
		}
		if next, err = page(b); err != nil {
			return fmt.Errorf("page %d: %w", n+1, err)
		}
	}
	return nil
}
