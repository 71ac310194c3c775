package sim

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Azure Support API tickets under /subscriptions/{sub}/providers/Microsoft.Support.

// APIVersion is the Azure Support API version the simulator documents.
const APIVersion = "2024-04-01"

var (
	supportedAPIVersions = []string{"2020-04-01", "2024-04-01"}
	guidExpr             = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	severities           = []string{"minimal", "moderate", "critical", "highestcriticalimpact"}
)

// Ticket is a support ticket resource as the API serves it.
type Ticket struct {
	ID         string           `json:"id"`
	Name       string           `json:"name"`
	Type       string           `json:"type"`
	Properties TicketProperties `json:"properties"`
}

// TicketProperties are a ticket's properties.
type TicketProperties struct {
	SupportTicketID                  string                `json:"supportTicketId"`
	Title                            string                `json:"title"`
	Description                      string                `json:"description"`
	ServiceID                        string                `json:"serviceId"`
	ServiceDisplayName               string                `json:"serviceDisplayName"`
	ProblemClassificationID          string                `json:"problemClassificationId"`
	ProblemClassificationDisplayName string                `json:"problemClassificationDisplayName"`
	Severity                         string                `json:"severity"`
	Status                           string                `json:"status"`
	Require24X7Response              bool                  `json:"require24X7Response"`
	AdvancedDiagnosticConsent        string                `json:"advancedDiagnosticConsent"`
	ContactDetails                   ContactDetails        `json:"contactDetails"`
	ServiceLevelAgreement            ServiceLevelAgreement `json:"serviceLevelAgreement"`
	SupportEngineer                  SupportEngineer       `json:"supportEngineer"`
	SupportPlanType                  string                `json:"supportPlanType"`
	SupportPlanDisplayName           string                `json:"supportPlanDisplayName"`
	ProblemStartTime                 *time.Time            `json:"problemStartTime,omitempty"`
	CreatedDate                      time.Time             `json:"createdDate"`
	ModifiedDate                     time.Time             `json:"modifiedDate"`
}

// ContactDetails is the ticket's contact.
type ContactDetails struct {
	FirstName                string   `json:"firstName"`
	LastName                 string   `json:"lastName"`
	PreferredContactMethod   string   `json:"preferredContactMethod"`
	PrimaryEmailAddress      string   `json:"primaryEmailAddress"`
	AdditionalEmailAddresses []string `json:"additionalEmailAddresses,omitempty"`
	PhoneNumber              string   `json:"phoneNumber,omitempty"`
	PreferredTimeZone        string   `json:"preferredTimeZone"`
	Country                  string   `json:"country"`
	PreferredSupportLanguage string   `json:"preferredSupportLanguage"`
}

// ServiceLevelAgreement is the ticket's SLA.
type ServiceLevelAgreement struct {
	StartTime      time.Time `json:"startTime"`
	ExpirationTime time.Time `json:"expirationTime"`
	SLAMinutes     int       `json:"slaMinutes"`
}

// SupportEngineer is the engineer working the ticket, once assigned.
type SupportEngineer struct {
	EmailAddress *string `json:"emailAddress"`
}

type ticket struct {
	sub   string
	t     Ticket
	comms []Communication
}

func (t *ticket) snapshot() Ticket {
	c := t.t
	c.Properties.ContactDetails.AdditionalEmailAddresses = slices.Clone(c.Properties.ContactDetails.AdditionalEmailAddresses)
	return c
}

func ticketID(sub, name string) string {
	return "/subscriptions/" + sub + "/providers/Microsoft.Support/supportTickets/" + name
}

func (s *Server) ticketLocked(name string) *ticket {
	for _, t := range s.tickets {
		if strings.EqualFold(t.t.Name, name) {
			return t
		}
	}
	return nil
}

func (s *Server) ticketNotFound(w http.ResponseWriter, name string) {
	s.armError(w, http.StatusNotFound, "ResourceNotFound", fmt.Sprintf(
		"The Resource 'Microsoft.Support/supportTickets/%s' under resource group '<null>' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix", name))
}

type createTicketBody struct {
	Properties *struct {
		Title                     string          `json:"title"`
		Description               string          `json:"description"`
		ServiceID                 string          `json:"serviceId"`
		ProblemClassificationID   string          `json:"problemClassificationId"`
		Severity                  string          `json:"severity"`
		AdvancedDiagnosticConsent string          `json:"advancedDiagnosticConsent"`
		Require24X7Response       bool            `json:"require24X7Response"`
		ProblemStartTime          *time.Time      `json:"problemStartTime"`
		ContactDetails            *ContactDetails `json:"contactDetails"`
	} `json:"properties"`
}

// validateCreate returns the ARM error message for a create body, or "".
func validateCreate(b createTicketBody) string {
	p := b.Properties
	if p == nil {
		return "The property 'properties' is required."
	}
	for _, f := range []struct{ name, v string }{
		{"title", p.Title}, {"description", p.Description}, {"serviceId", p.ServiceID},
		{"problemClassificationId", p.ProblemClassificationID}, {"severity", p.Severity},
		{"advancedDiagnosticConsent", p.AdvancedDiagnosticConsent},
	} {
		if strings.TrimSpace(f.v) == "" {
			return fmt.Sprintf("The property 'properties.%s' is required.", f.name)
		}
	}
	if !slices.Contains(severities, strings.ToLower(p.Severity)) {
		return fmt.Sprintf("The value '%s' of 'properties.severity' is not valid. Allowed values: %s.", p.Severity, strings.Join(severities, ", "))
	}
	if c := strings.ToLower(p.AdvancedDiagnosticConsent); c != "yes" && c != "no" {
		return fmt.Sprintf("The value '%s' of 'properties.advancedDiagnosticConsent' is not valid. Allowed values: Yes, No.", p.AdvancedDiagnosticConsent)
	}
	c := p.ContactDetails
	if c == nil {
		return "The property 'properties.contactDetails' is required."
	}
	for _, f := range []struct{ name, v string }{
		{"firstName", c.FirstName}, {"lastName", c.LastName}, {"primaryEmailAddress", c.PrimaryEmailAddress},
		{"preferredContactMethod", c.PreferredContactMethod}, {"preferredTimeZone", c.PreferredTimeZone},
		{"preferredSupportLanguage", c.PreferredSupportLanguage}, {"country", c.Country},
	} {
		if strings.TrimSpace(f.v) == "" {
			return fmt.Sprintf("The property 'properties.contactDetails.%s' is required.", f.name)
		}
	}
	switch strings.ToLower(c.PreferredContactMethod) {
	case "email":
	case "phone":
		if c.PhoneNumber == "" {
			return "The property 'properties.contactDetails.phoneNumber' is required when the preferred contact method is phone."
		}
	default:
		return fmt.Sprintf("The value '%s' of 'properties.contactDetails.preferredContactMethod' is not valid. Allowed values: email, phone.", c.PreferredContactMethod)
	}
	if sev := strings.ToLower(p.Severity); c.PhoneNumber == "" && (sev == "critical" || sev == "highestcriticalimpact") {
		return "The property 'properties.contactDetails.phoneNumber' is required when the severity is critical or highestcriticalimpact."
	}
	if !strings.Contains(c.PrimaryEmailAddress, "@") {
		return fmt.Sprintf("The value '%s' of 'properties.contactDetails.primaryEmailAddress' is not a valid email address.", c.PrimaryEmailAddress)
	}
	return ""
}

func (s *Server) armCreateTicket(w http.ResponseWriter, r *http.Request) {
	if !s.armGuard(w, r, true) {
		return
	}
	var b createTicketBody
	if err := readJSON(r, &b); err != nil {
		s.armError(w, http.StatusBadRequest, "InvalidRequestContent", "The request content was invalid and could not be deserialized: "+err.Error())
		return
	}
	if msg := validateCreate(b); msg != "" {
		s.armError(w, http.StatusBadRequest, "BadRequest", msg)
		return
	}
	p := b.Properties
	svcName, pcName, msg := resolveClassification(s.supportCatalog(), p.ServiceID, p.ProblemClassificationID)
	if msg != "" {
		s.armError(w, http.StatusBadRequest, "BadRequest", msg)
		return
	}
	name, sub := r.PathValue("name"), r.PathValue("sub")
	s.mu.Lock()
	if s.ticketLocked(name) != nil {
		s.mu.Unlock()
		s.armError(w, http.StatusConflict, "Conflict", fmt.Sprintf("A support ticket with name '%s' already exists in subscription '%s'.", name, sub))
		return
	}
	now := s.now().Truncate(time.Second)
	s.seq++
	sla := 480
	if sev := strings.ToLower(p.Severity); sev == "critical" || sev == "highestcriticalimpact" {
		sla = 60
	}
	t := &ticket{sub: sub, t: Ticket{
		ID: ticketID(sub, name), Name: name, Type: "Microsoft.Support/supportTickets",
		Properties: TicketProperties{
			SupportTicketID:                  fmt.Sprintf("%s%09d", now.Format("060102"), 40000000+s.seq),
			Title:                            p.Title,
			Description:                      p.Description,
			ServiceID:                        p.ServiceID,
			ServiceDisplayName:               svcName,
			ProblemClassificationID:          p.ProblemClassificationID,
			ProblemClassificationDisplayName: pcName,
			Severity:                         strings.ToLower(p.Severity),
			Status:                           "Open",
			Require24X7Response:              p.Require24X7Response,
			AdvancedDiagnosticConsent:        p.AdvancedDiagnosticConsent,
			ContactDetails:                   *p.ContactDetails,
			ServiceLevelAgreement:            ServiceLevelAgreement{StartTime: now, ExpirationTime: now.Add(time.Duration(sla) * time.Minute), SLAMinutes: sla},
			SupportPlanType:                  "Unified",
			SupportPlanDisplayName:           "Unified Enterprise",
			ProblemStartTime:                 p.ProblemStartTime,
			CreatedDate:                      now,
			ModifiedDate:                     now,
		},
	}}
	s.tickets = append(s.tickets, t)
	op := s.newOperationLocked(sub, name, "")
	s.mu.Unlock()
	s.acceptAsync(w, r, sub, op)
}

func (s *Server) armGetTicket(w http.ResponseWriter, r *http.Request) {
	if !s.armGuard(w, r, true) {
		return
	}
	s.mu.Lock()
	t := s.ticketLocked(r.PathValue("name"))
	var snap Ticket
	if t != nil {
		snap = t.snapshot()
	}
	s.mu.Unlock()
	if t == nil {
		s.ticketNotFound(w, r.PathValue("name"))
		return
	}
	writeJSON(w, http.StatusOK, snap)
}

// updateFields is the UpdateSupportTicket body. The documented body has the
// fields at the top level; {"properties":{…}} is accepted as well.
type updateFields struct {
	Status                    string          `json:"status"`
	Severity                  string          `json:"severity"`
	AdvancedDiagnosticConsent string          `json:"advancedDiagnosticConsent"`
	ContactDetails            *ContactDetails `json:"contactDetails"`
}

func (s *Server) armUpdateTicket(w http.ResponseWriter, r *http.Request) {
	if !s.armGuard(w, r, true) {
		return
	}
	var b struct {
		updateFields
		Properties *updateFields `json:"properties"`
	}
	if err := readJSON(r, &b); err != nil {
		s.armError(w, http.StatusBadRequest, "InvalidRequestContent", "The request content was invalid and could not be deserialized: "+err.Error())
		return
	}
	u := b.updateFields
	if b.Properties != nil {
		u = *b.Properties
	}
	status := map[string]string{"": "", "open": "Open", "closed": "Closed"}
	st, ok := status[strings.ToLower(u.Status)]
	if !ok {
		s.armError(w, http.StatusBadRequest, "BadRequest", fmt.Sprintf("The value '%s' of 'status' is not valid. Allowed values: open, closed.", u.Status))
		return
	}
	if u.Severity != "" && !slices.Contains(severities, strings.ToLower(u.Severity)) {
		s.armError(w, http.StatusBadRequest, "BadRequest", fmt.Sprintf("The value '%s' of 'severity' is not valid. Allowed values: %s.", u.Severity, strings.Join(severities, ", ")))
		return
	}
	s.mu.Lock()
	t := s.ticketLocked(r.PathValue("name"))
	if t == nil {
		s.mu.Unlock()
		s.ticketNotFound(w, r.PathValue("name"))
		return
	}
	p := &t.t.Properties
	if st != "" {
		p.Status = st
	}
	if u.Severity != "" {
		p.Severity = strings.ToLower(u.Severity)
	}
	if u.AdvancedDiagnosticConsent != "" {
		p.AdvancedDiagnosticConsent = u.AdvancedDiagnosticConsent
	}
	if u.ContactDetails != nil {
		p.ContactDetails = *u.ContactDetails
	}
	p.ModifiedDate = s.now().Truncate(time.Second)
	snap := t.snapshot()
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, snap)
}

func (s *Server) armListTickets(w http.ResponseWriter, r *http.Request) {
	if !s.armGuard(w, r, true) {
		return
	}
	match, err := parseARMFilter(r.URL.Query().Get("$filter"), func(t Ticket, prop string) (string, *time.Time, bool) {
		switch strings.ToLower(prop) {
		case "status":
			return t.Properties.Status, nil, true
		case "serviceid":
			return t.Properties.ServiceID, nil, true
		case "problemclassificationid":
			return t.Properties.ProblemClassificationID, nil, true
		case "createddate":
			return "", &t.Properties.CreatedDate, true
		}
		return "", nil, false
	})
	if err != nil {
		s.armError(w, http.StatusBadRequest, "BadRequest", "Invalid $filter: "+err.Error())
		return
	}
	value := []Ticket{}
	s.mu.Lock()
	for _, t := range s.tickets {
		if snap := t.snapshot(); match(snap) {
			value = append(value, snap)
		}
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"value": value})
}

func (s *Server) armCheckTicketName(w http.ResponseWriter, r *http.Request) {
	if !s.armGuard(w, r, true) {
		return
	}
	s.checkName(w, r, "Microsoft.Support/supportTickets", func(name string) bool {
		return s.ticketLocked(name) != nil
	})
}

// checkName answers a checkNameAvailability request of resource type typ.
func (s *Server) checkName(w http.ResponseWriter, r *http.Request, typ string, taken func(string) bool) {
	var b struct{ Name, Type string }
	if err := readJSON(r, &b); err != nil || b.Name == "" {
		s.armError(w, http.StatusBadRequest, "InvalidRequestContent", "The request content must contain 'name' and 'type'.")
		return
	}
	if !strings.EqualFold(b.Type, typ) {
		s.armError(w, http.StatusBadRequest, "BadRequest", fmt.Sprintf("The value '%s' of 'type' is not valid. Allowed value: %s.", b.Type, typ))
		return
	}
	s.mu.Lock()
	used := taken(b.Name)
	s.mu.Unlock()
	if used {
		writeJSON(w, http.StatusOK, map[string]any{"nameAvailable": false, "reason": "Name is already in use", "message": "Name not available"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"nameAvailable": true})
}
