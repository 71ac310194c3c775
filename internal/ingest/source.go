package ingest

import (
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/escalator/escalator/internal/event"
)

// normalizeSource reduces an instance URL to what identifies the instance:
// scheme and host, lower-case, without the scheme's default port, path or
// trailing slash. "HTTPS://Contoso.service-now.com:443/" and
// "https://contoso.service-now.com" are the same instance.
func normalizeSource(s string) (string, bool) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return "", false
	}
	scheme, host := strings.ToLower(u.Scheme), strings.ToLower(u.Host)
	if h, port, err := net.SplitHostPort(host); err == nil &&
		(scheme == "https" && port == "443" || scheme == "http" && port == "80") {
		host = h
		if strings.Contains(h, ":") {
			host = "[" + h + "]"
		}
	}
	return scheme + "://" + host, true
}

// sourceMatches reports whether source names the instance want (already
// normalised).
func sourceMatches(want, source string) bool {
	got, ok := normalizeSource(source)
	return ok && got == want
}

// checkSources lists every event whose source is not the configured
// instance; index is the event's place in a batch (-1 for a single event).
func checkSources(want string, events []event.Event, batch bool) []event.FieldError {
	if want == "" {
		return nil
	}
	var fields []event.FieldError
	for i := range events {
		if sourceMatches(want, events[i].Source) {
			continue
		}
		idx := i
		if !batch {
			idx = -1
		}
		fields = append(fields, event.FieldError{Index: idx, Field: "source",
			Detail: fmt.Sprintf("%q is not the ServiceNow instance this Escalator serves (ESCALATOR_SERVICENOW_URL): send %s", events[i].Source, want)})
	}
	return fields
}
