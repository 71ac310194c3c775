package azuresupport

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/escalator/escalator/internal/fault"
	"github.com/escalator/escalator/internal/outbound"
)

// operationStatus is the Azure-AsyncOperation status body.
type operationStatus struct {
	Status string `json:"status"` // InProgress, Succeeded, Failed, Canceled
	Error  *struct {
		Code    string           `json:"code"`
		Message string           `json:"message"`
		Details []ARMErrorDetail `json:"details"`
	} `json:"error"`
}

// await follows the asynchronous operation a 202 answer started: the
// Azure-AsyncOperation URL when there is one (status InProgress until
// Succeeded, Failed or Canceled), else the Location URL (202 until done).
// Each wait is the last answer's Retry-After, else the next step of the
// schedule pollWait gives (250 ms, 500 ms, 1 s, … up to PollInterval): most
// operations finish within a second, so the first polls come soon. It
// gives up after PollTimeout with a transient error: the operation may still
// land, and a retried create then finds the ticket.
func (c *Client) await(ctx context.Context, accepted http.Header) error {
	async := accepted.Get("Azure-AsyncOperation")
	loc := accepted.Get("Location")
	if async == "" && loc == "" {
		return nil // nothing to follow: the resource is read next
	}
	deadline := c.clock.Now().Add(c.limit)
	last := accepted
	for n := 0; ; n++ {
		wait := c.pollWait(last, n)
		if c.clock.Now().Add(wait).After(deadline) {
			return fault.AsTransient(fmt.Errorf("operation still running after %s", c.limit), c.poll)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-c.clock.After(wait):
		}
		var done bool
		var err error
		if async != "" {
			done, last, err = c.pollAsync(ctx, async)
		} else {
			done, last, loc, err = c.pollLocation(ctx, loc)
		}
		if err != nil || done {
			return err
		}
	}
}

func (c *Client) pollAsync(ctx context.Context, u string) (bool, http.Header, error) {
	ans, err := c.send(ctx, http.MethodGet, u, nil)
	if err != nil {
		return false, nil, fmt.Errorf("poll operation: %w", err)
	}
	var st operationStatus
	if err := decodeAnswer(ans, &st); err != nil {
		return false, nil, fmt.Errorf("poll operation: %w", err)
	}
	switch {
	case strings.EqualFold(st.Status, "Succeeded"):
		return true, nil, nil
	case strings.EqualFold(st.Status, "Failed"), strings.EqualFold(st.Status, "Canceled"):
		e := &ARMError{Code: st.Status, Message: "operation " + strings.ToLower(st.Status)}
		if st.Error != nil {
			e.Code, e.Message, e.Details = st.Error.Code, st.Error.Message, st.Error.Details
		}
		if e.Code == "" {
			e.Code = st.Status
		}
		return true, nil, fmt.Errorf("operation %s: %w", strings.ToLower(st.Status), e)
	default: // InProgress, Accepted, Running, …
		return false, ans.Header, nil
	}
}

func (c *Client) pollLocation(ctx context.Context, u string) (bool, http.Header, string, error) {
	ans, err := c.send(ctx, http.MethodGet, u, nil)
	if err != nil {
		return false, nil, u, fmt.Errorf("poll operation: %w", err)
	}
	if ans.StatusCode != http.StatusAccepted {
		return true, nil, u, nil
	}
	if next := ans.Header.Get("Location"); next != "" {
		u = next
	}
	return false, ans.Header, u, nil
}

// pollWait is the wait before poll n (0: the first): h's Retry-After when
// it has one (at most PollTimeout), else PollFirst doubled n times, at most
// PollInterval.
func (c *Client) pollWait(h http.Header, n int) time.Duration {
	if d, ok := outbound.ParseRetryAfter(h.Get("Retry-After"), c.clock.Now()); ok {
		return min(d, c.limit)
	}
	d := c.first
	for i := 0; i < n && d < c.poll; i++ {
		d *= 2
	}
	return min(d, c.poll)
}
