package escalation

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
// Each wait is the answer's Retry-After, or PollInterval. It gives up after
// PollTimeout with a transient error: the operation may still land, and a
// retried create then finds the ticket.
func (c *SupportClient) await(ctx context.Context, accepted http.Header) error {
	async := accepted.Get("Azure-AsyncOperation")
	loc := accepted.Get("Location")
	if async == "" && loc == "" {
		return nil // nothing to follow: the resource is read next
	}
	deadline := c.clock.Now().Add(c.limit)
	wait := c.delay(accepted)
	for {
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
			done, wait, err = c.pollAsync(ctx, async)
		} else {
			done, wait, loc, err = c.pollLocation(ctx, loc)
		}
		if err != nil || done {
			return err
		}
	}
}

func (c *SupportClient) pollAsync(ctx context.Context, u string) (bool, time.Duration, error) {
	ans, err := c.send(ctx, http.MethodGet, u, nil)
	if err != nil {
		return false, 0, fmt.Errorf("poll operation: %w", err)
	}
	wait := c.delay(ans.Header)
	var st operationStatus
	if err := decodeAnswer(ans, &st); err != nil {
		return false, 0, fmt.Errorf("poll operation: %w", err)
	}
	switch {
	case strings.EqualFold(st.Status, "Succeeded"):
		return true, 0, nil
	case strings.EqualFold(st.Status, "Failed"), strings.EqualFold(st.Status, "Canceled"):
		e := &ARMError{Code: st.Status, Message: "operation " + strings.ToLower(st.Status)}
		if st.Error != nil {
			e.Code, e.Message, e.Details = st.Error.Code, st.Error.Message, st.Error.Details
		}
		if e.Code == "" {
			e.Code = st.Status
		}
		return true, 0, fmt.Errorf("operation %s: %w", strings.ToLower(st.Status), e)
	default: // InProgress, Accepted, Running, …
		return false, wait, nil
	}
}

func (c *SupportClient) pollLocation(ctx context.Context, u string) (bool, time.Duration, string, error) {
	ans, err := c.send(ctx, http.MethodGet, u, nil)
	if err != nil {
		return false, 0, u, fmt.Errorf("poll operation: %w", err)
	}
	if ans.StatusCode != http.StatusAccepted {
		return true, 0, u, nil
	}
	if next := ans.Header.Get("Location"); next != "" {
		u = next
	}
	return false, c.delay(ans.Header), u, nil
}

// delay is the answer's Retry-After, else PollInterval.
func (c *SupportClient) delay(h http.Header) time.Duration {
	if d, ok := outbound.ParseRetryAfter(h.Get("Retry-After"), c.clock.Now()); ok {
		return min(d, c.limit)
	}
	return c.poll
}
