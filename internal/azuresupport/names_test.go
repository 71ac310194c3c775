package azuresupport_test

import (
	"regexp"
	"testing"

	"github.com/escalator/escalator/internal/azuresupport"
)

var validName = regexp.MustCompile(`^[a-z0-9-]{1,80}$`)

func TestTicketName(t *testing.T) {
	tests := []struct {
		sysID string
		gen   int
		want  string
	}{
		{"9d385017c611228701d22104cc95c371", 0, "escalator-9d385017c611228701d22104cc95c371"},
		{"9D385017C611228701D22104CC95C371", 0, "escalator-9d385017c611228701d22104cc95c371"},
		{"9d385017c611228701d22104cc95c371", 1, "escalator-9d385017c611228701d22104cc95c371-1"},
		{"9d385017c611228701d22104cc95c371", 12, "escalator-9d385017c611228701d22104cc95c371-12"},
		{"9d385017c611228701d22104cc95c371", -3, "escalator-9d385017c611228701d22104cc95c371"},
	}
	for _, tt := range tests {
		if got := azuresupport.TicketName(tt.sysID, tt.gen); got != tt.want {
			t.Errorf("TicketName(%q, %d) = %q, want %q", tt.sysID, tt.gen, got, tt.want)
		}
	}
	// Odd ids still give valid, deterministic, distinct names.
	seen := map[string]string{}
	for _, id := range []string{"", "a/b", "a b", "ünïcode", "x:y", "a/b "} {
		n := azuresupport.TicketName(id, 0)
		if !validName.MatchString(n) || n != azuresupport.TicketName(id, 0) {
			t.Errorf("TicketName(%q) = %q", id, n)
		}
		if prev, ok := seen[n]; ok {
			t.Errorf("%q and %q share the name %s", prev, id, n)
		}
		seen[n] = id
	}
}

func TestCommunicationName(t *testing.T) {
	a := azuresupport.CommunicationName("evt-1")
	if a != azuresupport.CommunicationName("evt-1") {
		t.Fatal("not deterministic")
	}
	if a == azuresupport.CommunicationName("evt-2") {
		t.Fatal("two events share a name")
	}
	for _, id := range []string{"evt-1", "", "urn:uuid:1b4e28ba-2fa1-11d2-883f-0016d3cca427", "a/b?c#d"} {
		if n := azuresupport.CommunicationName(id); !validName.MatchString(n) {
			t.Errorf("CommunicationName(%q) = %q", id, n)
		}
	}
}
