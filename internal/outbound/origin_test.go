package outbound

import (
	"net/url"
	"testing"
)

func TestSameOrigin(t *testing.T) {
	base, err := url.Parse("https://graph.microsoft.com/v1.0")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		link string
		want bool
	}{
		{"https://graph.microsoft.com/v1.0/users?$skiptoken=x", true},
		{"https://graph.microsoft.com", true},
		{"HTTPS://graph.microsoft.com/v1.0/users", true}, // url.Parse lowers the scheme
		{"http://graph.microsoft.com/v1.0/users", false},
		{"https://graph.microsoft.com:8443/v1.0/users", false},
		{"https://evil.example/v1.0/users", false},
		{"https://graph.microsoft.com.evil.example/v1.0/users", false},
		{"https://graph.microsoft.com@evil.example/v1.0/users", false},
		{"/v1.0/users?$skiptoken=x", false},
		{"//evil.example/v1.0/users", false},
	}
	for _, tt := range tests {
		t.Run(tt.link, func(t *testing.T) {
			link, err := url.Parse(tt.link)
			if err != nil {
				t.Fatal(err)
			}
			if got := SameOrigin(base, link); got != tt.want {
				t.Errorf("SameOrigin(%s, %s) = %v, want %v", base, tt.link, got, tt.want)
			}
		})
	}
	if SameOrigin(base, nil) || SameOrigin(nil, base) || SameOrigin(&url.URL{}, &url.URL{}) {
		t.Error("a nil or host-less URL must never be the same origin")
	}
}
