package insights

import (
	"slices"
	"testing"
)

func TestTokenize(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []string
	}{
		{"empty", "", nil},
		{"lower case and split", "Outlook/OWA: Exchange-Online", []string{"outlook", "owa", "exchange", "online"}},
		{"stopwords removed", "the user is in a meeting with the team", []string{"user", "meet", "team"}},
		{"apostrophes join words", "Can't connect, doesn’t sync", []string{"connect", "sync"}},
		{"digits are terms", "since 08:40 UTC error 0x8004de40", []string{"08", "40", "utc", "error", "0x8004de40"}},
		{"plurals", "mailboxes policies users addresses", []string{"mailbox", "policy", "user", "address"}},
		{"singular endings kept", "access status analysis dns", []string{"access", "status", "analysis", "dns"}},
		{"ing ed ction", "connecting connected connection syncing", []string{"connect", "connect", "connect", "sync"}},
		{"short words unstemmed", "ring bed", []string{"ring", "bed"}},
		{"unicode letters", "Überprüfung ÉCHEC", []string{"überprüfung", "échec"}},
		{"only separators", "... --- !!!", nil},
		{"quoted phrase", "'Trying to connect...'", []string{"try", "connect"}},
		{"status codes keep their dots", "550 5.7.1 and 5.7.10. End.", []string{"550", "5.7.1", "5.7.10", "end"}},
		{"dots elsewhere split", "v.2 a.b 1. 2 .5", []string{"v", "2", "b", "1", "2", "5"}},
		{"American spelling", "enrolment licence organisation greyed", []string{"enrollment", "license", "organization", "gray"}},
		// then stemmed like the catalog's "macOS"
		{"devices as the articles name them", "iPhone iPads MacBook", []string{"ios", "ios", "maco"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tokenize(tt.text); !slices.Equal(got, tt.want) {
				t.Errorf("tokenize(%q) = %q, want %q", tt.text, got, tt.want)
			}
		})
	}
}

func TestWordsKeepsEverything(t *testing.T) {
	got := words("The users can't sign-in to OneDrive")
	want := []string{"the", "users", "cant", "sign", "in", "to", "onedrive"}
	if !slices.Equal(got, want) {
		t.Errorf("words = %q, want %q", got, want)
	}
}

func TestStem(t *testing.T) {
	tests := []struct{ in, want string }{
		{"policies", "policy"},
		{"entries", "entry"},
		{"ties", "tie"}, // too short for -ies → -y: only the s goes
		{"boxes", "box"},
		{"classes", "class"},
		{"class", "class"},
		{"status", "status"},
		{"teams", "team"},
		{"os", "os"},
		{"settings", "sett"},
		{"blocked", "block"},
		{"speed", "speed"},
		{"protection", "protect"},
		{"action", "action"},
	}
	for _, tt := range tests {
		if got := string(stem([]byte(tt.in))); got != tt.want {
			t.Errorf("stem(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
