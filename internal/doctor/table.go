package doctor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/escalator/escalator/internal/outbound"
)

// TokenSource supplies OAuth bearer tokens; *token.Source implements it.
type TokenSource interface {
	AccessToken(ctx context.Context) (string, error)
}

// Table reads one incident through the ServiceNow Table API. The
// servicenow client reads every page of a query; doctor needs one row
// (sysparm_limit=1), whatever the size of the incident table.
type Table struct {
	// InstanceURL is e.g. https://contoso.service-now.com.
	InstanceURL string
	// Tokens authenticates with OAuth; nil sends User and Password with
	// basic authentication.
	Tokens         TokenSource
	User, Password string
	// HTTPClient sends the request; it should apply the outbound policy.
	HTTPClient *http.Client
}

// maxTableAnswer bounds the answer: one row of three fields.
const maxTableAnswer = 1 << 20

// First returns the first incident matching the encoded query, with the
// given fields, and whether there was one. Errors are *outbound.StatusError
// answers (classified by status) or transport failures.
func (t *Table) First(ctx context.Context, query string, fields []string) (map[string]string, bool, error) {
	q := url.Values{
		"sysparm_query":                  {query},
		"sysparm_limit":                  {"1"},
		"sysparm_fields":                 {strings.Join(fields, ",")},
		"sysparm_exclude_reference_link": {"true"},
	}
	u := strings.TrimRight(t.InstanceURL, "/") + "/api/now/table/incident?" + q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, false, fmt.Errorf("read incidents: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	if t.Tokens != nil {
		tok, err := t.Tokens.AccessToken(ctx)
		if err != nil {
			return nil, false, fmt.Errorf("servicenow token: %w", err)
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	} else {
		req.SetBasicAuth(t.User, t.Password)
	}
	hc := t.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, false, fmt.Errorf("read incidents: %w", err)
	}
	if err := outbound.CheckResponse(resp); err != nil {
		var se *outbound.StatusError
		if errors.As(err, &se) && se.StatusCode == http.StatusNotFound && se.Message != "" {
			// Table API v1 answers a query without match with 404
			// "No Record found"; a wrong URL has no ServiceNow body.
			return nil, false, nil
		}
		return nil, false, fmt.Errorf("read incidents: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxTableAnswer))
	if err != nil {
		return nil, false, fmt.Errorf("read incidents: %w", err)
	}
	var env struct {
		Result []map[string]any `json:"result"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, false, fmt.Errorf("read incidents: decode answer: %w", err)
	}
	if len(env.Result) == 0 {
		return nil, false, nil
	}
	row := make(map[string]string, len(env.Result[0]))
	for k, v := range env.Result[0] {
		switch v := v.(type) {
		case string:
			row[k] = v
		case nil:
			row[k] = ""
		default:
			row[k] = fmt.Sprint(v)
		}
	}
	return row, true, nil
}
