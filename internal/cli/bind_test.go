package cli

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/relman-dev/relman/internal/ci"
	"github.com/relman-dev/relman/internal/version"
)

// TestBind checks that settings are bound to typed options at parse time,
// wherever their values come from, and that a value that does not bind is
// a usage error naming the setting as given.
func TestBind(t *testing.T) {
	type opts struct {
		Text, Enum string
		On, Stable bool
		N          int
		Tags       version.TagScheme
		Common     commonOptions
	}
	define := func(s *settings, o *opts) {
		addCommonSettings(s, &o.Common)
		s.add("text", "def", "").to(&o.Text)
		s.addEnum("enum", "simple", "", []string{"simple", "maven"}).to(&o.Enum)
		s.addBool("on", "").toBool(&o.On)
		s.addSwitch("stable", "", version.ParseStable, "STABLE_RELEASE").toBool(&o.Stable)
		s.addNumber("n", "3", "", nil).toInt(&o.N)
		s.add("tag-prefix", "", "").toFunc(func(v string) error {
			if strings.ContainsAny(v, " ") {
				return errBadPrefix
			}
			o.Tags = version.PrefixScheme(v)
			return nil
		})
	}
	for _, tc := range []struct {
		name    string
		args    []string
		env     map[string]string
		want    opts
		wantErr string
	}{
		{name: "defaults", want: opts{Text: "def", Enum: "simple", N: 3, Common: commonOptions{repo: ".", remote: "origin"}}},
		{name: "flags", args: []string{"--text", " x ", "--enum", "MAVEN", "--on", "--stable=yes", "--n", "7", "--tag-prefix", "v", "--dry-run", "--repo", "r"},
			want: opts{Text: "x", Enum: "maven", On: true, Stable: true, N: 7, Tags: version.PrefixScheme("v"),
				Common: commonOptions{repo: "r", remote: "origin", dryRun: true, dryRunFlag: true}}},
		{name: "variables", env: map[string]string{"RELMAN_TEXT": "y", "RELMAN_ON": "1", "STABLE_RELEASE": "t", "RELMAN_N": "9", "RELMAN_DRY_RUN": "true", "RELMAN_OUTPUT": "json"},
			want: opts{Text: "y", Enum: "simple", On: true, Stable: true, N: 9, Common: commonOptions{repo: ".", remote: "origin", dryRun: true, output: ci.JSON}}},
		{name: "action inputs", env: map[string]string{"GITHUB_ACTIONS": "true", "INPUT_ENUM": "maven", "INPUT_N": "2"},
			want: opts{Text: "def", Enum: "maven", N: 2, Common: commonOptions{repo: ".", remote: "origin"}}},
		{name: "bad number", args: []string{"--n", "many"}, wantErr: `--n: "many": expected a whole number`},
		{name: "bad bind from a variable", env: map[string]string{"RELMAN_TAG_PREFIX": "a b"}, wantErr: "RELMAN_TAG_PREFIX: " + errBadPrefix.Error()},
		{name: "bad enum", args: []string{"--enum", "gradle"}, wantErr: `--enum: unknown value "gradle": expected simple or maven`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSettings("t", func(k string) string { return tc.env[k] }, io.Discard)
			var got opts
			define(s, &got)
			_, err := s.parse(tc.args)
			if tc.wantErr != "" {
				if err == nil || exitCode(err) != ExitUsage || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want a usage error saying %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(commonOptions{}, version.TagScheme{})); diff != "" {
				t.Errorf("bound options (-want +got):\n%s", diff)
			}
		})
	}
}

var errBadPrefix = errors.New("a tag prefix has no spaces")
