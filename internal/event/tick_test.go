package event

import "testing"

func TestTickTypesAreInternalWithTheirSubjects(t *testing.T) {
	for typ, want := range map[string]string{
		TypeTickHealth: SubjectTickHealth,
		TypeTickCases:  SubjectTickCases,
		TypeTickOutbox: SubjectTickOutbox,
	} {
		if got, ok := Subject(typ); !ok || got != want {
			t.Errorf("Subject(%s) = %q, %v; want %q", typ, got, ok, want)
		}
		if !Internal(typ) {
			t.Errorf("%s is not internal: ingest would take it from outside", typ)
		}
	}
	if SubjectTickOutbox != "escalator.tick.outbox" {
		t.Fatalf("subject %q", SubjectTickOutbox)
	}
}
