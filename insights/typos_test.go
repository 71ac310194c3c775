package insights

import "testing"

func TestTypoIndex(t *testing.T) {
	known := []string{"outlook", "sharepoint", "onedrive", "connect", "remove", "mailbox", "mailboxes", "protect"}
	x := newTypoIndex(known)
	exact := func(w []byte) (int32, bool) {
		for i, k := range known {
			if k == string(w) {
				return int32(i), true
			}
		}
		return 0, false
	}
	tests := []struct {
		word, want string // want "": no correction
	}{
		{"outlok", "outlook"},        // a letter left out
		{"onedrrive", "onedrive"},    // a letter too many
		{"sharepiont", "sharepoint"}, // two letters swapped
		{"conect", "connect"},
		{"mailboxs", "mailboxes"},
		{"remote", ""},   // one wrong letter is another word
		{"project", ""},  // likewise
		{"outlooks", ""}, // the ends are inflections
		{"xoutlook", ""},
		{"utlook", ""},
		{"0x8004de80", ""}, // codes are exact
		{"mailb0x", ""},
		{"conn", ""}, // too short
	}
	var buf []byte
	for _, tt := range tests {
		id, ok, b := x.lookup([]byte(tt.word), exact, buf)
		buf = b
		got := ""
		if ok {
			got = known[id]
		}
		if got != tt.want {
			t.Errorf("lookup(%q) = %q, want %q", tt.word, got, tt.want)
		}
	}
}

func TestTypoIndexAmbiguous(t *testing.T) {
	// "mailbxes" is one letter from "mailboxes"; "mailbox" and "mailbix"
	// share "mailbx": such a spelling is no correction.
	x := newTypoIndex([]string{"mailbox", "mailbix"})
	if _, ok, _ := x.lookup([]byte("mailbx"), func([]byte) (int32, bool) { return 0, false }, nil); ok {
		t.Error("an ambiguous spelling was corrected")
	}
}
