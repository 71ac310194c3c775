package servicenow

import (
	"strings"
	"testing"
)

func TestQueryEncoding(t *testing.T) {
	tests := []struct {
		name string
		q    Query
		want string
	}{
		{"zero", Query{}, ""},
		{"eq and eq", Query{}.Eq("user.user_name", "beth.anglin").Eq("state", "active"), "user.user_name=beth.anglin^state=active"},
		{"caret escaped", Query{}.Eq("user.user_name", "x^NQstate=active"), "user.user_name=x^^NQstate=active"},
		{"carets escaped", Query{}.Eq("u_result", "^a^^b^"), "u_result=^^a^^^^b^^"},
		{"not eq", Query{}.NotEq("u_state", "done"), "u_state!=done"},
		{"like", Query{}.Like("value", "[escalator:k1]"), "valueLIKE[escalator:k1]"},
		{"in", Query{}.In("u_state", "pending", "sent"), "u_stateINpending,sent"},
		{"in escapes", Query{}.In("u_state", "a^b"), "u_stateINa^^b"},
		{"order", Query{}.Eq("u_state", "pending").OrderBy("sys_created_on").OrderByDesc("u_attempts"),
			"u_state=pending^ORDERBYsys_created_on^ORDERBYDESCu_attempts"},
		{"empty value", Query{}.Eq("u_result", ""), "u_result="},
		{"raw", RawQuery("active=true^ORDERBYnumber").Eq("number", "INC1"), "active=true^ORDERBYnumber^number=INC1"},
		{"raw empty", RawQuery(""), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.q.Err(); err != nil {
				t.Fatalf("Err = %v", err)
			}
			if got := tt.q.String(); got != tt.want {
				t.Errorf("String = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestQueryErrors(t *testing.T) {
	tests := []struct {
		name string
		q    Query
		want string // in the error
	}{
		{"uppercase field", Query{}.Eq("User", "x"), `query field "User"`},
		{"operator in field", Query{}.Eq("state=active^user", "x"), `query field "state=active^user"`},
		{"empty field", Query{}.Eq("", "x"), `query field ""`},
		{"bad order field", Query{}.OrderBy("x^y"), `ORDERBY field "x^y"`},
		{"comma in IN", Query{}.In("u_state", "a,b"), "holds a comma"},
		{"empty IN", Query{}.In("u_state"), "no values"},
		{"script value", Query{}.Eq("user.user_name", " JavaScript:gs.getUserName()"), "javascript:"},
		{"first error kept", Query{}.Eq("A", "x").In("u_state"), `query field "A"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.q.Err(); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Err = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestQueryBranchesDoNotShareTerms(t *testing.T) {
	base := Query{}.Eq("a", "1").Eq("b", "2").Eq("c", "3")
	x, y := base.Eq("d", "x"), base.Eq("d", "y")
	if x.String() != "a=1^b=2^c=3^d=x" || y.String() != "a=1^b=2^c=3^d=y" || base.String() != "a=1^b=2^c=3" {
		t.Errorf("base %q, x %q, y %q", base, x, y)
	}
}

func FuzzEscapeQueryValue(f *testing.F) {
	for _, s := range []string{"", "^", "a^NQb=1", "^^", "x^"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		// reading "^^" as "^" gives v back, and no single "^" is left to
		// end the term
		esc := EscapeQueryValue(v)
		if strings.ReplaceAll(esc, "^^", "") != strings.ReplaceAll(v, "^", "") {
			t.Errorf("EscapeQueryValue(%q) = %q leaves a separator", v, esc)
		}
		if strings.ReplaceAll(esc, "^^", "^") != v {
			t.Errorf("EscapeQueryValue(%q) = %q does not read back", v, esc)
		}
	})
}
