package doctor

import (
	"bytes"
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

// Table reads one record of a table through the ServiceNow Table API, and
// writes one back. The servicenow client reads every page of a query;
// doctor needs one row (sysparm_limit=1), whatever the size of the table.
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

// maxTableAnswer bounds the answer: one row of a few fields.
const maxTableAnswer = 1 << 20

// First returns the first incident matching the encoded query, with the
// given fields, and whether there was one. Errors are *outbound.StatusError
// answers (classified by status) or transport failures.
func (t *Table) First(ctx context.Context, query string, fields []string) (map[string]string, bool, error) {
	return t.FirstOf(ctx, "incident", query, fields)
}

// FirstOf is First on any table. A read ACL that hides every row answers
// no row, not an error: the caller says what that means.
func (t *Table) FirstOf(ctx context.Context, table, query string, fields []string) (map[string]string, bool, error) {
	q := url.Values{
		"sysparm_query":                  {query},
		"sysparm_limit":                  {"1"},
		"sysparm_fields":                 {strings.Join(fields, ",")},
		"sysparm_exclude_reference_link": {"true"},
	}
	u := strings.TrimRight(t.InstanceURL, "/") + "/api/now/table/" + url.PathEscape(table) + "?" + q.Encode()
	body, err := t.send(ctx, http.MethodGet, u, nil)
	if err != nil {
		var se *outbound.StatusError
		if errors.As(err, &se) && se.StatusCode == http.StatusNotFound && se.Message != "" {
			// Table API v1 answers a query without match with 404
			// "No Record found"; a wrong URL has no ServiceNow body.
			return nil, false, nil
		}
		return nil, false, fmt.Errorf("read %s: %w", table, err)
	}
	var env struct {
		Result []map[string]any `json:"result"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, false, fmt.Errorf("read %s: decode answer: %w", table, err)
	}
	if len(env.Result) == 0 {
		return nil, false, nil
	}
	return flatten(env.Result[0]), true, nil
}

// Patch sets fields of the record sysID of table.
func (t *Table) Patch(ctx context.Context, table, sysID string, fields map[string]string) error {
	b, err := json.Marshal(fields)
	if err != nil {
		return fmt.Errorf("write %s: %w", table, err)
	}
	u := strings.TrimRight(t.InstanceURL, "/") + "/api/now/table/" + url.PathEscape(table) + "/" + url.PathEscape(sysID) +
		"?sysparm_exclude_reference_link=true&sysparm_fields=sys_id"
	if _, err := t.send(ctx, http.MethodPatch, u, b); err != nil {
		return fmt.Errorf("write %s %s: %w", table, sysID, err)
	}
	return nil
}

// send sends one request and returns the bounded body of a 2xx answer.
func (t *Table) send(ctx context.Context, method, target string, body []byte) ([]byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if t.Tokens != nil {
		tok, err := t.Tokens.AccessToken(ctx)
		if err != nil {
			return nil, fmt.Errorf("servicenow token: %w", err)
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
		return nil, err
	}
	if err := outbound.CheckResponse(resp); err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return io.ReadAll(io.LimitReader(resp.Body, maxTableAnswer))
}

func flatten(rec map[string]any) map[string]string {
	row := make(map[string]string, len(rec))
	for k, v := range rec {
		switch v := v.(type) {
		case string:
			row[k] = v
		case nil:
			row[k] = ""
		default:
			row[k] = fmt.Sprint(v)
		}
	}
	return row
}
