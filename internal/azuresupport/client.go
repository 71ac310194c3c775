package azuresupport

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/escalator/escalator/internal/fault"
	"github.com/escalator/escalator/internal/outbound"
)

// APIVersion is the Azure Support API version spoken.
const APIVersion = "2024-04-01"

const (
	defaultARMURL      = "https://management.azure.com"
	supportMaxAnswer   = 4 << 20
	supportMaxPages    = 100
	ticketResourceType = "Microsoft.Support/supportTickets"
	// existingSlack: a ticket a create answers 200/201 with that was created
	// longer ago than this before the request was one that already existed.
	existingSlack = 5 * time.Minute
)

// Clock is the time source of the operation polling.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

type systemClock struct{}

func (systemClock) Now() time.Time                         { return time.Now() }
func (systemClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Config configures New.
type Config struct {
	// ARMURL is Azure Resource Manager's root. Default
	// https://management.azure.com.
	ARMURL string
	// SubscriptionID the tickets are filed under; required.
	SubscriptionID string
	// Tokens supplies ARM access tokens (internal/token implements it);
	// required.
	Tokens outbound.TokenSource
	// HTTPClient defaults to outbound.NewClient(outbound.Options{Name: "arm"}).
	HTTPClient *http.Client
	// PollFirst is the wait before the first poll of an asynchronous
	// operation whose answer has no Retry-After; each further wait doubles,
	// up to PollInterval. Default 250ms (at most PollInterval).
	PollFirst time.Duration
	// PollInterval is the longest wait between polls when the answer has no
	// Retry-After. Default 5s.
	PollInterval time.Duration
	// PollTimeout bounds the polling of one operation. Default 5m.
	PollTimeout time.Duration
	// Clock defaults to the system clock.
	Clock Clock
}

// Client files and follows Azure support tickets
// (Microsoft.Support, api-version 2024-04-01). It is safe for concurrent use.
type Client struct {
	arm    *url.URL
	sub    string
	armAPI outbound.Caller
	first  time.Duration
	poll   time.Duration
	limit  time.Duration
	clock  Clock
}

// New validates cfg and returns a Client.
func New(cfg Config) (*Client, error) {
	if cfg.Tokens == nil {
		return nil, errors.New("support client: no token source")
	}
	if !validResourceName(cfg.SubscriptionID) {
		return nil, fmt.Errorf("support client: subscription id %q is empty or malformed (ESCALATOR_AZURE_SUBSCRIPTION_ID)", cfg.SubscriptionID)
	}
	if cfg.ARMURL == "" {
		cfg.ARMURL = defaultARMURL
	}
	arm, err := url.Parse(strings.TrimRight(cfg.ARMURL, "/"))
	if err != nil || (arm.Scheme != "https" && arm.Scheme != "http") || arm.Host == "" {
		return nil, fmt.Errorf("support client: ARM URL %q must be an absolute http(s) URL (ESCALATOR_ARM_URL)", cfg.ARMURL)
	}
	if cfg.PollFirst < 0 || cfg.PollInterval < 0 || cfg.PollTimeout < 0 {
		return nil, fmt.Errorf("support client: negative first poll %s, poll interval %s or timeout %s", cfg.PollFirst, cfg.PollInterval, cfg.PollTimeout)
	}
	if cfg.PollInterval == 0 {
		cfg.PollInterval = 5 * time.Second
	}
	if cfg.PollFirst == 0 {
		cfg.PollFirst = 250 * time.Millisecond
	}
	cfg.PollFirst = min(cfg.PollFirst, cfg.PollInterval)
	if cfg.PollTimeout == 0 {
		cfg.PollTimeout = 5 * time.Minute
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = outbound.NewClient(outbound.Options{Name: "arm"})
	}
	if cfg.Clock == nil {
		cfg.Clock = systemClock{}
	}
	armAPI := outbound.Caller{Client: cfg.HTTPClient, Tokens: cfg.Tokens, Peer: "arm", MaxBody: supportMaxAnswer}
	return &Client{arm: arm, sub: cfg.SubscriptionID, armAPI: armAPI,
		first: cfg.PollFirst, poll: cfg.PollInterval, limit: cfg.PollTimeout, clock: cfg.Clock}, nil
}

// CreateTicket files ticket name with p, waiting for the asynchronous
// operation to finish, and returns the ticket as Azure then has it. If a
// ticket of that name already exists (409 Conflict, or a 200/201 with a
// ticket created well before this request) it is read back and returned with
// Existing set: with deterministic names (TicketName) a repeated create
// never files a second ticket.
func (c *Client) CreateTicket(ctx context.Context, name string, p TicketProperties) (Ticket, error) {
	if err := checkName("ticket", name); err != nil {
		return Ticket{}, fmt.Errorf("create support ticket: %w", err)
	}
	if err := p.Validate(); err != nil {
		return Ticket{}, fmt.Errorf("create support ticket %s: %w", name, err)
	}
	start := c.clock.Now()
	body := map[string]any{"properties": p.writable()}
	ans, err := c.send(ctx, http.MethodPut, c.ticketURL(name, ""), body)
	switch {
	case armStatus(err) == http.StatusConflict:
		return c.readBack(ctx, name, true)
	case err != nil:
		return Ticket{}, fmt.Errorf("create support ticket %s: %w", name, err)
	case ans.StatusCode == http.StatusAccepted:
		if err := c.await(ctx, ans.Header); err != nil {
			return Ticket{}, fmt.Errorf("create support ticket %s: %w", name, err)
		}
		return c.readBack(ctx, name, false)
	}
	// 200 or 201: the answer is the ticket, when it decodes as one.
	var t Ticket
	if decodeAnswer(ans, &t) != nil || t.Name == "" {
		return c.readBack(ctx, name, false)
	}
	if created := t.Properties.CreatedDate; !created.IsZero() && created.Before(start.Add(-existingSlack)) {
		return c.readBack(ctx, name, true)
	}
	return t, nil
}

// readBack GETs the ticket a create made or found.
func (c *Client) readBack(ctx context.Context, name string, existing bool) (Ticket, error) {
	t, err := c.GetTicket(ctx, name)
	if errors.Is(err, ErrTicketNotFound) && existing {
		// The conflict was about something else (an operation still
		// running?): worth another try, never a second ticket.
		return Ticket{}, fault.AsTransient(fmt.Errorf("create support ticket %s: conflict, but the ticket cannot be read yet: %w", name, err), 0)
	}
	if err != nil {
		return Ticket{}, err
	}
	t.Existing = existing
	return t, nil
}

// GetTicket reads ticket name. A missing ticket matches ErrTicketNotFound.
func (c *Client) GetTicket(ctx context.Context, name string) (Ticket, error) {
	if err := checkName("ticket", name); err != nil {
		return Ticket{}, fmt.Errorf("get support ticket: %w", err)
	}
	var t Ticket
	if err := c.getJSON(ctx, c.ticketURL(name, ""), &t); err != nil {
		return Ticket{}, fmt.Errorf("get support ticket %s: %w", name, err)
	}
	return t, nil
}

// CloseTicket sets ticket name's status to closed. Closing a closed ticket
// succeeds.
func (c *Client) CloseTicket(ctx context.Context, name string) (Ticket, error) {
	if err := checkName("ticket", name); err != nil {
		return Ticket{}, fmt.Errorf("close support ticket: %w", err)
	}
	// The documented UpdateSupportTicket body has status at the top level.
	ans, err := c.send(ctx, http.MethodPatch, c.ticketURL(name, ""), map[string]string{"status": "closed"})
	if err == nil {
		var t Ticket
		if decodeAnswer(ans, &t) != nil || t.Name == "" {
			return c.GetTicket(ctx, name)
		}
		return t, nil
	}
	if armStatus(err) != 0 && fault.Classify(err) == fault.Permanent && !errors.Is(err, ErrTicketNotFound) {
		// Azure may refuse to close what is already closed.
		if t, err := c.GetTicket(ctx, name); err == nil && t.Closed() {
			return t, nil
		}
	}
	return Ticket{}, fmt.Errorf("close support ticket %s: %w", name, err)
}

// CheckNameAvailability reports whether name is free for a new ticket.
func (c *Client) CheckNameAvailability(ctx context.Context, name string) (bool, error) {
	if err := checkName("ticket", name); err != nil {
		return false, fmt.Errorf("check support ticket name: %w", err)
	}
	u := c.subURL("/checkNameAvailability")
	ans, err := c.send(ctx, http.MethodPost, u, map[string]string{"name": name, "type": ticketResourceType})
	if err != nil {
		return false, fmt.Errorf("check support ticket name %s: %w", name, err)
	}
	var out struct {
		NameAvailable bool `json:"nameAvailable"`
	}
	if err := decodeAnswer(ans, &out); err != nil {
		return false, fmt.Errorf("check support ticket name %s: %w", name, err)
	}
	return out.NameAvailable, nil
}

func (c *Client) subURL(path string) string {
	return c.arm.String() + "/subscriptions/" + url.PathEscape(c.sub) + "/providers/Microsoft.Support" + path +
		"?api-version=" + APIVersion
}

// ticketURL is the URL of ticket name, plus sub (e.g. "/communications").
func (c *Client) ticketURL(name, sub string) string {
	return c.subURL("/supportTickets/" + url.PathEscape(name) + sub)
}

// send makes one request with the bearer token and returns its 2xx answer;
// any other answer is an *ARMError. A POST or PATCH is marked safe to
// retry, as every one this client sends is.
func (c *Client) send(ctx context.Context, method, u string, body any) (outbound.Answer, error) {
	if err := c.sameOrigin(u); err != nil {
		return outbound.Answer{}, err
	}
	req, err := outbound.NewJSONRequest(ctx, method, u, body)
	if err != nil {
		return outbound.Answer{}, err
	}
	if method == http.MethodPost || method == http.MethodPatch {
		req = outbound.Idempotent(req)
	}
	ans, err := c.armAPI.Send(req)
	return ans, armError(err)
}

// getJSON GETs u and decodes the answer into v.
func (c *Client) getJSON(ctx context.Context, u string, v any) error {
	ans, err := c.send(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	return decodeAnswer(ans, v)
}

// sameOrigin refuses URLs (nextLink, operation URLs) that would carry the
// token away from ARM.
func (c *Client) sameOrigin(u string) error {
	p, err := url.Parse(u)
	if err != nil {
		return fault.AsPermanent(fmt.Errorf("bad URL: %w", err))
	}
	if !outbound.SameOrigin(c.arm, p) {
		return fault.Permanentf("refusing to send the ARM token to %s://%s", p.Scheme, p.Host)
	}
	return nil
}

// decodeAnswer decodes the JSON body of ans into v.
func decodeAnswer(ans outbound.Answer, v any) error {
	if err := json.Unmarshal(ans.Body, v); err != nil {
		return fmt.Errorf("decode answer: %w", err)
	}
	return nil
}
