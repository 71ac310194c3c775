// Package servicenow is a client of the ServiceNow Table API for what
// Escalator reads and writes on an instance: incidents and their work notes.
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
	"strconv"
	"strings"

	"github.com/escalator/escalator/internal/fault"
	"github.com/escalator/escalator/internal/outbound"
)

// maxAnswer bounds the answers read; a page of incidents is far smaller.
const maxAnswer = 16 << 20

// pageSize is the number of records asked for per page of a query.
const pageSize = 200

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
	return &Client{base: u, user: cfg.Username, password: cfg.Password, table: table}, nil
}

// GetIncident reads the incident sysID.
func (c *Client) GetIncident(ctx context.Context, sysID string) (Incident, error) {
	data, err := c.do(ctx, http.MethodGet, c.tableURL("incident", sysID, nil), nil, false)
	if err != nil {
		return Incident{}, fmt.Errorf("get incident %s: %w", sysID, err)
	}
	inc, err := decodeOne(data)
	if err != nil {
		return Incident{}, fmt.Errorf("get incident %s: %w", sysID, fault.AsPermanent(err))
	}
	return inc, nil
}

// PatchIncident sets fields on the incident sysID and returns it as
// updated. Setting fields is repeatable, so the call is retried; a patch
// that writes a journal field (work_notes, comments) appends to it and is
// not.
func (c *Client) PatchIncident(ctx context.Context, sysID string, fields map[string]string) (Incident, error) {
	_, journal := fields["work_notes"]
	_, comments := fields["comments"]
	data, err := c.do(ctx, http.MethodPatch, c.tableURL("incident", sysID, nil), fields, !journal && !comments)
	if err != nil {
		return Incident{}, fmt.Errorf("patch incident %s: %w", sysID, err)
	}
	inc, err := decodeOne(data)
	if err != nil {
		return Incident{}, fmt.Errorf("patch incident %s: %w", sysID, fault.AsPermanent(err))
	}
	return inc, nil
}

// CreateIncident inserts an incident. It is not retried by the HTTP policy:
// callers make it unique (FindIncidents on a correlation id) before.
func (c *Client) CreateIncident(ctx context.Context, fields map[string]string) (Incident, error) {
	data, err := c.do(ctx, http.MethodPost, c.tableURL("incident", "", nil), fields, false)
	if err != nil {
		return Incident{}, fmt.Errorf("create incident: %w", err)
	}
	inc, err := decodeOne(data)
	if err != nil {
		return Incident{}, fmt.Errorf("create incident: %w", fault.AsPermanent(err))
	}
	return inc, nil
}

// FindIncidents returns every incident matching the encoded query (e.g.
// "correlation_id=MS-123^active=true"), reading page after page.
func (c *Client) FindIncidents(ctx context.Context, query string) ([]Incident, error) {
	var out []Incident
	for offset := 0; ; offset += pageSize {
		recs, err := c.query(ctx, "incident", url.Values{
			"sysparm_query":  {query},
			"sysparm_limit":  {strconv.Itoa(pageSize)},
			"sysparm_offset": {strconv.Itoa(offset)},
		})
		if err != nil {
			return nil, fmt.Errorf("find incidents %q: %w", query, err)
		}
		for _, r := range recs {
			out = append(out, incidentFrom(r))
		}
		if len(recs) < pageSize {
			return out, nil
		}
	}
}

// query lists records of table; a 404 (what version 1 of the API answers
// for no match) is an empty list.
func (c *Client) query(ctx context.Context, table string, q url.Values) ([]record, error) {
	data, err := c.do(ctx, http.MethodGet, c.tableURL(table, "", q), nil, false)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	recs, err := decodeMany(data)
	if err != nil {
		return nil, fault.AsPermanent(err)
	}
	return recs, nil
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

// do sends one request and returns the (bounded) body of a 2xx answer.
func (c *Client) do(ctx context.Context, method, target string, body map[string]string, idempotent bool) ([]byte, error) {
	var payload any // a nil map would be sent as "null"
	if body != nil {
		payload = body
	}
	req, err := outbound.NewJSONRequest(ctx, method, target, payload)
	if err != nil {
		return nil, err
	}
	if idempotent {
		req = outbound.Idempotent(req)
	}
	if c.table.Tokens == nil {
		req.SetBasicAuth(c.user, c.password)
	}
	ans, err := c.table.Send(req)
	return ans.Body, err
}
