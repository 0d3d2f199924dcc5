package releasedef

import (
	"encoding/json"
	"reflect"
	"testing"
)

// FuzzParseMetadata checks --metadata: what is accepted is a JSON object of
// strings, numbers and booleans with non-empty keys, and it survives being
// written into a manifest and read back.
func FuzzParseMetadata(f *testing.F) {
	for _, s := range []string{
		`{"pipeline":"1234","attempt":2,"ratio":0.5,"manual":false}`, `{}`, `{"":1}`, `{"a":null}`,
		`{"a":[1]}`, `{"a":{"b":1}}`, `{"a":1} {"b":2}`, `{"a":1}x`, `[1]`, `null`, `"s"`,
		`{"a":1e999}`, `{"a":"\u0000\n::x"}`, `{"a":1,"a":2}`, "\xff", ``,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseMetadata(s)
		if err != nil || m == nil {
			return
		}
		for k, v := range m {
			if k == "" {
				t.Fatalf("ParseMetadata(%q): empty key", s)
			}
			switch v.(type) {
			case string, bool, json.Number:
			default:
				t.Fatalf("ParseMetadata(%q): %q is a %T", s, k, v)
			}
		}
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatalf("ParseMetadata(%q) = %v, which does not encode: %v", s, m, err)
		}
		again, err := ParseMetadata(string(b))
		if err != nil || !reflect.DeepEqual(again, m) {
			t.Fatalf("ParseMetadata(%q) = %v; written as %s it reads %v, %v", s, m, b, again, err)
		}
	})
}
