package main

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"
)

// TestTokenKeyParsedByTokenParseKey: ESCALATOR_TOKEN_KEY is decoded by the
// one rule of internal/token (ParseKey: standard or URL alphabet, padded
// or not), so a key doctor and serve accept is one the cache accepts; a
// bad key names the variable and its fix.
func TestTokenKeyParsedByTokenParseKey(t *testing.T) {
	key := bytes.Repeat([]byte{0xfb}, 32) // 0xfb: '+' and '/' in standard base64, '-' and '_' in the URL alphabet
	for _, tt := range []struct {
		name, in, url, wantErr string
	}{
		{"standard", base64.StdEncoding.EncodeToString(key), "redis://127.0.0.1:6379", ""},
		{"url alphabet, unpadded, newline", base64.RawURLEncoding.EncodeToString(key) + "\n", "redis://127.0.0.1:6379", ""},
		{"short", base64.StdEncoding.EncodeToString(key[:16]), "", "ESCALATOR_TOKEN_KEY is not base64 of 32 bytes: " + tokenKeyFix},
		{"missing with redis", "", "redis://127.0.0.1:6379", "ESCALATOR_TOKEN_KEY is not set but ESCALATOR_REDIS_URL is: " + tokenKeyFix + " and give every replica the same value"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := redisConfig{URL: tt.url, TokenKey: tt.in}
			got, err := c.key()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("key() = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || !bytes.Equal(got, key) {
				t.Fatalf("key() = %x, %v", got, err)
			}
			if kr, err := c.keyring(); err != nil || kr == nil {
				t.Fatalf("keyring() = %v, %v", kr, err)
			}
		})
	}
}
