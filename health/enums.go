package health

import "strings"

// Classification is the kind of a service health issue
// (serviceHealthClassificationType).
type Classification string

// Classifications documented by Graph; any other value is kept as sent.
const (
	ClassificationAdvisory           Classification = "advisory"
	ClassificationIncident           Classification = "incident"
	ClassificationUnknownFutureValue Classification = "unknownFutureValue"
)

var classifications = []Classification{
	ClassificationAdvisory, ClassificationIncident, ClassificationUnknownFutureValue,
}

// ParseClassification maps v, in any letter case, to its constant. An unknown
// value is returned unchanged: Graph adds values over time and a newer one
// must not make a whole issue unreadable.
func ParseClassification(v string) Classification {
	for _, c := range classifications {
		if strings.EqualFold(v, string(c)) {
			return c
		}
	}
	return Classification(v)
}

// Known reports whether c is one of the documented values.
func (c Classification) Known() bool {
	for _, k := range classifications {
		if c == k {
			return true
		}
	}
	return false
}

// UnmarshalText parses case-insensitively (see ParseClassification).
func (c *Classification) UnmarshalText(b []byte) error {
	*c = ParseClassification(string(b))
	return nil
}

// Status is the state of a service or of an issue (serviceHealthStatus).
type Status string

// Statuses documented by Graph; any other value is kept as sent.
const (
	StatusServiceOperational          Status = "serviceOperational"
	StatusInvestigating               Status = "investigating"
	StatusRestoringService            Status = "restoringService"
	StatusVerifyingService            Status = "verifyingService"
	StatusServiceRestored             Status = "serviceRestored"
	StatusPostIncidentReviewPublished Status = "postIncidentReviewPublished"
	StatusServiceDegradation          Status = "serviceDegradation"
	StatusServiceInterruption         Status = "serviceInterruption"
	StatusExtendedRecovery            Status = "extendedRecovery"
	StatusFalsePositive               Status = "falsePositive"
	StatusInvestigationSuspended      Status = "investigationSuspended"
	StatusResolved                    Status = "resolved"
	StatusMitigatedExternal           Status = "mitigatedExternal"
	StatusMitigated                   Status = "mitigated"
	StatusResolvedExternal            Status = "resolvedExternal"
	StatusConfirmed                   Status = "confirmed"
	StatusReported                    Status = "reported"
	StatusUnknownFutureValue          Status = "unknownFutureValue"
)

// statuses lists every documented value with whether it means the issue is
// still going on. Investigation suspended is ongoing: Microsoft is waiting
// for information, nothing is fixed. Mitigated means users are no longer
// affected, so it is not.
var statuses = []struct {
	s      Status
	active bool
}{
	{StatusServiceOperational, false},
	{StatusInvestigating, true},
	{StatusRestoringService, true},
	{StatusVerifyingService, true},
	{StatusServiceRestored, false},
	{StatusPostIncidentReviewPublished, false},
	{StatusServiceDegradation, true},
	{StatusServiceInterruption, true},
	{StatusExtendedRecovery, true},
	{StatusFalsePositive, false},
	{StatusInvestigationSuspended, true},
	{StatusResolved, false},
	{StatusMitigatedExternal, false},
	{StatusMitigated, false},
	{StatusResolvedExternal, false},
	{StatusConfirmed, true},
	{StatusReported, true},
	{StatusUnknownFutureValue, false},
}

// ParseStatus maps v, in any letter case, to its constant; an unknown value is
// returned unchanged.
func ParseStatus(v string) Status {
	for _, e := range statuses {
		if strings.EqualFold(v, string(e.s)) {
			return e.s
		}
	}
	return Status(v)
}

// Known reports whether s is one of the documented values.
func (s Status) Known() bool {
	for _, e := range statuses {
		if s == e.s {
			return true
		}
	}
	return false
}

// Active reports whether s says the problem is still ongoing (being
// investigated, degraded, interrupted, recovering, confirmed or reported).
// Unknown values are not claimed active; Issue.IsResolved is the flag to
// trust when deciding whether an issue is over.
func (s Status) Active() bool {
	for _, e := range statuses {
		if s == e.s {
			return e.active
		}
	}
	return false
}

// UnmarshalText parses case-insensitively (see ParseStatus).
func (s *Status) UnmarshalText(b []byte) error {
	*s = ParseStatus(string(b))
	return nil
}
