package insights

import (
	"strings"
	"testing"
)

func TestProblemText(t *testing.T) {
	tests := []struct {
		text string
		want string // the words left; "" when text is returned unchanged
	}{
		// The punctuation before a clause goes with it.
		{"Outlook keeps asking for password. OWA works fine.", "Outlook keeps asking for password ."},
		{"Outlook cannot connect. Teams and OneDrive work normally.", "Outlook cannot connect ."},
		{"internal is fine, external mail bounces", ", external mail bounces"},
		{"My mic doesn't work in Slack huddles, fine in Teams.", "My mic doesn't work in Slack huddles ."},
		{"desktop Outlook still works (OWA shows 403)", "(OWA shows 403)"},
		{"Excel fine\nWord crashes", "\nWord crashes"},
		// A word of trouble keeps the clause: it is the problem.
		{"Teams is not working", ""},
		{"OneDrive stopped working yesterday", ""},
		{"sync works only for some folders", ""},
		{"VPN drops when working from home", ""},
		{"the web app is ok but slow", ""},
		{"Outlook fails but OWA works", ""},
		{"", ""},
	}
	for _, tt := range tests {
		got := problemText(tt.text)
		if len(got) != len(tt.text) {
			t.Errorf("problemText(%q) = %q: not the same length", tt.text, got)
		}
		want := tt.want
		if want == "" {
			want = tt.text
		}
		if strings.Join(strings.Fields(got), " ") != strings.Join(strings.Fields(want), " ") {
			t.Errorf("problemText(%q) = %q, want %q", tt.text, got, want)
		}
	}
}
