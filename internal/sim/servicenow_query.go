package sim

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// ServiceNow encoded queries (sysparm_query): terms joined by "^" (and),
// "^OR" (or with the previous term), "^NQ" (a new query, or'ed), and
// ORDERBY<field> / ORDERBYDESC<field>. Operators: = != > >= < <= LIKE
// NOT LIKE STARTSWITH ENDSWITH IN NOT IN ISEMPTY ISNOTEMPTY. String
// comparisons ignore case, as the instance's database does. A term on a field
// the record does not have matches nothing (glide.invalid_query.returns_no_rows).

var termExpr = regexp.MustCompile(`^([a-z0-9_.]+)(!=|>=|<=|=|>|<|NOT LIKE|LIKE|STARTSWITH|ENDSWITH|NOT IN|IN|ISNOTEMPTY|ISEMPTY)(.*)$`)

type record = map[string]string

type orderKey struct {
	field string
	desc  bool
}

type snowQuery struct {
	groups [][][]func(record) bool // NQ groups → and-terms → or-alternatives
	order  []orderKey
}

func parseQuery(q string) (snowQuery, error) {
	var out snowQuery
	if strings.TrimSpace(q) == "" {
		return out, nil
	}
	for _, part := range strings.Split(q, "^NQ") {
		var and [][]func(record) bool
		for _, term := range strings.Split(part, "^") {
			term = strings.TrimSpace(term)
			or := false
			switch {
			case term == "" || term == "EQ":
				continue
			case strings.HasPrefix(term, "ORDERBYDESC"):
				out.order = append(out.order, orderKey{strings.TrimPrefix(term, "ORDERBYDESC"), true})
				continue
			case strings.HasPrefix(term, "ORDERBY"):
				out.order = append(out.order, orderKey{strings.TrimPrefix(term, "ORDERBY"), false})
				continue
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
				and = append(and, []func(record) bool{pred})
			}
		}
		out.groups = append(out.groups, and)
	}
	return out, nil
}

func parseTerm(term string) (func(record) bool, error) {
	m := termExpr.FindStringSubmatch(term)
	if m == nil {
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
	return func(r record) bool {
		v, ok := r[field]
		return ok && test(v)
	}, nil
}

func (q snowQuery) match(r record) bool {
	if len(q.groups) == 0 {
		return true
	}
	for _, and := range q.groups {
		if matchAll(and, r) {
			return true
		}
	}
	return false
}

func matchAll(and [][]func(record) bool, r record) bool {
	for _, alts := range and {
		if !slices.ContainsFunc(alts, func(p func(record) bool) bool { return p(r) }) {
			return false
		}
	}
	return true
}

// sort orders rows in place by the query's ORDERBY terms (stable).
func (q snowQuery) sort(rows []record) {
	if len(q.order) == 0 {
		return
	}
	slices.SortStableFunc(rows, func(a, b record) int {
		for _, k := range q.order {
			c := strings.Compare(a[k.field], b[k.field])
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
