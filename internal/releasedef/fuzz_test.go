package releasedef

import (
	"errors"
	"strings"
	"testing"
)

// fileErrorsOnly checks that a parser fails only with *FileError values
// that carry the file name.
func fileErrorsOnly(t *testing.T, err error, file string) {
	if err == nil {
		return
	}
	var fe *FileError
	if !errors.As(err, &fe) {
		t.Fatalf("error %v is not a *FileError", err)
	}
	for _, line := range strings.Split(err.Error(), "\n") {
		if !strings.HasPrefix(line, file+":") {
			t.Fatalf("error line %q does not start with %s:", line, file)
		}
	}
}

func FuzzParseConfig(f *testing.F) {
	f.Add("")
	f.Add("includeOnlyArtifacts: [a, b]\nexcludeArtifacts: [c]\nonMissingTag: warn\n")
	f.Add("releasedefinitionProperties:\n  skipIfAlreadyInstalled: false\n  baselineOrg: prod\n  changelog:\n    workItemFilters: ['BRO-[0-9]+']\n    limit: 3\n")
	f.Add("changelog:\n  workItemFilters: ['(']\n")
	f.Add("a: &x [1]\nb: *x\n")
	f.Fuzz(func(t *testing.T, in string) {
		c, err := ParseConfig("c.yml", []byte(in))
		fileErrorsOnly(t, err, "c.yml")
		if err == nil && c == nil {
			t.Fatal("nil config without an error")
		}
	})
}

func FuzzParseSFDX(f *testing.F) {
	f.Add(sfdxProject)
	f.Add(`{"packageDirectories": [{"path": "a", "package": "a", "versionNumber": "1.0.0.NEXT"}]}`)
	f.Add(`{"packageDirectories": [], "packageAliases": {"x": "04t"}}`)
	f.Add("[")
	f.Fuzz(func(t *testing.T, in string) {
		m, err := ParseSFDX("p.json", []byte(in))
		fileErrorsOnly(t, err, "p.json")
		if err == nil {
			for _, d := range m.Dependencies {
				if !packageVersionID.MatchString(d.ID) {
					t.Fatalf("dependency %s has id %q", d.Name, d.ID)
				}
			}
			if len(m.Artifacts) == 0 {
				t.Fatal("no artifacts without an error")
			}
		}
	})
}

func FuzzParseGeneric(f *testing.F) {
	f.Add("artifacts:\n  - name: a\n    tagPattern: '{name}-{version}'\n    labels: [x]\n    dependencies: {y: 1}\n")
	f.Add("tagPattern: 'v{version}'\nartifacts: [{name: a}]\n")
	f.Fuzz(func(t *testing.T, in string) {
		m, err := ParseGeneric("m.yml", []byte(in))
		fileErrorsOnly(t, err, "m.yml")
		if err == nil {
			for _, a := range m.Artifacts {
				if checkPattern(a.TagPattern) != nil || a.Name == "" {
					t.Fatalf("accepted artifact %+v", a)
				}
			}
		}
	})
}

func FuzzMatcher(f *testing.F) {
	f.Add("{name}_v{version}", "core", "core_v1.2.3-4")
	f.Add("{name}-{version}-x", "a", "a-1.0.0-x")
	f.Add("{name}_v{version}", "core", "core_v1.2.0.6-ALIGN")
	f.Add("{name}_v{version}", "core", "core_v1.2.0.NEXT")
	f.Fuzz(func(t *testing.T, pattern, name, tag string) {
		if checkPattern(pattern) != nil {
			return
		}
		for _, sfp := range []bool{false, true} {
			m := newMatcher(Artifact{Name: name, TagPattern: pattern, SFPTags: sfp})
			tv, ok := m.version(tag)
			if !ok {
				continue
			}
			if !releaseVersion.MatchString(tv.s) {
				t.Fatalf("version %q is not an sfp version", tv.s)
			}
			if m.Prefix+tv.raw+m.Suffix != tag {
				t.Fatalf("%q is not %q + %q + %q", tag, m.Prefix, tv.raw, m.Suffix)
			}
			if tv.s != tv.raw && (!sfp || !sfpTagVersion.MatchString(tv.raw)) {
				t.Fatalf("%q rewritten as %q outside sfp's forms", tv.raw, tv.s)
			}
		}
	})
}
