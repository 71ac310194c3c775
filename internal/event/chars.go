package event

import "unicode/utf8"

// Eight bytes at a time: ones has 1 in every byte, highs the top bit.
const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// load64 reads s[0:8] as one little-endian word.
func load64(s string) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// printableASCII reports whether s is all 0x20–0x7E, the common case,
// which holds no control character and is valid UTF-8.
func printableASCII(s string) bool {
	for ; len(s) >= 8; s = s[8:] {
		x := load64(s)
		del := x ^ 0x7f*ones
		if (x|(x-0x20*ones)&^x|(del-ones)&^del)&highs != 0 {
			return false
		}
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			return false
		}
	}
	return true
}

// identClean reports whether an identifier holds no control character
// (C0, DEL, C1) and is valid UTF-8; if not, the first offending rune
// (utf8.RuneError for invalid UTF-8).
func identClean(s string) (rune, bool) {
	if printableASCII(s) {
		return 0, true
	}
	for i, r := range s {
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				return r, false
			}
		}
		if r < 0x20 || 0x7f <= r && r <= 0x9f {
			return r, false
		}
	}
	return 0, true
}

// textClean reports whether free text holds no C0 control character
// other than tab, newline and carriage return; if not, the first one.
// JSON strings are valid UTF-8 already.
func textClean(s string) (rune, bool) {
	clean := true
	for b := s; len(b) >= 8; b = b[8:] {
		x := load64(b)
		if (x-0x20*ones)&^x&highs != 0 {
			clean = false
			break
		}
	}
	if clean {
		for i := len(s) &^ 7; i < len(s); i++ {
			if s[i] < 0x20 {
				clean = false
				break
			}
		}
	}
	if clean {
		return 0, true
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
			return rune(c), false
		}
	}
	return 0, true
}
