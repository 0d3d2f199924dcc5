package version

import (
	"errors"
	"strconv"
	"strings"
	"testing"
)

// FuzzLineFromBranch checks that a branch is a release line only when it
// spells that line exactly: the default branch, or the prefix followed by
// canonical decimal numbers. Anything else wraps ErrNotReleaseBranch.
func FuzzLineFromBranch(f *testing.F) {
	for _, b := range []string{
		"main", "release/1", "release/0", "release/1.2", "release/01", "release/1.02",
		"release/1.2.3", "release/", "release/.", "release/1.", "release/-1", "release/+1",
		"release/18446744073709551615", "release/18446744073709551616", "release/１",
		"feature/x", "", "release/1\n", "release/1 ", "Release/1",
	} {
		f.Add(b, "main", "release/")
	}
	f.Add("main", "", "release/")
	f.Add("", "", "")
	f.Add("1.2", "main", "")
	f.Add("v1", "main", "v")
	f.Fuzz(func(t *testing.T, branch, defaultBranch, prefix string) {
		l, err := LineFromBranch(branch, defaultBranch, prefix)
		if err != nil {
			if !errors.Is(err, ErrNotReleaseBranch) {
				t.Fatalf("LineFromBranch(%q, %q, %q): %v does not wrap ErrNotReleaseBranch", branch, defaultBranch, prefix, err)
			}
			if branch != "" && branch == defaultBranch {
				t.Fatalf("LineFromBranch(%q, %q, %q): the default branch is refused: %v", branch, defaultBranch, prefix, err)
			}
			return
		}
		switch l.Kind {
		case MainLine:
			if branch == "" || branch != defaultBranch {
				t.Fatalf("LineFromBranch(%q, %q, %q) = main line for a branch that is not the default one", branch, defaultBranch, prefix)
			}
			if l.Major != 0 || l.Minor != 0 {
				t.Fatalf("main line with numbers: %+v", l)
			}
		case MajorLine, MinorLine:
			if prefix == "" {
				t.Fatalf("LineFromBranch(%q, %q, %q) = %+v without a release branch prefix", branch, defaultBranch, prefix, l)
			}
			// The branch spells the line exactly: no sign, no leading zero,
			// no other digits, nothing after.
			if want := prefix + l.String(); branch != want {
				t.Fatalf("LineFromBranch(%q, %q, %q) = line %s, but that line's branch is %q", branch, defaultBranch, prefix, l, want)
			}
			if l.Kind == MajorLine && l.Minor != 0 {
				t.Fatalf("major line with a minor number: %+v", l)
			}
			// The line's own versions belong to it.
			v := l.String() + ".0"
			if l.Kind == MajorLine {
				v += ".0"
			}
			got, ok := ParseTag(v, "")
			if !ok || !l.Contains(got) {
				t.Fatalf("line %s does not contain its first version %s", l, v)
			}
		default:
			t.Fatalf("LineFromBranch(%q, %q, %q): unknown kind %d", branch, defaultBranch, prefix, l.Kind)
		}
	})
}

// FuzzParseStable checks the STABLE_RELEASE switch: it never panics, agrees
// with the documented spellings, ignores surrounding space and refuses
// everything else with an error that quotes the value.
func FuzzParseStable(f *testing.F) {
	for _, s := range []string{
		"", "0", "1", "-1", "00", "+1", "true", "TRUE", "t", "yes", "Y", "false", "F", "no", "n",
		" 1 ", "\t\ntrue\n", "on", "off", "1.0", "0x1", "9223372036854775808", "treu", "\x00", "ｔｒｕｅ",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		on, err := ParseStable(s)
		trimmed := strings.TrimSpace(s)
		var want bool
		known := true
		if n, perr := strconv.ParseInt(trimmed, 10, 64); perr == nil {
			want = n != 0
		} else {
			switch strings.ToLower(trimmed) {
			case "true", "t", "yes", "y":
				want = true
			case "false", "f", "no", "n", "":
			default:
				known = false
			}
		}
		if !known {
			if err == nil {
				t.Fatalf("ParseStable(%q) = %v: a typo must be an error", s, on)
			}
			if on {
				t.Fatalf("ParseStable(%q) = true with an error", s)
			}
			if !strings.Contains(err.Error(), strconv.Quote(trimmed)) {
				t.Fatalf("ParseStable(%q): error %q does not quote the value", s, err)
			}
			return
		}
		if err != nil || on != want {
			t.Fatalf("ParseStable(%q) = %v, %v; want %v", s, on, err, want)
		}
		// Space around the value never changes the answer.
		if again, err := ParseStable(" \t" + s + "\n"); err != nil || again != on {
			t.Fatalf("ParseStable(%q) with surrounding space = %v, %v; want %v", s, again, err, on)
		}
	})
}

// FuzzParseImpact checks the impact names: whatever is accepted prints back
// to a name that parses to the same impact, and errors quote the input.
func FuzzParseImpact(f *testing.F) {
	for _, s := range []string{"major", "Minor", " PATCH ", "none", "", "majour", "ＭＡＪＯＲ", "\u212aajor", "maj\x00or"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		imp, err := ParseImpact(s)
		if err != nil {
			if imp != None {
				t.Fatalf("ParseImpact(%q) = %v with an error", s, imp)
			}
			if !strings.Contains(err.Error(), strconv.Quote(s)) {
				t.Fatalf("ParseImpact(%q): error %q does not quote the value", s, err)
			}
			return
		}
		if imp < None || imp > Major {
			t.Fatalf("ParseImpact(%q) = %d: out of range", s, imp)
		}
		if back, err := ParseImpact(imp.String()); err != nil || back != imp {
			t.Fatalf("ParseImpact(%q) = %v, but %q reads back as %v, %v", s, imp, imp.String(), back, err)
		}
		if !strings.EqualFold(strings.TrimSpace(s), imp.String()) && strings.TrimSpace(s) != "" {
			t.Fatalf("ParseImpact(%q) = %v: the value does not name that impact", s, imp)
		}
	})
}
