package azuresupport

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/escalator/escalator/internal/fault"
	"github.com/escalator/escalator/internal/outbound"
)

// ErrTicketNotFound matches (errors.Is) an ARM answer 404: the support
// ticket, or the communication asked for, does not exist.
var ErrTicketNotFound = errors.New("support ticket not found")

// ARMError is an Azure Resource Manager error answer
// {"error":{"code","message","details":[…]}}, or the error of a failed
// asynchronous operation (StatusCode 0).
type ARMError struct {
	StatusCode int // HTTP status; 0 for a failed asynchronous operation
	Code       string
	Message    string
	Details    []ARMErrorDetail
	Retry      time.Duration // the answer's Retry-After
	Err        error         // the *outbound.StatusError behind it, if any
}

// ARMErrorDetail is one entry of an ARM error's details.
type ARMErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Target  string `json:"target,omitempty"`
}

func (e *ARMError) Error() string {
	var b strings.Builder
	if e.StatusCode != 0 {
		fmt.Fprintf(&b, "azure support: %d %s", e.StatusCode, http.StatusText(e.StatusCode))
	} else {
		b.WriteString("azure support: operation failed")
	}
	if e.Code != "" {
		fmt.Fprintf(&b, ": %s", e.Code)
	}
	if e.Message != "" {
		fmt.Fprintf(&b, ": %s", e.Message)
	}
	for _, d := range e.Details {
		fmt.Fprintf(&b, " [%s: %s]", d.Code, d.Message)
	}
	return b.String()
}

func (e *ARMError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrTicketNotFound) hold for a 404.
func (e *ARMError) Is(target error) bool {
	return target == ErrTicketNotFound && e.StatusCode == http.StatusNotFound
}

// RetryAfter implements fault.RetryAfterer.
func (e *ARMError) RetryAfter() time.Duration { return e.Retry }

// transientOperationCodes are failure codes of asynchronous operations that
// a later attempt may not meet.
var transientOperationCodes = []string{
	"InternalServerError", "ServiceUnavailable", "GatewayTimeout", "RequestTimeout",
	"TooManyRequests", "Canceled", "OperationCanceled",
}

// FaultClass implements fault.Classifier: an answer has the class of its
// status (fault.StatusClass). A failed asynchronous operation is permanent unless
// its code says the service failed or cancelled it.
func (e *ARMError) FaultClass() fault.Class {
	if e.StatusCode != 0 {
		return fault.StatusClass(e.StatusCode)
	}
	for _, c := range transientOperationCodes {
		if strings.EqualFold(c, e.Code) {
			return fault.Transient
		}
	}
	return fault.Permanent
}

// armErrorBody is the ARM error shape.
type armErrorBody struct {
	Error *struct {
		Code    string           `json:"code"`
		Message string           `json:"message"`
		Details []ARMErrorDetail `json:"details"`
	} `json:"error"`
}

// armError turns the *outbound.StatusError of an answer into an *ARMError;
// other errors (no answer, no token) pass unchanged. Only err itself is
// looked at: a status error deeper in the chain is not ARM's answer.
func armError(err error) error {
	se, ok := err.(*outbound.StatusError)
	if !ok {
		return err
	}
	e := &ARMError{StatusCode: se.StatusCode, Code: se.Code, Message: se.Message, Retry: se.Retry, Err: se}
	var b armErrorBody
	if json.Unmarshal(se.Body, &b) == nil && b.Error != nil {
		e.Code, e.Message, e.Details = b.Error.Code, b.Error.Message, b.Error.Details
	}
	return e
}

// armStatus is the HTTP status of the ARM answer err is, or 0.
func armStatus(err error) int {
	var e *ARMError
	if errors.As(err, &e) {
		return e.StatusCode
	}
	return 0
}
