// Package servicenow is a client of the ServiceNow Table API for what
// Escalator reads and writes on an instance: records of any table (List,
// Pages, Get, Create, Patch, with queries built by Query), incidents and
// their work notes, the roles of a user (UserRoles) and journal entries
// (JournalEntry). Values are the strings the instance sends.
//
// Every call goes through the outbound HTTP policy; errors are wrapped
// *outbound.StatusError values (classified transient or permanent) or
// ErrNotFound.
package servicenow

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/escalator/escalator/internal/outbound"
)

// maxAnswer bounds the answers read; a page of incidents is far smaller.
const maxAnswer = 16 << 20

// ErrNotFound is returned (wrapped) when the instance answers 404 for a
// record: it does not exist or an ACL hides it. It is permanent.
var ErrNotFound = errors.New("servicenow: record not found")

// TokenSource supplies OAuth access tokens (internal/token implements it).
type TokenSource interface {
	AccessToken(ctx context.Context) (string, error)
}

// Config configures New.
type Config struct {
	// BaseURL is the instance, e.g. https://contoso.service-now.com.
	BaseURL string
	// Tokens authenticates with OAuth bearer tokens; when nil, Username and
	// Password are sent with basic authentication.
	Tokens             TokenSource
	Username, Password string
	// IntegrationUser is the user_name Escalator's requests act as on the
	// instance (ESCALATOR_SERVICENOW_INTEGRATION_USER): only work notes it
	// wrote count as Escalator's (see HasWorkNote). Default: Username with
	// basic authentication; with OAuth, asked of the instance on first use
	// (see IntegrationUser).
	IntegrationUser string
	// HTTPClient defaults to outbound.NewClient(outbound.Options{Name: "servicenow"}).
	HTTPClient *http.Client
}

// Client calls the Table API of one instance.
type Client struct {
	base     *url.URL
	user     string
	password string
	// table sends with a bearer token, or with basic authentication when
	// there is no token source; a 404 matches ErrNotFound.
	table outbound.Caller
	// self is the integration user, once known.
	self integrationUser
}

// New validates cfg and returns a Client.
func New(cfg Config) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(cfg.BaseURL, "/"))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("servicenow: base URL %q must be an absolute http(s) URL such as https://contoso.service-now.com", cfg.BaseURL)
	}
	if cfg.Tokens == nil && (cfg.Username == "" || cfg.Password == "") {
		return nil, errors.New("servicenow: set a token source (OAuth) or a username and password")
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = outbound.NewClient(outbound.Options{Name: "servicenow"})
	}
	table := outbound.Caller{Client: hc, Tokens: cfg.Tokens, Peer: "servicenow", MaxBody: maxAnswer, NotFound: ErrNotFound}
	c := &Client{base: u, user: cfg.Username, password: cfg.Password, table: table}
	switch {
	case cfg.IntegrationUser != "":
		c.self.name = cfg.IntegrationUser
	case cfg.Tokens == nil:
		c.self.name = cfg.Username
	}
	return c, nil
}

// GetIncident reads the incident sysID.
func (c *Client) GetIncident(ctx context.Context, sysID string) (Incident, error) {
	r, err := c.one(ctx, http.MethodGet, "get incident "+sysID, c.tableURL("incident", sysID, nil), nil, false)
	if err != nil {
		return Incident{}, err
	}
	return incidentFrom(r), nil
}

// PatchIncident sets fields on the incident sysID and returns it as
// updated; it is retried unless it writes a journal field (see Patch).
func (c *Client) PatchIncident(ctx context.Context, sysID string, fields map[string]string) (Incident, error) {
	r, err := c.Patch(ctx, "incident", sysID, fields)
	if err != nil {
		return Incident{}, err
	}
	return incidentFrom(r), nil
}

// CreateIncident inserts an incident. It is not retried by the HTTP policy:
// callers make it unique (FindIncidents on a correlation id) before.
func (c *Client) CreateIncident(ctx context.Context, fields map[string]string) (Incident, error) {
	r, err := c.Create(ctx, "incident", fields)
	if err != nil {
		return Incident{}, err
	}
	return incidentFrom(r), nil
}

// FindIncidents returns every incident matching the encoded query (e.g.
// "correlation_id=MS-123^active=true"), reading page after page.
func (c *Client) FindIncidents(ctx context.Context, query string) ([]Incident, error) {
	recs, err := c.List(ctx, "incident", ListOptions{Query: RawQuery(query)})
	if err != nil {
		return nil, fmt.Errorf("find incidents %q: %w", query, err)
	}
	out := make([]Incident, 0, len(recs))
	for _, r := range recs {
		out = append(out, incidentFrom(r))
	}
	return out, nil
}

// query lists one page of table; a 404 (what version 1 of the API answers
// for no match) is an empty list.
func (c *Client) query(ctx context.Context, table string, q url.Values) ([]Record, error) {
	page, err := c.listPage(ctx, table, q)
	return page.Records, err
}

// tableURL builds /api/now/table/{table}[/{sysID}] with sysparm_exclude_reference_link.
func (c *Client) tableURL(table, sysID string, q url.Values) string {
	u := *c.base
	u.Path = c.base.Path + "/api/now/table/" + url.PathEscape(table)
	u.RawPath = c.base.EscapedPath() + "/api/now/table/" + url.PathEscape(table)
	if sysID != "" {
		u.Path += "/" + sysID
		u.RawPath += "/" + url.PathEscape(sysID)
	}
	if q == nil {
		q = url.Values{}
	}
	q.Set("sysparm_exclude_reference_link", "true")
	u.RawQuery = q.Encode()
	return u.String()
}

// do sends one request and returns its 2xx answer, the body read whole
// (and bounded).
func (c *Client) do(ctx context.Context, method, target string, body map[string]string, idempotent bool) (outbound.Answer, error) {
	var payload any // a nil map would be sent as "null"
	if body != nil {
		payload = body
	}
	req, err := outbound.NewJSONRequest(ctx, method, target, payload)
	if err != nil {
		return outbound.Answer{}, err
	}
	if idempotent {
		req = outbound.Idempotent(req)
	}
	if c.table.Tokens == nil {
		req.SetBasicAuth(c.user, c.password)
	}
	return c.table.Send(req)
}
