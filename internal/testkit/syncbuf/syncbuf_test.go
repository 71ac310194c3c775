package syncbuf

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

func TestBufferHoldsEveryConcurrentWrite(t *testing.T) {
	var b Buffer
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() { fmt.Fprintf(&b, "line %d\n", i) })
		_ = b.String() // read while others write: -race must stay quiet
	}
	wg.Wait()
	if n := strings.Count(b.String(), "\n"); n != 8 {
		t.Fatalf("got %d lines, want 8:\n%s", n, b.String())
	}
}
