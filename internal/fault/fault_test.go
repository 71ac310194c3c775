package fault

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

type statusErr struct{ code int }

func (e statusErr) Error() string     { return fmt.Sprint(e.code) }
func (e statusErr) FaultClass() Class { return StatusClass(e.code) }

func TestStatusClass(t *testing.T) {
	for _, tt := range []struct {
		code int
		want Class
	}{
		{0, Permanent}, {200, Permanent}, {400, Permanent}, {401, Permanent}, {404, Permanent},
		{407, Permanent}, {409, Permanent}, {499, Permanent},
		{408, Transient}, {429, Transient}, {500, Transient}, {503, Transient}, {599, Transient},
	} {
		if got := StatusClass(tt.code); got != tt.want {
			t.Errorf("StatusClass(%d) = %v, want %v", tt.code, got, tt.want)
		}
	}
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

type delayErr struct{ d time.Duration }

func (e delayErr) Error() string             { return "held" }
func (e delayErr) RetryAfter() time.Duration { return e.d }

// A token endpoint marks a network failure transient with no delay of its
// own; the delay of the failure under it (a held service) must survive.
func TestRetryAfterUnderMarkWithoutDelay(t *testing.T) {
	err := fmt.Errorf("graph token: %w", AsTransient(fmt.Errorf("token endpoint: %w", delayErr{2 * time.Second}), 0))
	if got := RetryAfter(err); got != 2*time.Second {
		t.Fatalf("RetryAfter = %v, want the inner 2s", got)
	}
	if got := RetryAfter(AsTransient(delayErr{2 * time.Second}, 3*time.Second)); got != 3*time.Second {
		t.Fatalf("RetryAfter = %v, want the mark's own 3s", got)
	}
}
