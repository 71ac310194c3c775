package outbound

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/escalator/escalator/internal/fault"
)

// TokenSource supplies OAuth access tokens; internal/token implements it.
type TokenSource interface {
	AccessToken(ctx context.Context) (string, error)
}

// defaultMaxBody bounds a 2xx answer when Caller.MaxBody is zero.
const defaultMaxBody = 4 << 20

// Caller sends authenticated requests to one JSON API (Graph, ARM, the
// ServiceNow Table API) and reads each answer whole. What differs between
// the peers stays with their clients: how a request is built, whether a
// POST may be retried (Idempotent), what a 2xx status means.
type Caller struct {
	// Client sends the requests; it is expected to apply the policy of
	// NewClient. Default http.DefaultClient.
	Client *http.Client
	// Tokens gives each request its bearer token. When nil, the request
	// goes with the Authorization it already has (basic authentication).
	Tokens TokenSource
	// Peer names the token in errors: "graph" gives "graph token: …".
	// Default "access".
	Peer string
	// MaxBody bounds the body of a 2xx answer; a longer one is a permanent
	// error, as the same request would only get it again. Default 4 MiB.
	MaxBody int64
	// NotFound, when set, joins the *StatusError of a 404 so that callers
	// can match their own sentinel with errors.Is.
	NotFound error
}

// Answer is a 2xx answer with its body read whole. The header is there for
// the answers whose meaning is in it (the 202 of an asynchronous operation).
type Answer struct {
	StatusCode int
	Header     http.Header
	Body       []byte
}

// Send sets the bearer token and Accept: application/json (unless req has
// one) on req, sends it and returns the 2xx answer. Any other answer is a
// *StatusError (see CheckResponse), a 404 one joined with NotFound. The
// token is asked for with req's context.
func (c *Caller) Send(req *http.Request) (Answer, error) {
	if c.Tokens != nil {
		tok, err := c.Tokens.AccessToken(req.Context())
		if err != nil {
			return Answer{}, fmt.Errorf("%s token: %w", c.peer(), err)
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	if req.Header.Get("Accept") == "" {
		req.Header.Set("Accept", "application/json")
	}
	hc := c.Client
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return Answer{}, err
	}
	if err := CheckResponse(resp); err != nil {
		var se *StatusError
		if c.NotFound != nil && errors.As(err, &se) && se.StatusCode == http.StatusNotFound {
			return Answer{}, fmt.Errorf("%w: %w", c.NotFound, err)
		}
		return Answer{}, err
	}
	defer resp.Body.Close()
	limit := c.MaxBody
	if limit <= 0 {
		limit = defaultMaxBody
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return Answer{}, fmt.Errorf("read answer: %w", err)
	}
	if int64(len(body)) > limit {
		return Answer{}, fault.Permanentf("answer larger than %d bytes", limit)
	}
	return Answer{StatusCode: resp.StatusCode, Header: resp.Header, Body: body}, nil
}

func (c *Caller) peer() string {
	if c.Peer == "" {
		return "access"
	}
	return c.Peer
}

// NewJSONRequest builds a request to target whose body, unless body is nil,
// is body encoded as JSON. The body can be replayed, so the policy may
// retry the request. Its errors are permanent: a retry cannot mend them.
func NewJSONRequest(ctx context.Context, method, target string, body any) (*http.Request, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, fault.AsPermanent(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, rd)
	if err != nil {
		return nil, fault.AsPermanent(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return req, nil
}
