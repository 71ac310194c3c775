package fault

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

type statusErr struct{ code int }

func (e statusErr) Error() string { return fmt.Sprint(e.code) }
func (e statusErr) FaultClass() Class {
	if e.code >= 500 || e.code == 429 {
		return Transient
	}
	return Permanent
}

func TestClassify(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want Class
	}{
		{"plain error is transient", errors.New("dial tcp: refused"), Transient},
		{"explicit permanent", AsPermanent(errors.New("bad")), Permanent},
		{"wrapped permanent", fmt.Errorf("create case: %w", Permanentf("no account")), Permanent},
		{"classifier 404", fmt.Errorf("get: %w", statusErr{404}), Permanent},
		{"classifier 503", fmt.Errorf("get: %w", statusErr{503}), Transient},
		{"outer mark wins over inner classifier", AsTransient(statusErr{400}, 0), Transient},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Classify(tt.err); got != tt.want {
				t.Fatalf("Classify(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

func TestRetryAfter(t *testing.T) {
	err := fmt.Errorf("graph: %w", AsTransient(errors.New("429"), 1500*time.Millisecond))
	if got := RetryAfter(err); got != 1500*time.Millisecond {
		t.Fatalf("RetryAfter = %v", got)
	}
	if got := RetryAfter(errors.New("x")); got != 0 {
		t.Fatalf("RetryAfter of plain error = %v", got)
	}
	if AsPermanent(nil) != nil || AsTransient(nil, 0) != nil {
		t.Fatal("nil must stay nil")
	}
}
