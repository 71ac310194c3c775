package sim

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// ServiceNow encoded queries (sysparm_query): terms joined by "^" (and),
// "^OR" (or with the previous term), "^NQ" (a new query, or'ed), and
// ORDERBY<field> / ORDERBYDESC<field>. A "^" inside a value is written "^^".
// Operators: = != > >= < <= LIKE NOT LIKE STARTSWITH ENDSWITH IN NOT IN
// ISEMPTY ISNOTEMPTY. Fields may dot-walk references ("user.user_name").
// String comparisons ignore case, as the instance's database does. A term on
// a field the record does not have matches nothing
// (glide.invalid_query.returns_no_rows).

var (
	termExpr  = regexp.MustCompile(`^([a-z0-9_.]+)(!=|>=|<=|=|>|<|NOT LIKE|LIKE|STARTSWITH|ENDSWITH|NOT IN|IN|ISNOTEMPTY|ISEMPTY)(.*)$`)
	fieldExpr = regexp.MustCompile(`^[a-z0-9_]+(\.[a-z0-9_]+)*$`)
)

type record = map[string]string

// getter reads one field of the row a query looks at (dot-walks included);
// ok is false when the row has no such field.
type getter func(field string) (value string, ok bool)

type predicate func(getter) bool

type orderKey struct {
	field string
	desc  bool
}

type snowQuery struct {
	groups [][][]predicate // NQ groups → and-terms → or-alternatives
	order  []orderKey
}

// splitTerms cuts q at every "^" that is not half of "^^", the escaped
// caret, which becomes one "^" of the value.
func splitTerms(q string) []string {
	var out []string
	var cur strings.Builder
	for i := 0; i < len(q); i++ {
		switch {
		case q[i] != '^':
			cur.WriteByte(q[i])
		case i+1 < len(q) && q[i+1] == '^':
			cur.WriteByte('^')
			i++
		default:
			out = append(out, cur.String())
			cur.Reset()
		}
	}
	return append(out, cur.String())
}

func parseQuery(q string) (snowQuery, error) {
	var out snowQuery
	var and [][]predicate
	var groups [][][]predicate
	for _, term := range splitTerms(q) {
		term = strings.TrimSpace(term)
		or := false
		switch {
		case term == "" || term == "EQ":
			continue
		case strings.HasPrefix(term, "ORDERBY"):
			k := orderKey{field: strings.TrimPrefix(term, "ORDERBY")}
			if rest, ok := strings.CutPrefix(k.field, "DESC"); ok {
				k = orderKey{field: rest, desc: true}
			}
			if !fieldExpr.MatchString(k.field) {
				return snowQuery{}, fmt.Errorf("invalid order field %q", k.field)
			}
			out.order = append(out.order, k)
			continue
		case strings.HasPrefix(term, "NQ"):
			groups = append(groups, and)
			and, term = nil, strings.TrimPrefix(term, "NQ")
			if term == "" {
				continue
			}
		case strings.HasPrefix(term, "OR"):
			or, term = true, strings.TrimPrefix(term, "OR")
		}
		pred, err := parseTerm(term)
		if err != nil {
			return snowQuery{}, err
		}
		if or && len(and) > 0 {
			and[len(and)-1] = append(and[len(and)-1], pred)
		} else {
			and = append(and, []predicate{pred})
		}
	}
	for _, g := range append(groups, and) {
		if len(g) > 0 {
			out.groups = append(out.groups, g)
		}
	}
	return out, nil
}

func parseTerm(term string) (predicate, error) {
	m := termExpr.FindStringSubmatch(term)
	if m == nil || !fieldExpr.MatchString(m[1]) {
		return nil, fmt.Errorf("invalid query term %q", term)
	}
	field, op, val := m[1], m[2], m[3]
	lv := strings.ToLower(val)
	var test func(v string) bool
	switch op {
	case "=":
		test = func(v string) bool { return strings.EqualFold(v, val) }
	case "!=":
		test = func(v string) bool { return !strings.EqualFold(v, val) }
	case ">":
		test = func(v string) bool { return strings.ToLower(v) > lv }
	case ">=":
		test = func(v string) bool { return strings.ToLower(v) >= lv }
	case "<":
		test = func(v string) bool { return strings.ToLower(v) < lv }
	case "<=":
		test = func(v string) bool { return strings.ToLower(v) <= lv }
	case "LIKE":
		test = func(v string) bool { return strings.Contains(strings.ToLower(v), lv) }
	case "NOT LIKE":
		test = func(v string) bool { return !strings.Contains(strings.ToLower(v), lv) }
	case "STARTSWITH":
		test = func(v string) bool { return strings.HasPrefix(strings.ToLower(v), lv) }
	case "ENDSWITH":
		test = func(v string) bool { return strings.HasSuffix(strings.ToLower(v), lv) }
	case "IN", "NOT IN":
		set := strings.Split(lv, ",")
		in := op == "IN"
		test = func(v string) bool { return slices.Contains(set, strings.ToLower(v)) == in }
	case "ISEMPTY":
		test = func(v string) bool { return v == "" }
	case "ISNOTEMPTY":
		test = func(v string) bool { return v != "" }
	}
	return func(get getter) bool {
		v, ok := get(field)
		return ok && test(v)
	}, nil
}

func (q snowQuery) match(get getter) bool {
	if len(q.groups) == 0 {
		return true
	}
	for _, and := range q.groups {
		if matchAll(and, get) {
			return true
		}
	}
	return false
}

func matchAll(and [][]predicate, get getter) bool {
	for _, alts := range and {
		if !slices.ContainsFunc(alts, func(p predicate) bool { return p(get) }) {
			return false
		}
	}
	return true
}

// sort orders rows in place by the query's ORDERBY terms (stable); get
// reads a field of a row.
func (q snowQuery) sort(rows []record, get func(record, string) string) {
	if len(q.order) == 0 {
		return
	}
	slices.SortStableFunc(rows, func(a, b record) int {
		for _, k := range q.order {
			c := strings.Compare(strings.ToLower(get(a, k.field)), strings.ToLower(get(b, k.field)))
			if k.desc {
				c = -c
			}
			if c != 0 {
				return c
			}
		}
		return 0
	})
}
