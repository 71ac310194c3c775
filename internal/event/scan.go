package event

import (
	"bytes"
	"encoding/binary"
	"unicode/utf8"
)

// scanner reads body; s is the same bytes as one string, which every
// string value is a slice of: an event costs one string allocation, not
// one per field.
type scanner struct {
	b []byte
	s string
	i int
}

func (p *scanner) ws() {
	for p.i < len(p.b) {
		c := p.b[p.i]
		if c > ' ' || c != ' ' && c != '\n' && c != '\t' && c != '\r' {
			return
		}
		p.i++
	}
}

// peek skips whitespace and returns the next byte, 0 at the end.
func (p *scanner) peek() byte {
	p.ws()
	if p.i < len(p.b) {
		return p.b[p.i]
	}
	return 0
}

// byte consumes c if it is next.
func (p *scanner) byte(c byte) bool {
	if p.peek() == c {
		p.i++
		return true
	}
	return false
}

// end reports whether only whitespace is left.
func (p *scanner) end() bool {
	p.ws()
	return p.i == len(p.b)
}

// null consumes a null if it is next.
func (p *scanner) null() bool {
	if p.peek() == 'n' && len(p.b)-p.i >= 4 && p.s[p.i:p.i+4] == "null" {
		p.i += 4
		return true
	}
	return false
}

// raw reads a string with no escape in it, valid UTF-8.
func (p *scanner) raw() (string, bool) {
	if p.peek() != '"' {
		return "", false
	}
	start := p.i + 1
	n := bytes.IndexByte(p.b[start:], '"')
	if n < 0 {
		return "", false
	}
	seg := p.b[start : start+n]
	if bytes.IndexByte(seg, '\\') >= 0 {
		return "", false
	}
	ascii, ok := plain(seg)
	if !ok {
		return "", false
	}
	v := p.s[start : start+n]
	if !ascii && !utf8.ValidString(v) {
		return "", false
	}
	p.i = start + n + 1
	return v, true
}

// plain reports whether b holds no control character (which a JSON string
// must escape), and whether it is all ASCII, eight bytes at a time.
func plain(b []byte) (ascii, ok bool) {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	var high uint64
	for len(b) >= 8 {
		x := binary.LittleEndian.Uint64(b)
		if (x-0x20*ones)&^x&highs != 0 { // some byte < 0x20
			return false, false
		}
		high |= x
		b = b[8:]
	}
	for _, c := range b {
		if c < 0x20 {
			return false, false
		}
		high |= uint64(c)
	}
	return high&highs == 0, true
}

// str reads a string or null ("") into dst.
func (p *scanner) str(dst *string) bool {
	if p.null() {
		*dst = ""
		return true
	}
	v, ok := p.raw()
	*dst = v
	return ok
}

// strs reads an array of strings (null is nil, [] is empty) into dst.
func (p *scanner) strs(dst *[]string) bool {
	if p.null() {
		*dst = nil
		return true
	}
	if !p.byte('[') {
		return false
	}
	out := make([]string, 0, 4)
	if !p.byte(']') {
		for {
			var v string
			if !p.str(&v) {
				return false
			}
			out = append(out, v)
			if p.byte(']') {
				break
			}
			if !p.byte(',') {
				return false
			}
		}
	}
	*dst = out
	return true
}

// object reads the start of an object: obj is false for null.
func (p *scanner) object() (obj, ok bool) {
	if p.null() {
		return false, true
	}
	return true, p.byte('{')
}

// members iterates an object's members once it is open.
type members struct {
	p     *scanner
	first bool
	seen  uint32
	done  bool
}

func (p *scanner) members() members { return members{p: p, first: true} }

// next reads the next member's name and its colon; false at the end of
// the object or on anything the scanner leaves to reflection (then
// m.done is false).
func (m *members) next() (string, bool) {
	p := m.p
	if p.byte('}') {
		// Right after '{' or a value: a ",}" never gets here.
		m.done = true
		return "", false
	}
	if !m.first && !p.byte(',') {
		return "", false
	}
	m.first = false
	name, ok := p.raw()
	if !ok || !p.byte(':') {
		return "", false
	}
	return name, true
}

// mark records member i as seen: one seen before is left to reflection.
func (m *members) mark(i int) bool {
	if m.seen&(1<<i) != 0 {
		return false
	}
	m.seen |= 1 << i
	return true
}
