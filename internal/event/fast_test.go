package event

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// fastSeeds are bodies beside testdata/*.json that exercise the corners of
// the hand-written decoder.
var fastSeeds = []string{
	`{"specversion":"1.0","id":"a","source":"s","type":"com.servicenow.incident.updated","time":"2026-11-25T11:30:00Z","extra":{"deep":[1,{"x":null}],"y":"z"},"data":{"incident":{"sys_id":"9d385017c611228701d22104cc95c371","number":"INC1","other":[true,false]},"requested_by":{"user_name":"u","roles":null},"unknown":{}}}`,
	`{"specversion":null,"id":null,"data":{"incident":null,"requested_by":null,"escalation":null,"change":null,"tick":null}}`,
	`{"id":"\u00e9v\u00e8nement-\ud83d\ude00","source":"h\u0074tps://x","data":{"incident":{"number":"INC\n\"1\""},"requested_by":{"roles":["\u0069til",""]}}}`,
	`{"i\u0064":"escaped-name","data":{"requested_by":{"roles":[]},"change":{"fields":[],"work_note":""}}}`,
	`{"specversion":"1.0","id":"t1","source":"escalator","type":"com.escalator.tick.health","time":"2026-11-25T11:30:00Z","data":{"tick":{"name":"health","start":"2026-11-25T11:30:00Z"}}}`,
	`{"data":{"tick":{"name":"x","start":"yesterday"}}}`,
	`{"ID":"upper","Data":5,"data":{"Incident":7,"escalation":{"contact":{"email":"e","Email":9},"severity":"critical"}}}`,
	`{"id":"a","id":"b"}`,
	`{"data":{"incident":{"number":"1","number":"2"}}}`,
	`{"extra":{"a":1,"a":2}}`,
	`{"id":5}`,
	`{"data":{"requested_by":{"roles":"itil"}}}`,
	`{"data":{"requested_by":{"roles":[1]}}}`,
	`{"data":[]}`,
	`{"data":{"escalation":"x"}}`,
	`null`,
	`[]`,
	`{} {}`,
	`{}x`,
	`  {}  `,
	``,
	`{"id":"\xff"}`,
	`{"id":"\ud800"}`,
	`{"id":"a",}`,
	`{"id":"del\u007f","source":"dl","data":{"incident":{"number":"cafÃ©"}}}`,
	`{"data":{"requested_by":{"roles":["a"]}}}`,
}

// FuzzDecodeMatchesReflection holds decodeFast to jsonv2.Unmarshal: both
// refuse a body or both decode it to the same wire. A body it calls
// printable has only printable ASCII in its strings.
func FuzzDecodeMatchesReflection(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		fast, printable := matchReflection(t, body, decodeFast)
		if printable {
			checkPrintable(t, &fast)
		}
	})
}

// FuzzDataMatchesReflection holds decodeFastData, the data of binary mode,
// to jsonv2.Unmarshal.
func FuzzDataMatchesReflection(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		fast, printable := matchReflection(t, body, decodeFastData)
		if printable {
			checkPrintable(t, &wire{Data: fast})
		}
	})
}

// matchReflection fails t unless decode and jsonv2.Unmarshal both refuse
// body or both decode it to the same value; it returns decode's value and
// whether decode called body printable.
func matchReflection[T any](t *testing.T, body []byte, decode func([]byte, *T) (bool, error)) (T, bool) {
	t.Helper()
	var fast, slow T
	printable, fastErr := decode(body, &fast)
	slowErr := jsonv2.Unmarshal(body, &slow)
	if (fastErr == nil) != (slowErr == nil) {
		t.Fatalf("fast error %v, reflection error %v", fastErr, slowErr)
	}
	if fastErr == nil && !reflect.DeepEqual(fast, slow) {
		t.Fatalf("fast decoded %#v\nreflection decoded %#v", fast, slow)
	}
	return fast, printable
}

func addSeeds(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.json")
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		var m map[string]jsontext.Value
		if err := jsonv2.Unmarshal(b, &m); err != nil {
			f.Fatal(err)
		}
		f.Add([]byte(m["data"]))
	}
	for _, s := range fastSeeds {
		f.Add([]byte(s))
	}
}

// checkPrintable fails unless every string of w is printable ASCII.
func checkPrintable(t *testing.T, w *wire) {
	t.Helper()
	for i := range limits {
		l := &limits[i]
		values := []string{}
		if l.list != nil {
			values = l.list(w)
		} else {
			values = append(values, l.str(w))
		}
		for _, s := range values {
			if !printableASCII(s) {
				t.Fatalf("%s = %q called printable", l.Field, s)
			}
		}
	}
}
