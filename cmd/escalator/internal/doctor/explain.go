package doctor

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/escalator/escalator/internal/outbound"
	"github.com/escalator/escalator/internal/redact"
)

// maxDetail bounds the error text quoted in a detail.
const maxDetail = 300

// brief is err's text on one line, bounded, with the credentials of any URL
// it quotes masked (redact.Text): the clients' errors carry no tokens (they
// are built from answers, and scrubbed), but some name the endpoint URL
// they were given, user information and all.
func brief(err error) string {
	s := oneLine(redact.Text(err.Error()))
	if len(s) > maxDetail {
		s = s[:maxDetail] + "…"
	}
	return s
}

// unreachable reports whether err is a failure to reach the peer at all
// (DNS, refused connection, TLS, timeout) rather than an answer.
func unreachable(err error) bool {
	var ne net.Error
	var dns *net.DNSError
	var op *net.OpError
	var ue *url.Error
	return errors.As(err, &dns) || errors.As(err, &op) || errors.As(err, &ne) ||
		errors.As(err, &ue) || errors.Is(err, context.DeadlineExceeded)
}

// status is the HTTP status of the *outbound.StatusError in err's chain,
// or 0.
func status(err error) int {
	var se *outbound.StatusError
	if errors.As(err, &se) {
		return se.StatusCode
	}
	return 0
}

// remoteMessage is the peer's own error message, when it sent one.
func remoteMessage(err error) string {
	var se *outbound.StatusError
	if errors.As(err, &se) {
		msg := strings.TrimSpace(strings.Trim(se.Code+": "+se.Message, ": "))
		return oneLine(msg)
	}
	return ""
}

// statusText is "403 Forbidden" for an HTTP status.
func statusText(code int) string {
	return strings.TrimSpace(strconv.Itoa(code) + " " + http.StatusText(code))
}

// otherFailure is the result of an error no specific rule explains: quote
// it, and say where to look.
func otherFailure(what string, err error, reachFix, fix string) Result {
	if unreachable(err) {
		return Failed(reachFix, "cannot reach %s: %s", what, brief(err))
	}
	return Failed(fix, "%s: %s", what, brief(err))
}
