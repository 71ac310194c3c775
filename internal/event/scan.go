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
	// odd is set once a string read holds anything but printable ASCII
	// (0x20–0x7E): while it is not, no string needs its characters
	// checked again (limits.go).
	odd bool
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
	printable, ok := plain(seg)
	if !ok {
		return "", false
	}
	v := p.s[start : start+n]
	if !printable {
		if !utf8.ValidString(v) {
			return "", false
		}
		p.odd = true
	}
	p.i = start + n + 1
	return v, true
}

// plain reports whether b holds no byte below 0x20 (which a JSON string
// must escape), and whether it is all printable ASCII (no DEL, nothing
// above it), eight bytes at a time.
func plain(b []byte) (printable, ok bool) {
	var odd uint64
	for len(b) >= 8 {
		x := binary.LittleEndian.Uint64(b)
		if (x-0x20*ones)&^x&highs != 0 { // some byte < 0x20
			return false, false
		}
		del := x ^ 0x7f*ones // a zero byte where x has DEL
		odd |= x | (del-ones)&^del
		b = b[8:]
	}
	for _, c := range b {
		if c < 0x20 {
			return false, false
		}
		if c >= 0x7f {
			odd = highs
		}
	}
	return odd&highs == 0, true
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
