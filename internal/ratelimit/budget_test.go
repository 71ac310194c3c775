package ratelimit

import (
	"testing"
	"time"
)

func TestParseBudget(t *testing.T) {
	tests := []struct {
		in      string
		want    Budget
		wantErr bool
	}{
		{in: "100/s", want: Budget{100, time.Second}},
		{in: "600/min", want: Budget{600, time.Minute}},
		{in: " 800 / hour ", want: Budget{800, time.Hour}},
		{in: "240/MINUTES", want: Budget{240, time.Minute}},
		{in: "24/6s", want: Budget{24, 6 * time.Second}},
		{in: "5/500ms", want: Budget{5, 500 * time.Millisecond}},
		{in: "10/ms", wantErr: true}, // a unit, not a duration: never read as a minute
		{in: "100", wantErr: true},
		{in: "0/s", wantErr: true},
		{in: "-5/s", wantErr: true},
		{in: "1.5/s", wantErr: true},
		{in: "100/", wantErr: true},
		{in: "100/fortnight", wantErr: true},
		{in: "100/48h", wantErr: true},
		{in: "100/-1s", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseBudget(tt.in)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("ParseBudget(%q) = %v, want an error", tt.in, got)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseBudget(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
}

// FuzzParseBudget: whatever it accepts is a valid budget that reads back
// the same from its String.
func FuzzParseBudget(f *testing.F) {
	for _, s := range []string{"100/s", "600/min", "800/h", "24/6s", "1/1ns", "9/ms", "/", "1/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, err := ParseBudget(s)
		if err != nil {
			return
		}
		if err := b.validate(); err != nil {
			t.Fatalf("ParseBudget(%q) = %v, invalid: %v", s, b, err)
		}
		if b.burst()+b.refill() < b.N || b.burst() < 1 {
			t.Fatalf("budget %v splits into burst %d + refill %d", b, b.burst(), b.refill())
		}
		again, err := ParseBudget(b.String())
		if err != nil || again != b {
			t.Fatalf("ParseBudget(%q) = %v, %v; String of %v", b.String(), again, err, b)
		}
	})
}
