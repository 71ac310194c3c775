package servicenow

import (
	"fmt"
	"regexp"
	"strings"
)

// fieldExpr is a field name, dot-walked or not: "state", "user.user_name".
var fieldExpr = regexp.MustCompile(`^[a-z0-9_]+(\.[a-z0-9_]+)*$`)

// Query is an encoded query (sysparm_query) built term by term, all terms
// joined by "^" (and). Values are escaped, so one built from a user name or
// a payload cannot add terms of its own; a field name or value the
// encoding cannot carry makes Err non-nil, and a list given such a Query
// fails before it sends anything. The zero Query matches every record.
// Methods return a new Query and leave their receiver unchanged.
//
//	servicenow.Query{}.Eq("user.user_name", name).Eq("state", "active")
type Query struct {
	terms []string
	err   error
}

// RawQuery is an encoded query written in the code, sent as it is
// ("active=true^ORDERBYnumber"). Never build one from outside input: use
// the methods of Query, which escape.
func RawQuery(encoded string) Query {
	if encoded == "" {
		return Query{}
	}
	return Query{terms: []string{encoded}}
}

// EscapeQueryValue writes v for the value of an encoded query term: the
// instance reads "^^" as a "^" of the value, where a single "^" would end
// the term and let the rest of v be read as further terms.
func EscapeQueryValue(v string) string { return strings.ReplaceAll(v, "^", "^^") }

// Eq adds field=value (the instance compares strings ignoring case).
func (q Query) Eq(field, value string) Query { return q.term(field, "=", value) }

// NotEq adds field!=value.
func (q Query) NotEq(field, value string) Query { return q.term(field, "!=", value) }

// Like adds fieldLIKEvalue: field contains value.
func (q Query) Like(field, value string) Query { return q.term(field, "LIKE", value) }

// In adds fieldINv1,v2,…: field is one of values. The list has no escape
// for a comma, so a value holding one is an error, as is an empty list.
func (q Query) In(field string, values ...string) Query {
	if len(values) == 0 {
		return q.fail(fmt.Errorf("query %s IN: no values", field))
	}
	for _, v := range values {
		if strings.Contains(v, ",") {
			return q.fail(fmt.Errorf("query %s IN: value %q holds a comma, which an IN list cannot carry", field, v))
		}
	}
	return q.term(field, "IN", strings.Join(values, ","))
}

// OrderBy sorts by field, ascending.
func (q Query) OrderBy(field string) Query { return q.order("ORDERBY", field) }

// OrderByDesc sorts by field, descending.
func (q Query) OrderByDesc(field string) Query { return q.order("ORDERBYDESC", field) }

// String is the encoded query ("" for the zero Query).
func (q Query) String() string { return strings.Join(q.terms, "^") }

// Err is the first field or value the query could not encode.
func (q Query) Err() error { return q.err }

func (q Query) term(field, op, value string) Query {
	if !fieldExpr.MatchString(field) {
		return q.fail(fmt.Errorf("query field %q: want lowercase letters, digits and _, dot-walked with '.'", field))
	}
	// The instance evaluates a value that starts with "javascript:" as a
	// script; a value from outside must never become one.
	if strings.HasPrefix(strings.ToLower(strings.TrimSpace(value)), "javascript:") {
		return q.fail(fmt.Errorf("query %s%s: a value starting with javascript: would run as a script on the instance", field, op))
	}
	return q.add(field + op + EscapeQueryValue(value))
}

func (q Query) order(op, field string) Query {
	if !fieldExpr.MatchString(field) {
		return q.fail(fmt.Errorf("query %s field %q: want lowercase letters, digits and _, dot-walked with '.'", op, field))
	}
	return q.add(op + field)
}

// add appends to a copy of the terms: queries built from one base never
// share a backing array.
func (q Query) add(term string) Query {
	q.terms = append(q.terms[:len(q.terms):len(q.terms)], term)
	return q
}

func (q Query) fail(err error) Query {
	if q.err == nil {
		q.err = err
	}
	return q
}
