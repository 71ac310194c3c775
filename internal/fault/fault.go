// Package fault decides, in one place, whether a failure is worth retrying.
//
// Every part of Escalator returns ordinary wrapped errors. Adapters that know
// better mark theirs: the HTTP policy's status errors, the token errors and
// the handlers' own refusals implement Classifier, and Permanent/Transient
// wrap any error with an explicit class. The worker asks Classify once, when
// it picks the message outcome, and nowhere else.
package fault

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Class says what to do with a failed message.
type Class int

const (
	// Transient failures are retried: network errors, 5xx, 429, timeouts.
	Transient Class = iota
	// Permanent failures are not: 4xx, validation, a missing role or account.
	Permanent
)

func (c Class) String() string {
	if c == Permanent {
		return "permanent"
	}
	return "transient"
}

// StatusClass is the class of an HTTP answer's status code: 408, 429 and
// 5xx are worth retrying; every other refusal is the caller's mistake and
// does not heal by retrying. The HTTP policy's retries and every error
// built from an HTTP answer (status, token and ARM errors) ask here.
func StatusClass(code int) Class {
	if code == http.StatusRequestTimeout || code == http.StatusTooManyRequests || code >= 500 {
		return Transient
	}
	return Permanent
}

// Classifier is implemented by errors that know their class.
type Classifier interface {
	FaultClass() Class
}

// RetryAfterer is implemented by errors that carry the server's Retry-After.
type RetryAfterer interface {
	RetryAfter() time.Duration
}

// Error attaches a class (and optionally a Retry-After) to an error.
type Error struct {
	Class Class
	Err   error
	After time.Duration
}

func (e *Error) Error() string     { return e.Err.Error() }
func (e *Error) Unwrap() error     { return e.Err }
func (e *Error) FaultClass() Class { return e.Class }

// RetryAfter is e's own delay or, when it has none, the delay of the error
// it wraps: marking an error transient never drops a Retry-After under it.
func (e *Error) RetryAfter() time.Duration {
	if e.After > 0 {
		return e.After
	}
	return RetryAfter(e.Err)
}

// Permanentf returns a new permanent error, formatted like fmt.Errorf.
func Permanentf(format string, args ...any) error {
	return &Error{Class: Permanent, Err: fmt.Errorf(format, args...)}
}

// AsPermanent marks err permanent; nil stays nil.
func AsPermanent(err error) error {
	if err == nil {
		return nil
	}
	return &Error{Class: Permanent, Err: err}
}

// AsTransient marks err transient, to be retried no sooner than after; nil
// stays nil.
func AsTransient(err error, after time.Duration) error {
	if err == nil {
		return nil
	}
	return &Error{Class: Transient, Err: err, After: after}
}

// Classify returns the class of err: the first Classifier in its chain wins;
// anything unknown (network errors, timeouts, cancellations) is transient,
// because retrying an unknown failure is safe where every effect is keyed.
func Classify(err error) Class {
	if err == nil {
		return Transient
	}
	var c Classifier
	if errors.As(err, &c) {
		return c.FaultClass()
	}
	return Transient
}

// RetryAfter returns the server-requested delay carried by err, or zero.
func RetryAfter(err error) time.Duration {
	var r RetryAfterer
	if errors.As(err, &r) {
		return r.RetryAfter()
	}
	return 0
}
