package doctor

// Entry returns the entry of the check name (the tests' look-up; the
// command reads the report whole).
func (r Report) Entry(name string) (Entry, bool) {
	for _, e := range r.Entries {
		if e.Name == name {
			return e, true
		}
	}
	return Entry{}, false
}
