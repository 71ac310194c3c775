// Package redact takes secrets out of text that Escalator prints: the
// credentials inside URLs (user information and password parameters),
// whether or not the URL parses, and known secret values wherever they
// appear. It is the one place that decides what a printable URL looks like.
package redact

import (
	"net/url"
	"slices"
	"strings"
)

// Mask stands in for a removed secret (the same mask url.URL.Redacted uses).
const Mask = "xxxxx"

// MinSecret is the shortest value Secrets removes: a shorter one is not
// distinctive, and replacing it everywhere would garble the text.
const MinSecret = 6

// URL returns raw with its credentials masked, for printing. raw may be a
// comma-separated list (ESCALATOR_NATS_URL); each entry is redacted.
//
// A URL that parses keeps its user name when it has a password
// (redis://cache:xxxxx@host), but a lone user is masked, since NATS and
// some Redis URLs carry a token there; query parameters that name a
// password, secret or token are masked too. A URL that does not parse
// loses everything before the last "@" of its authority and its whole
// query: its shape cannot be trusted, so nothing that could be a
// credential is kept.
func URL(raw string) string {
	if !strings.Contains(raw, ",") {
		return one(raw)
	}
	parts := strings.Split(raw, ",")
	for i, p := range parts {
		parts[i] = one(p)
	}
	return strings.Join(parts, ",")
}

// Text masks the credentials of every URL quoted inside s — an error that
// names the URL it failed on, say: the user information of each
// "scheme://user:pass@host" and the values of password-like query
// parameters. The rest of s is left as it is.
func Text(s string) string {
	var b strings.Builder
	for {
		i := strings.Index(s, "://")
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		start := i + len("://")
		b.WriteString(s[:start])
		s = s[start:]
		end := strings.IndexAny(s, " \t\n\"'<>`")
		if end < 0 {
			end = len(s)
		}
		b.WriteString(quoted(s[:end]))
		s = s[end:]
	}
}

// quoted masks a URL quoted in text, after its "scheme://": the user
// information, and the values of password-like query parameters (the
// others stay: they help to read the error).
func quoted(rest string) string {
	auth := len(rest)
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		auth = i
	}
	if at := strings.LastIndex(rest[:auth], "@"); at >= 0 {
		rest = Mask + rest[at:]
	}
	q := strings.IndexByte(rest, '?')
	if q < 0 {
		return rest
	}
	params := strings.Split(rest[q+1:], "&")
	for i, kv := range params {
		if k, _, ok := strings.Cut(kv, "="); ok && secretParam(k) {
			params[i] = k + "=" + Mask
		}
	}
	return rest[:q+1] + strings.Join(params, "&")
}

// parse accepts only URLs of the shape scheme://authority…: anything else
// ("host:port", "user:pass@host") url.Parse reads as a scheme with opaque
// data or as a path, and may hide credentials there.
func parse(raw string) (*url.URL, bool) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Scheme == "" || u.Opaque != "" {
		return nil, false
	}
	return u, true
}

func one(raw string) string {
	u, ok := parse(raw)
	if !ok {
		return unparsed(raw)
	}
	if u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), Mask)
		} else {
			u.User = url.User(Mask)
		}
	}
	if u.RawQuery != "" {
		q := u.Query()
		for k := range q {
			if secretParam(k) {
				q[k] = []string{Mask}
			}
		}
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// unparsed strips what could be credentials from a string that is not a
// URL: user information (up to the last "@" before the path) and the query.
// "host:port" stays, so the user still sees which server was meant.
func unparsed(raw string) string {
	s := strings.TrimSpace(raw)
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		s = s[:i] + "?" + Mask
	}
	start := 0
	if i := strings.Index(s, "://"); i >= 0 {
		start = i + len("://")
	}
	end := len(s)
	if i := strings.IndexAny(s[start:], "/?"); i >= 0 {
		end = start + i
	}
	if at := strings.LastIndex(s[start:end], "@"); at >= 0 {
		s = s[:start] + Mask + s[start+at:]
	}
	return s
}

// secretParam reports whether a query parameter carries a credential
// (go-redis reads password and sentinel_password from the query).
func secretParam(name string) bool {
	n := strings.ToLower(name)
	for _, w := range []string{"pass", "secret", "token", "key", "sig"} {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

// URLSecrets are the credentials inside raw (or each URL of a
// comma-separated list): the user information's password, a lone user,
// and password parameters, whether or not raw parses. Give them to
// Secrets to remove them from text that quotes raw in some other form.
func URLSecrets(raw string) []string {
	var out []string
	for _, p := range strings.Split(raw, ",") {
		p = strings.TrimSpace(p)
		if u, ok := parse(p); ok {
			if u.User != nil {
				if pw, ok := u.User.Password(); ok {
					out = append(out, pw)
				} else {
					out = append(out, u.User.Username())
				}
			}
			for k, vs := range u.Query() {
				if secretParam(k) {
					out = append(out, vs...)
				}
			}
			continue
		}
		out = append(out, unparsedSecrets(p)...)
	}
	return nonEmpty(out)
}

// unparsedSecrets guesses the credentials of a string that is not a URL:
// the user information as a whole and as its password, and the values of
// its query.
func unparsedSecrets(s string) []string {
	var out []string
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		for _, kv := range strings.FieldsFunc(s[i+1:], func(r rune) bool { return r == '&' || r == ';' }) {
			if k, v, ok := strings.Cut(kv, "="); ok && secretParam(k) {
				out = append(out, v)
			}
		}
		s = s[:i]
	}
	if i := strings.Index(s, "://"); i >= 0 {
		s = s[i+len("://"):]
	}
	if i := strings.IndexByte(s, '/'); i >= 0 {
		s = s[:i]
	}
	if at := strings.LastIndex(s, "@"); at >= 0 {
		info := s[:at]
		out = append(out, info)
		if _, pw, ok := strings.Cut(info, ":"); ok {
			out = append(out, pw)
		}
	}
	return out
}

func nonEmpty(ss []string) []string {
	out := ss[:0]
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// Secrets returns s with every occurrence of each secret replaced by Mask,
// longest first (so that a secret containing another goes whole). Secrets
// shorter than MinSecret are left alone.
func Secrets(s string, secrets ...string) string {
	sorted := make([]string, 0, len(secrets))
	for _, sec := range secrets {
		if len(sec) >= MinSecret {
			sorted = append(sorted, sec)
		}
	}
	slices.SortFunc(sorted, func(a, b string) int { return len(b) - len(a) })
	for _, sec := range sorted {
		s = strings.ReplaceAll(s, sec, Mask)
	}
	return s
}
