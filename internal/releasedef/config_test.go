package releasedef

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func ptr[T any](v T) *T { return &v }

func TestParseConfigValid(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want *Config
	}{
		{
			name: "empty file",
			in:   "",
			want: &Config{File: "c.yml", Lines: map[string]int{}},
		},
		{
			name: "null document",
			in:   "---\n",
			want: &Config{File: "c.yml", Lines: map[string]int{}},
		},
		{
			name: "every key at the top level",
			in: `includeOnlyArtifacts: [core, ui]
excludeArtifacts:
  - legacy
includeOnlyArtifactsWithTag: [backend]
excludeArtifactsWithTag: [experimental]
includeOnlyPackageDependencies: ["Nebula Logger"]
excludePackageDependencies: [Marketing Cloud]
excludeAllPackageDependencies: false
onMissingTag: warn
skipIfAlreadyInstalled: false
baselineOrg: prod
promotePackagesBeforeDeploymentToOrg: uat
changelog:
  workItemFilters:
    - BRO-[0-9]{3,4}
    - "JIRA-\\d+"
  workItemUrl: https://bro.atlassian.net/browse
  limit: 30
  repoUrl: https://github.com/acme/crm
  showAllArtifacts: false
`,
			want: &Config{
				File:                                 "c.yml",
				IncludeOnlyArtifacts:                 []Entry{{"core", 1}, {"ui", 1}},
				ExcludeArtifacts:                     []Entry{{"legacy", 3}},
				IncludeOnlyArtifactsWithTag:          []Entry{{"backend", 4}},
				ExcludeArtifactsWithTag:              []Entry{{"experimental", 5}},
				IncludeOnlyPackageDependencies:       []Entry{{"Nebula Logger", 6}},
				ExcludePackageDependencies:           []Entry{{"Marketing Cloud", 7}},
				OnMissingTag:                         MissingTagWarn,
				SkipIfAlreadyInstalled:               ptr(false),
				BaselineOrg:                          ptr("prod"),
				PromotePackagesBeforeDeploymentToOrg: ptr("uat"),
				Changelog: &Changelog{
					WorkItemFilters:  []string{"BRO-[0-9]{3,4}", `JIRA-\d+`},
					WorkItemURL:      ptr("https://bro.atlassian.net/browse"),
					Limit:            ptr(30),
					RepoURL:          ptr("https://github.com/acme/crm"),
					ShowAllArtifacts: ptr(false),
				},
				Lines: map[string]int{
					"includeOnlyArtifacts": 1, "excludeArtifacts": 2, "includeOnlyArtifactsWithTag": 4,
					"excludeArtifactsWithTag": 5, "includeOnlyPackageDependencies": 6, "excludePackageDependencies": 7,
					"excludeAllPackageDependencies": 8, "onMissingTag": 9, "skipIfAlreadyInstalled": 10,
					"baselineOrg": 11, "promotePackagesBeforeDeploymentToOrg": 12, "changelog": 13,
				},
			},
		},
		{
			name: "sfp's releasedefinitionProperties",
			in: `excludePackageDependencies: [Marketing Cloud]
releasedefinitionProperties:
  skipIfAlreadyInstalled: true
  baselineOrg: prod
  changelog:
    workItemFilters: ["BRO-[0-9]{3,4}"]
`,
			want: &Config{
				File:                       "c.yml",
				ExcludePackageDependencies: []Entry{{"Marketing Cloud", 1}},
				SkipIfAlreadyInstalled:     ptr(true),
				BaselineOrg:                ptr("prod"),
				Changelog:                  &Changelog{WorkItemFilters: []string{"BRO-[0-9]{3,4}"}},
				Lines: map[string]int{"excludePackageDependencies": 1, "releasedefinitionProperties": 2,
					"skipIfAlreadyInstalled": 3, "baselineOrg": 4, "changelog": 5},
			},
		},
		{
			name: "onMissingTag skip, anchors",
			in:   "onMissingTag: skip\nincludeOnlyArtifacts: &a [core]\nexcludeArtifacts: *a\n",
			want: &Config{File: "c.yml", OnMissingTag: MissingTagSkip,
				IncludeOnlyArtifacts: []Entry{{"core", 2}}, ExcludeArtifacts: []Entry{{"core", 2}},
				Lines: map[string]int{"onMissingTag": 1, "includeOnlyArtifacts": 2, "excludeArtifacts": 3}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseConfig("c.yml", []byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseConfig (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string // each line of the error, in order
	}{
		{"not YAML", "a: [b\n", []string{"c.yml:1: not valid YAML"}},
		{"not a mapping", "- a\n", []string{`c.yml:1: expected a mapping of settings, found a list; expected keys: includeOnlyArtifacts`}},
		{"key with a line break twice", "? \"a\\nb\"\n: 1\n? \"a\\nb\"\n: 2\n", []string{`c.yml:1: unknown key "a\nb"`, `c.yml:3: "a\nb" is given twice (first at line 1)`}},
		{"limit tagged int with a line break", "changelog:\n  limit: !!int \"1\\n2\"\n", []string{`c.yml:2: changelog.limit: expected a positive integer, found "1\n2"`}},
		{"custom tag", "!foo bar\n", []string{`c.yml:1: expected a mapping of settings, found the value "bar" with the YAML tag "!foo"; expected keys:`}},
		{"custom tag with a line break", "!%0A\n", []string{`c.yml:1: expected a mapping of settings, found the value "" with the YAML tag`}},
		{"unknown key", "includeOnlyArtifact: [a]\n", []string{`c.yml:1: unknown key "includeOnlyArtifact"; expected keys:`}},
		{"list expected", "includeOnlyArtifacts: core\n", []string{`c.yml:1: includeOnlyArtifacts: expected a list of names, found "core"`}},
		{"name is a number", "excludeArtifacts:\n  - 1.0\n", []string{`c.yml:2: excludeArtifacts: expected a name (a string; quote names that YAML reads as numbers or booleans), found the number 1.0`}},
		{"name listed twice", "excludeArtifacts: [a, b, a]\n", []string{`c.yml:1: excludeArtifacts: "a" is listed twice (first at line 1)`}},
		{"bool expected", "skipIfAlreadyInstalled: yes\n", []string{`c.yml:1: skipIfAlreadyInstalled: expected true or false, found "yes"`}},
		{"string expected", "baselineOrg: 12\n", []string{`c.yml:1: baselineOrg: expected a string, found the integer 12`}},
		{"empty string", "promotePackagesBeforeDeploymentToOrg: ''\n", []string{`c.yml:1: promotePackagesBeforeDeploymentToOrg: expected a non-empty string`}},
		{"null", "baselineOrg:\nskipIfAlreadyInstalled: true\n", []string{`c.yml:1: baselineOrg: expected a string, found nothing (null)`}},
		{"onMissingTag", "onMissingTag: ignore\n", []string{`c.yml:1: onMissingTag: unknown value "ignore": expected error, warn or skip`}},
		{"onMissingTag type", "onMissingTag: [warn]\n", []string{`c.yml:1: onMissingTag: expected a string, found a list`}},
		{"regex", "changelog:\n  workItemFilters:\n    - 'BRO-[0-9'\n", []string{`c.yml:3: changelog.workItemFilters: "BRO-[0-9" does not compile: missing closing ]`}},
		{"filters not a list", "changelog:\n  workItemFilters: BRO\n", []string{`c.yml:2: changelog.workItemFilters: expected a list of regular expressions, found "BRO"`}},
		{"limit", "changelog:\n  limit: ten\n", []string{`c.yml:2: changelog.limit: expected a positive integer, found "ten"`}},
		{"limit zero", "changelog:\n  limit: 0\n", []string{`c.yml:2: changelog.limit: expected a positive integer, found 0`}},
		{"changelog key", "changelog:\n  workItemFilter: BRO\n", []string{`c.yml:2: unknown key "workItemFilter" in changelog; expected keys: workItemFilters`}},
		{"changelog type", "changelog: yes\n", []string{`c.yml:1: changelog: expected a mapping, found "yes"`}},
		{"baselineOrg alone", "baselineOrg: prod\n", []string{`c.yml:1: baselineOrg needs skipIfAlreadyInstalled`}},
		{"duplicate key", "onMissingTag: warn\nonMissingTag: skip\n", []string{`c.yml:2: onMissingTag is given twice (first at line 1)`}},
		{"both places", "baselineOrg: a\nskipIfAlreadyInstalled: true\nreleasedefinitionProperties:\n  baselineOrg: b\n", []string{`c.yml:4: baselineOrg is given twice (first at line 1): keep it either at the top level or under releasedefinitionProperties`}},
		{"properties key", "releasedefinitionProperties:\n  includeOnlyArtifacts: [a]\n", []string{`c.yml:2: unknown key "includeOnlyArtifacts" in releasedefinitionProperties`}},
		{"properties type", "releasedefinitionProperties: [a]\n", []string{`c.yml:1: releasedefinitionProperties: expected a mapping, found a list`}},
		{
			name: "every error at once, in line order",
			in:   "bogus: 1\nexcludeArtifacts: x\nchangelog:\n  limit: -2\n",
			want: []string{`c.yml:1: unknown key "bogus"`, `c.yml:2: excludeArtifacts: expected a list`, `c.yml:4: changelog.limit: expected a positive integer, found -2`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseConfig("c.yml", []byte(tt.in))
			if err == nil {
				t.Fatal("no error")
			}
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("%v is not a *FileError", err)
			}
			lines := strings.Split(err.Error(), "\n")
			if len(lines) != len(tt.want) {
				t.Fatalf("got %d errors, want %d:\n%v", len(lines), len(tt.want), err)
			}
			for i, w := range tt.want {
				if !strings.HasPrefix(lines[i], w) {
					t.Errorf("error %d:\n got %s\nwant %s...", i, lines[i], w)
				}
			}
		})
	}
}
