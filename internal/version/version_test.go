package version

import (
	"errors"
	"testing"

	"github.com/Masterminds/semver/v3"
	"github.com/google/go-cmp/cmp"
)

func v(s string) *semver.Version { return semver.MustParse(s) }

func TestNext(t *testing.T) {
	main := Line{Kind: MainLine}
	tests := []struct {
		name    string
		in      Input
		want    string // "" = no release
		wantErr error
		warns   int
	}{
		{name: "no tag, patch", in: Input{Line: main, Impact: Patch}, want: "0.0.1"},
		{name: "no tag, minor", in: Input{Line: main, Impact: Minor}, want: "0.1.0"},
		{name: "no tag, major bumps minor on 0.x", in: Input{Line: main, Impact: Major}, want: "0.1.0"},
		{name: "0.x major bumps minor", in: Input{Line: main, Latest: v("0.4.2"), Impact: Major}, want: "0.5.0"},
		{name: "0.x minor bumps minor", in: Input{Line: main, Latest: v("0.4.2"), Impact: Minor}, want: "0.5.0"},
		{name: "0.x patch", in: Input{Line: main, Latest: v("0.4.2"), Impact: Patch}, want: "0.4.3"},
		{name: "stable forces 1.0.0", in: Input{Line: main, Latest: v("0.4.2"), Impact: Patch, Stable: true}, want: "1.0.0"},
		{name: "stable with no changes", in: Input{Line: main, Latest: v("0.4.2"), Stable: true}, want: "1.0.0"},
		{name: "stable with no tag", in: Input{Line: main, Stable: true}, want: "1.0.0"},
		{name: "stable ignored from 1.0.0", in: Input{Line: main, Latest: v("1.2.3"), Impact: Patch, Stable: true}, want: "1.2.4"},
		{name: "stable ignored, nothing new", in: Input{Line: main, Latest: v("1.2.3"), Stable: true}, want: ""},
		{name: "1.x major", in: Input{Line: main, Latest: v("1.2.3"), Impact: Major}, want: "2.0.0"},
		{name: "1.x minor", in: Input{Line: main, Latest: v("1.2.3"), Impact: Minor}, want: "1.3.0"},
		{name: "1.x patch", in: Input{Line: main, Latest: v("1.2.3"), Impact: Patch}, want: "1.2.4"},
		{name: "nothing new", in: Input{Line: main, Latest: v("1.2.3")}, want: ""},
		{name: "release/1 minor", in: Input{Line: Line{Kind: MajorLine, Major: 1}, Latest: v("1.2.0"), Impact: Minor}, want: "1.3.0"},
		{name: "release/1 patch", in: Input{Line: Line{Kind: MajorLine, Major: 1}, Latest: v("1.2.0"), Impact: Patch}, want: "1.2.1"},
		{name: "release/1 major refused", in: Input{Line: Line{Kind: MajorLine, Major: 1}, Latest: v("1.2.0"), Impact: Major}, wantErr: ErrLineViolation},
		{name: "release/0 major allowed", in: Input{Line: Line{Kind: MajorLine, Major: 0}, Latest: v("0.3.1"), Impact: Major}, want: "0.4.0"},
		{name: "release/0 stable refused", in: Input{Line: Line{Kind: MajorLine, Major: 0}, Latest: v("0.3.1"), Stable: true}, wantErr: ErrLineViolation},
		{name: "release/1.2 patch", in: Input{Line: Line{Kind: MinorLine, Major: 1, Minor: 2}, Latest: v("1.2.0"), Impact: Patch}, want: "1.2.1"},
		{name: "release/1.2 minor refused", in: Input{Line: Line{Kind: MinorLine, Major: 1, Minor: 2}, Latest: v("1.2.0"), Impact: Minor}, wantErr: ErrLineViolation},
		{name: "release/0.3 minor refused", in: Input{Line: Line{Kind: MinorLine, Major: 0, Minor: 3}, Latest: v("0.3.0"), Impact: Major}, wantErr: ErrLineViolation},
		{name: "newest of kind warns", in: Input{Line: Line{Kind: MajorLine, Major: 2}, Latest: v("2.1.0"), Impact: Patch, NewestOfKind: true}, want: "2.1.1", warns: 1},
		{name: "release line without tags", in: Input{Line: Line{Kind: MinorLine, Major: 3, Minor: 1}, Impact: Patch}, want: "3.1.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Next(tt.in)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Next() error = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Next() error = %v", err)
			}
			gotV := ""
			if got.Released {
				gotV = got.Next.String()
			}
			if gotV != tt.want {
				t.Errorf("Next() = %q, want %q (reason %q)", gotV, tt.want, got.Reason)
			}
			if got.Reason == "" {
				t.Error("Next() gave no reason")
			}
			if len(got.Warnings) != tt.warns {
				t.Errorf("warnings = %q, want %d", got.Warnings, tt.warns)
			}
		})
	}
}

func TestParseTag(t *testing.T) {
	tests := []struct {
		name, tag, prefix string
		want              string // "" = not a release tag
	}{
		{"plain", "1.2.3", "", "1.2.3"},
		{"v prefix", "v1.2.3", "", "1.2.3"},
		{"v prefix configured", "v1.2.3", "v", "1.2.3"},
		{"plain with v configured", "1.2.3", "v", ""},
		{"custom prefix", "lib-1.2.3", "lib-", "1.2.3"},
		{"custom prefix missing", "1.2.3", "lib-", ""},
		{"prerelease", "1.2.3-rc.1", "", ""},
		{"build metadata", "1.2.3+b1", "", ""},
		{"two parts", "v1.2", "", ""},
		{"words", "latest", "", ""},
		{"leading zero", "1.02.3", "", ""},
		{"four parts", "1.2.3.4", "", ""},
		{"double v", "vv1.2.3", "", ""},
		{"empty", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ParseTag(tt.tag, tt.prefix)
			gotS := ""
			if ok {
				gotS = got.String()
			}
			if gotS != tt.want {
				t.Errorf("ParseTag(%q, %q) = %q, want %q", tt.tag, tt.prefix, gotS, tt.want)
			}
		})
	}
}

func FuzzParseTag(f *testing.F) {
	for _, s := range []string{"1.2.3", "v0.0.1", "1.2.3-rc.1", "latest", "v1.2", "18446744073709551615.0.0", "18446744073709551616.0.0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := ParseTag(s, "")
		if !ok {
			return
		}
		// A release tag names exactly its version, with or without "v".
		if s != got.String() && s != "v"+got.String() {
			t.Fatalf("ParseTag(%q) = %s: the tag does not spell that version", s, got)
		}
		if got.Prerelease() != "" || got.Metadata() != "" {
			t.Fatalf("ParseTag(%q) accepted a prerelease or build", s)
		}
	})
}

func TestLineFromBranch(t *testing.T) {
	tests := []struct {
		name, branch string
		want         Line
		wantErr      bool
	}{
		{name: "default", branch: "main", want: Line{Kind: MainLine}},
		{name: "major", branch: "release/2", want: Line{Kind: MajorLine, Major: 2}},
		{name: "zero major", branch: "release/0", want: Line{Kind: MajorLine, Major: 0}},
		{name: "minor", branch: "release/2.10", want: Line{Kind: MinorLine, Major: 2, Minor: 10}},
		{name: "feature", branch: "feature/x", wantErr: true},
		{name: "three parts", branch: "release/1.2.3", wantErr: true},
		{name: "leading zero", branch: "release/01", wantErr: true},
		{name: "words", branch: "release/next", wantErr: true},
		{name: "empty number", branch: "release/1.", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := LineFromBranch(tt.branch, "main", "release/")
			if tt.wantErr {
				if !errors.Is(err, ErrNotReleaseBranch) {
					t.Fatalf("error = %v, want ErrNotReleaseBranch", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("LineFromBranch(%q) mismatch (-want +got):\n%s", tt.branch, diff)
			}
		})
	}
}

func TestParseStable(t *testing.T) {
	for _, s := range []string{"1", "42", "-1", "true", "TRUE", "True", "t", "T", "yes", "YES", "y", "Y"} {
		if got, err := ParseStable(s); err != nil || !got {
			t.Errorf("ParseStable(%q) = %v, %v; want true", s, got, err)
		}
	}
	for _, s := range []string{"", "0", "false", "no", "N", "f"} {
		if got, err := ParseStable(s); err != nil || got {
			t.Errorf("ParseStable(%q) = %v, %v; want false", s, got, err)
		}
	}
	for _, s := range []string{"yess", "on", "1.0", "truee"} {
		if _, err := ParseStable(s); err == nil {
			t.Errorf("ParseStable(%q) gave no error", s)
		}
	}
}
