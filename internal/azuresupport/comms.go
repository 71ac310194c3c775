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
)

// Communication is a message on a support ticket.
type Communication struct {
	Name    string
	Subject string
	Body    string
	Sender  string // email address of the sender; required for an app
	// Read-only.
	CommunicationType      string // "web", "phone"
	CommunicationDirection string // "outbound" (from the customer), "inbound"
	CreatedDate            time.Time
	// Existing says a create found the communication already there.
	Existing bool
}

type wireCommunication struct {
	ID         string `json:"id,omitempty"`
	Name       string `json:"name,omitempty"`
	Type       string `json:"type,omitempty"`
	Properties struct {
		Subject                string    `json:"subject"`
		Body                   string    `json:"body"`
		Sender                 string    `json:"sender,omitempty"`
		CommunicationType      string    `json:"communicationType,omitempty"`
		CommunicationDirection string    `json:"communicationDirection,omitempty"`
		CreatedDate            time.Time `json:"createdDate,omitzero"`
	} `json:"properties"`
}

func (w wireCommunication) communication() Communication {
	p := w.Properties
	return Communication{Name: w.Name, Subject: p.Subject, Body: p.Body, Sender: p.Sender,
		CommunicationType: p.CommunicationType, CommunicationDirection: p.CommunicationDirection, CreatedDate: p.CreatedDate}
}

// CreateCommunication posts message m on ticket ticketName under the name
// commName (see CommunicationName) and returns it as Azure has it. A
// communication of that name that already exists (409) is read back and
// returned with Existing set: the same name never posts twice.
func (c *Client) CreateCommunication(ctx context.Context, ticketName, commName string, m Communication) (Communication, error) {
	if err := errors.Join(checkName("ticket", ticketName), checkName("communication", commName)); err != nil {
		return Communication{}, fmt.Errorf("create communication: %w", fault.AsPermanent(err))
	}
	if strings.TrimSpace(m.Subject) == "" || strings.TrimSpace(m.Body) == "" {
		return Communication{}, fault.Permanentf("create communication %s on %s: subject and body are required", commName, ticketName)
	}
	var w wireCommunication
	w.Properties.Subject, w.Properties.Body, w.Properties.Sender = m.Subject, m.Body, m.Sender
	u := c.ticketURL(ticketName, "/communications/"+url.PathEscape(commName))
	ans, err := c.send(ctx, http.MethodPut, u, w)
	existing := false
	switch {
	case armStatus(err) == http.StatusConflict:
		existing = true
	case err != nil:
		return Communication{}, fmt.Errorf("create communication %s on %s: %w", commName, ticketName, err)
	case ans.StatusCode == http.StatusAccepted:
		if err := c.await(ctx, ans.Header); err != nil {
			return Communication{}, fmt.Errorf("create communication %s on %s: %w", commName, ticketName, err)
		}
	default:
		var got wireCommunication
		if err := decodeAnswer(ans, &got); err == nil && got.Name != "" {
			return got.communication(), nil
		}
	}
	got, err := c.GetCommunication(ctx, ticketName, commName)
	if err != nil {
		if existing && errors.Is(err, ErrTicketNotFound) {
			err = fault.AsTransient(fmt.Errorf("conflict, but the communication cannot be read yet: %w", err), 0)
		}
		return Communication{}, fmt.Errorf("create communication %s on %s: %w", commName, ticketName, err)
	}
	got.Existing = existing
	return got, nil
}

// GetCommunication reads one communication of a ticket.
func (c *Client) GetCommunication(ctx context.Context, ticketName, commName string) (Communication, error) {
	if err := errors.Join(checkName("ticket", ticketName), checkName("communication", commName)); err != nil {
		return Communication{}, fmt.Errorf("get communication: %w", fault.AsPermanent(err))
	}
	var w wireCommunication
	if err := c.getJSON(ctx, c.ticketURL(ticketName, "/communications/"+url.PathEscape(commName)), &w); err != nil {
		return Communication{}, fmt.Errorf("get communication %s on %s: %w", commName, ticketName, err)
	}
	return w.communication(), nil
}

// ListCommunications lists every communication of a ticket, following
// nextLink across pages.
func (c *Client) ListCommunications(ctx context.Context, ticketName string) ([]Communication, error) {
	if err := checkName("ticket", ticketName); err != nil {
		return nil, fmt.Errorf("list communications: %w", err)
	}
	var out []Communication
	err := c.pages(ctx, c.ticketURL(ticketName, "/communications"), func(raw json.RawMessage) error {
		var w wireCommunication
		if err := json.Unmarshal(raw, &w); err != nil {
			return err
		}
		out = append(out, w.communication())
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list communications of %s: %w", ticketName, err)
	}
	return out, nil
}

// Service is an Azure support service (a ticket's serviceId).
type Service struct {
	ID            string // "/providers/Microsoft.Support/services/{guid}"
	Name          string
	DisplayName   string
	ResourceTypes []string
}

// ProblemClassification is a problem category of a service (a ticket's
// problemClassificationId).
type ProblemClassification struct {
	ID          string // "/providers/Microsoft.Support/services/{guid}/problemClassifications/{guid}"
	Name        string
	DisplayName string
}

type wireCatalogEntry struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Properties struct {
		DisplayName   string   `json:"displayName"`
		ResourceTypes []string `json:"resourceTypes"`
	} `json:"properties"`
}

// ListServices lists the services tickets can be filed for.
func (c *Client) ListServices(ctx context.Context) ([]Service, error) {
	var out []Service
	u := c.arm.String() + "/providers/Microsoft.Support/services?api-version=" + APIVersion
	err := c.pages(ctx, u, func(raw json.RawMessage) error {
		var w wireCatalogEntry
		if err := json.Unmarshal(raw, &w); err != nil {
			return err
		}
		out = append(out, Service{ID: w.ID, Name: w.Name, DisplayName: w.Properties.DisplayName, ResourceTypes: w.Properties.ResourceTypes})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list support services: %w", err)
	}
	return out, nil
}

// ListProblemClassifications lists the problem classifications of a
// service, given by its name (guid) or its full id.
func (c *Client) ListProblemClassifications(ctx context.Context, serviceID string) ([]ProblemClassification, error) {
	svc := serviceID[strings.LastIndex(serviceID, "/")+1:]
	if err := checkName("service", svc); err != nil {
		return nil, fmt.Errorf("list problem classifications: %w", err)
	}
	var out []ProblemClassification
	u := c.arm.String() + "/providers/Microsoft.Support/services/" + url.PathEscape(svc) +
		"/problemClassifications?api-version=" + APIVersion
	err := c.pages(ctx, u, func(raw json.RawMessage) error {
		var w wireCatalogEntry
		if err := json.Unmarshal(raw, &w); err != nil {
			return err
		}
		out = append(out, ProblemClassification{ID: w.ID, Name: w.Name, DisplayName: w.Properties.DisplayName})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list problem classifications of %s: %w", serviceID, err)
	}
	return out, nil
}

// pages GETs a collection and every page its nextLink names (on ARM only),
// handing each item to item.
func (c *Client) pages(ctx context.Context, u string, item func(json.RawMessage) error) error {
	for n := 0; u != ""; n++ {
		if n == supportMaxPages {
			return fault.Permanentf("more than %d pages", supportMaxPages)
		}
		var p struct {
			Value    []json.RawMessage `json:"value"`
			NextLink string            `json:"nextLink"`
		}
		if err := c.getJSON(ctx, u, &p); err != nil {
			return fmt.Errorf("page %d: %w", n+1, err)
		}
		for i, raw := range p.Value {
			if err := item(raw); err != nil {
				return fmt.Errorf("page %d item %d: %w", n+1, i, err)
			}
		}
		u = p.NextLink
	}
	return nil
}
