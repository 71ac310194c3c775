package servicenow

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/escalator/escalator/internal/fault"
)

// Records of any table: /api/now/table/{table}[/{sys_id}].

const (
	// DefaultPageSize is the sysparm_limit of a list page when
	// ListOptions.Limit is zero.
	DefaultPageSize = 200
	// MaxPageSize is the largest sysparm_limit an instance answers in full.
	MaxPageSize = 10000
	// maxPages bounds a listing: an instance that keeps answering full
	// pages (or a Link that never ends) cannot loop a caller forever.
	maxPages = 1000
)

var tableExpr = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// ListOptions selects the records of a list.
type ListOptions struct {
	// Query filters and orders (sysparm_query); the zero Query matches
	// every record.
	Query Query
	// Fields are the fields to answer (sysparm_fields), dot-walked ones
	// ("role.name") included; empty: every field.
	Fields []string
	// Limit is the number of records per page (sysparm_limit), 1..10000;
	// zero means DefaultPageSize.
	Limit int
	// Offset is the index of the first record (sysparm_offset).
	Offset int
}

func (o ListOptions) params() (url.Values, error) {
	if err := o.Query.Err(); err != nil {
		return nil, err
	}
	if err := checkFields(o.Fields); err != nil {
		return nil, err
	}
	if o.Limit < 0 || o.Limit > MaxPageSize {
		return nil, fmt.Errorf("limit %d: want 0 (%d) to %d", o.Limit, DefaultPageSize, MaxPageSize)
	}
	if o.Offset < 0 {
		return nil, fmt.Errorf("offset %d: want 0 or more", o.Offset)
	}
	limit := o.Limit
	if limit == 0 {
		limit = DefaultPageSize
	}
	q := url.Values{"sysparm_limit": {strconv.Itoa(limit)}, "sysparm_offset": {strconv.Itoa(o.Offset)}}
	if s := o.Query.String(); s != "" {
		q.Set("sysparm_query", s)
	}
	if len(o.Fields) > 0 {
		q.Set("sysparm_fields", strings.Join(o.Fields, ","))
	}
	return q, nil
}

func checkFields(fields []string) error {
	for _, f := range fields {
		if !fieldExpr.MatchString(f) {
			return fmt.Errorf("field %q: want lowercase letters, digits and _, dot-walked with '.'", f)
		}
	}
	return nil
}

func checkTable(table string) error {
	if !tableExpr.MatchString(table) {
		return fault.Permanentf("table %q: want a table name such as incident or u_escalator_outbox", table)
	}
	return nil
}

// Page is one page of a list.
type Page struct {
	Records []Record
	// Total is the number of matching records (X-Total-Count), -1 when the
	// instance did not say.
	Total int
	// NextOffset is the sysparm_offset of the next page, -1 when this page
	// is the last: the Link header's rel="next" when the instance sent a
	// Link, else the end of this page when it was full.
	NextOffset int
}

// ListPage reads one page of table.
func (c *Client) ListPage(ctx context.Context, table string, opts ListOptions) (Page, error) {
	if err := checkTable(table); err != nil {
		return Page{}, fmt.Errorf("list %s: %w", table, err)
	}
	q, err := opts.params()
	if err != nil {
		return Page{}, fmt.Errorf("list %s: %w", table, fault.AsPermanent(err))
	}
	page, err := c.listPage(ctx, table, q)
	if err != nil {
		return Page{}, fmt.Errorf("list %s (query %q, offset %d): %w", table, opts.Query.String(), opts.Offset, err)
	}
	return page, nil
}

func (c *Client) listPage(ctx context.Context, table string, q url.Values) (Page, error) {
	ans, err := c.do(ctx, http.MethodGet, c.tableURL(table, "", q), nil, false)
	if errors.Is(err, ErrNotFound) { // version 1 of the API answers 404 for no match
		return Page{Total: 0, NextOffset: -1}, nil
	}
	if err != nil {
		return Page{}, err
	}
	recs, err := decodeMany(ans.Body)
	if err != nil {
		return Page{}, fault.AsPermanent(err)
	}
	page := Page{Records: recs, Total: -1, NextOffset: -1}
	if n, err := strconv.Atoi(ans.Header.Get("X-Total-Count")); err == nil && n >= 0 {
		page.Total = n
	}
	offset, _ := strconv.Atoi(q.Get("sysparm_offset"))
	limit, _ := strconv.Atoi(q.Get("sysparm_limit"))
	if links := ans.Header.Values("Link"); len(links) > 0 {
		next, ok, err := nextOffset(links)
		switch {
		case err != nil:
			return Page{}, fault.AsPermanent(err)
		case ok && next <= offset:
			return Page{}, fault.Permanentf("Link rel=next offset %d does not move past %d", next, offset)
		case ok:
			page.NextOffset = next
		}
	} else if len(recs) > 0 && len(recs) >= limit {
		page.NextOffset = offset + len(recs)
	}
	return page, nil
}

// Pager reads a list page by page:
//
//	p := c.Pages("u_escalator_outbox", opts)
//	for p.Next(ctx) {
//		for _, r := range p.Page().Records { … }
//	}
//	if err := p.Err(); err != nil { … }
type Pager struct {
	c     *Client
	table string
	opts  ListOptions
	page  Page
	pages int
	done  bool
	err   error
}

// Pages returns a Pager over the records of table that opts selects.
func (c *Client) Pages(table string, opts ListOptions) *Pager {
	return &Pager{c: c, table: table, opts: opts}
}

// Next reads the next page; it reports false at the end (no further page,
// or an empty one) and on an error, which Err then returns.
func (p *Pager) Next(ctx context.Context) bool {
	if p.done || p.err != nil {
		return false
	}
	if p.pages == maxPages {
		p.err = fmt.Errorf("list %s: %w", p.table, fault.Permanentf("more than %d pages", maxPages))
		return false
	}
	page, err := p.c.ListPage(ctx, p.table, p.opts)
	if err != nil {
		p.err = err
		return false
	}
	p.pages++
	p.page = page
	if page.NextOffset < 0 || len(page.Records) == 0 {
		p.done = true
	} else {
		p.opts.Offset = page.NextOffset
	}
	return len(page.Records) > 0
}

// Page is the page the last Next read.
func (p *Pager) Page() Page { return p.page }

// Err is the error that ended the listing, nil at its end.
func (p *Pager) Err() error { return p.err }

// List reads every record of table that opts selects, page after page.
func (c *Client) List(ctx context.Context, table string, opts ListOptions) ([]Record, error) {
	var out []Record
	p := c.Pages(table, opts)
	for p.Next(ctx) {
		out = append(out, p.Page().Records...)
	}
	return out, p.Err()
}

// Get reads the record sysID of table, with only fields when some are
// given. A missing record (or one an ACL hides) is ErrNotFound.
func (c *Client) Get(ctx context.Context, table, sysID string, fields ...string) (Record, error) {
	if err := checkTable(table); err != nil {
		return nil, fmt.Errorf("get %s %s: %w", table, sysID, err)
	}
	if err := checkFields(fields); err != nil {
		return nil, fmt.Errorf("get %s %s: %w", table, sysID, fault.AsPermanent(err))
	}
	if sysID == "" {
		return nil, fault.Permanentf("get %s: empty sys_id", table)
	}
	var q url.Values
	if len(fields) > 0 {
		q = url.Values{"sysparm_fields": {strings.Join(fields, ",")}}
	}
	return c.one(ctx, http.MethodGet, "get "+table+" "+sysID, c.tableURL(table, sysID, q), nil, false)
}

// Create inserts a record into table and returns it as the instance
// stored it (sys_id, sys_created_on, defaults). It is not retried by the
// HTTP policy: a lost answer could otherwise insert it twice.
func (c *Client) Create(ctx context.Context, table string, fields map[string]string) (Record, error) {
	if err := checkTable(table); err != nil {
		return nil, fmt.Errorf("create %s: %w", table, err)
	}
	return c.one(ctx, http.MethodPost, "create "+table, c.tableURL(table, "", nil), fields, false)
}

// Patch sets fields on the record sysID of table and returns it as
// updated. Setting fields is repeatable, so the call is retried; a patch
// that writes a journal field (work_notes, comments) appends to it and is
// not.
func (c *Client) Patch(ctx context.Context, table, sysID string, fields map[string]string) (Record, error) {
	if err := checkTable(table); err != nil {
		return nil, fmt.Errorf("patch %s %s: %w", table, sysID, err)
	}
	if sysID == "" {
		return nil, fault.Permanentf("patch %s: empty sys_id", table)
	}
	_, notes := fields["work_notes"]
	_, comments := fields["comments"]
	return c.one(ctx, http.MethodPatch, "patch "+table+" "+sysID, c.tableURL(table, sysID, nil), fields, !notes && !comments)
}

// one sends a request answered by one record.
func (c *Client) one(ctx context.Context, method, what, target string, body map[string]string, idempotent bool) (Record, error) {
	ans, err := c.do(ctx, method, target, body, idempotent)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	r, err := decodeRecord(ans.Body)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, fault.AsPermanent(err))
	}
	return r, nil
}

// nextOffset reads the sysparm_offset of the rel="next" link of Link
// header values (`<url>;rel="first",<url>;rel="next",…`); URLs may hold
// commas, so entries are cut at each "<".
func nextOffset(values []string) (offset int, ok bool, err error) {
	for _, v := range values {
		for _, entry := range strings.Split(v, "<")[1:] {
			target, params, found := strings.Cut(entry, ">")
			if !found {
				return 0, false, fmt.Errorf("Link %q: no closing '>'", v)
			}
			if !isNextRel(params) {
				continue
			}
			u, err := url.Parse(target)
			if err != nil {
				return 0, false, fmt.Errorf("Link rel=next: %w", err)
			}
			n, err := strconv.Atoi(u.Query().Get("sysparm_offset"))
			if err != nil || n < 0 {
				return 0, false, fmt.Errorf("Link rel=next %q: no sysparm_offset", target)
			}
			return n, true, nil
		}
	}
	return 0, false, nil
}

func isNextRel(params string) bool {
	for _, p := range strings.Split(params, ";") {
		name, val, _ := strings.Cut(strings.TrimSpace(strings.TrimRight(strings.TrimSpace(p), ",")), "=")
		if strings.EqualFold(strings.TrimSpace(name), "rel") {
			for _, rel := range strings.Fields(strings.Trim(strings.TrimSpace(val), `"`)) {
				if strings.EqualFold(rel, "next") {
					return true
				}
			}
		}
	}
	return false
}
