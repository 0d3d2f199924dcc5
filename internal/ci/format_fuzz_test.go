package ci

import (
	"errors"
	"strconv"
	"strings"
	"testing"
)

// FuzzParseFormat checks --output: only "text" and "json" are formats, and
// any other value is ErrBadFormat with the value quoted.
func FuzzParseFormat(f *testing.F) {
	for _, s := range []string{"text", "json", "JSON", " text", "", "yaml", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseFormat(s)
		switch s {
		case "text", "json":
			if err != nil || (s == "text") != (got == Text) || (s == "json") != (got == JSON) {
				t.Fatalf("ParseFormat(%q) = %v, %v", s, got, err)
			}
		default:
			if !errors.Is(err, ErrBadFormat) || !strings.Contains(err.Error(), strconv.Quote(s)) {
				t.Fatalf("ParseFormat(%q) = %v, %v; want ErrBadFormat quoting the value", s, got, err)
			}
		}
	})
}
