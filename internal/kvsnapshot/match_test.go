package kvsnapshot

import "testing"

func TestMatchKey(t *testing.T) {
	tests := []struct {
		filter, key string
		want        bool
	}{
		{"a", "a", true},
		{"a", "b", false},
		{"a", "a.b", false},
		{"a.b", "a", false},
		{"*", "a", true},
		{"*", "a.b", false},
		{"a.*", "a.b", true},
		{"a.*.c", "a.b.c", true},
		{"a.*.c", "a.b.d", false},
		{">", "a", true},
		{">", "a.b.c", true},
		{"audit.>", "audit.1", true},
		{"audit.>", "audit.1.2", true},
		{"audit.>", "audit", false},
		{"audit.>", "linked", false},
	}
	for _, tt := range tests {
		if got := matchKey(tt.filter, tt.key); got != tt.want {
			t.Errorf("matchKey(%q, %q) = %v, want %v", tt.filter, tt.key, got, tt.want)
		}
	}
}
