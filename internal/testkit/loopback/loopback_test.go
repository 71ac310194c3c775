package loopback

import (
	"net"
	"testing"
)

func TestFreeCanBeListenedOnAndTakenCannot(t *testing.T) {
	ln, err := net.Listen("tcp", Free(t))
	if err != nil {
		t.Fatalf("listen on a free address: %v", err)
	}
	ln.Close()
	if ln, err := net.Listen("tcp", Taken(t)); err == nil {
		ln.Close()
		t.Fatal("listen on a taken address succeeded")
	}
}
