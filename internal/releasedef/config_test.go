package releasedef

import (
	"errors"
	"os"
	"path/filepath"
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
skipIfAlreadyInstalled: true
baselineOrg: prod
promotePackagesBeforeDeploymentToOrg: uat
changelog:
  workItemFilters:
    - BRO-[0-9]{3,4}
    - "JIRA-\\d+"
  workItemUrl: https://bro.atlassian.net/browse
  limit: 30
  showAllArtifacts: false
releaseName: crm
pool: ci-pool
dependencyOn: [platform, "billing"]
skipArtifactUpdate: true
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
				SkipIfAlreadyInstalled:               ptr(true),
				BaselineOrg:                          ptr("prod"),
				PromotePackagesBeforeDeploymentToOrg: ptr("uat"),
				Changelog: &Changelog{
					WorkItemFilters:  []string{"BRO-[0-9]{3,4}", `JIRA-\d+`},
					WorkItemURL:      ptr("https://bro.atlassian.net/browse"),
					Limit:            ptr(30),
					ShowAllArtifacts: ptr(false),
				},
				ReleaseName:        ptr("crm"),
				Pool:               ptr("ci-pool"),
				DependencyOn:       []Entry{{"platform", 22}, {"billing", 22}},
				SkipArtifactUpdate: ptr(true),
				Lines: map[string]int{
					"includeOnlyArtifacts": 1, "excludeArtifacts": 2, "includeOnlyArtifactsWithTag": 4,
					"excludeArtifactsWithTag": 5, "includeOnlyPackageDependencies": 6, "excludePackageDependencies": 7,
					"excludeAllPackageDependencies": 8, "onMissingTag": 9, "skipIfAlreadyInstalled": 10,
					"baselineOrg": 11, "promotePackagesBeforeDeploymentToOrg": 12, "changelog": 13,
					"releaseName": 20, "pool": 21, "dependencyOn": 22, "skipArtifactUpdate": 23,
				},
			},
		},
		{
			name: "sfp's releasedefinitionProperties",
			in: `releaseName: crm
excludePackageDependencies: [Marketing Cloud]
releasedefinitionProperties:
  skipIfAlreadyInstalled: true
  skipArtifactUpdate: false
  baselineOrg: prod
  changelog:
    workItemFilters: ["BRO-[0-9]{3,4}"]
`,
			want: &Config{
				File:                       "c.yml",
				ReleaseName:                ptr("crm"),
				ExcludePackageDependencies: []Entry{{"Marketing Cloud", 2}},
				SkipIfAlreadyInstalled:     ptr(true),
				SkipArtifactUpdate:         ptr(false),
				BaselineOrg:                ptr("prod"),
				Changelog:                  &Changelog{WorkItemFilters: []string{"BRO-[0-9]{3,4}"}},
				Lines: map[string]int{"releaseName": 1, "excludePackageDependencies": 2, "releasedefinitionProperties": 3,
					"skipIfAlreadyInstalled": 4, "skipArtifactUpdate": 5, "baselineOrg": 6, "changelog": 7},
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
		{"not a mapping", "- a\n", []string{`c.yml:1: expected a mapping of settings, found a list; expected keys: releaseName, pool (strings), includeOnlyArtifacts`}},
		{"key with a line break twice", "? \"a\\nb\"\n: 1\n? \"a\\nb\"\n: 2\n", []string{`c.yml:1: unknown key "a\nb"`, `c.yml:3: "a\nb" is given twice (first at line 1)`}},
		{"limit tagged int with a line break", "changelog:\n  workItemFilters: []\n  limit: !!int \"1\\n2\"\n", []string{`c.yml:3: changelog.limit: expected a positive integer, found "1\n2"`}},
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
		{"limit", "changelog:\n  workItemFilters: []\n  limit: ten\n", []string{`c.yml:3: changelog.limit: expected a positive integer, found "ten"`}},
		{"limit zero", "changelog:\n  workItemFilters: []\n  limit: 0\n", []string{`c.yml:3: changelog.limit: expected a positive integer, found 0`}},
		{"changelog key", "changelog:\n  workItemFilters: []\n  workItemUrls: x\n", []string{`c.yml:3: unknown key "workItemUrls" in changelog; expected keys: workItemFilters`}},
		{"legacy workItemFilter", "changelog:\n  workItemFilter: BRO-\\d+\n", []string{`c.yml:1: changelog: no workItemFilters: sfp's schema requires`, `c.yml:2: changelog.workItemFilter: sfp's release config takes a list: write workItemFilters: ["BRO-\\d+"]`}},
		{"no workItemFilters", "releasedefinitionProperties:\n  changelog:\n    limit: 3\n", []string{`c.yml:2: changelog: no workItemFilters: sfp's schema requires the regular expressions`}},
		{"repoUrl", "changelog:\n  workItemFilters: [a]\n  repoUrl: https://github.com/acme/crm\n", []string{`c.yml:3: changelog.repoUrl is not in sfp's release definition schema, so sfp release would refuse the file: remove it`}},
		{"baselineOrg with skipIfAlreadyInstalled false", "baselineOrg: prod\nskipIfAlreadyInstalled: false\n", []string{`c.yml:2: skipIfAlreadyInstalled: false contradicts baselineOrg (line 1): sfp's loader refuses a release definition with both`}},
		{"baselineOrg with false, sfp's layout", "releasedefinitionProperties:\n  skipIfAlreadyInstalled: false\n  baselineOrg: prod\n", []string{`c.yml:2: skipIfAlreadyInstalled: false contradicts baselineOrg (line 3)`}},
		{"releaseName type", "releaseName: 2024\n", []string{`c.yml:1: releaseName: expected a string, found the integer 2024`}},
		{"releaseName in properties", "releasedefinitionProperties:\n  releaseName: crm\n", []string{`c.yml:2: unknown key "releaseName" in releasedefinitionProperties`}},
		{"dependencyOn type", "dependencyOn: platform\n", []string{`c.yml:1: dependencyOn: expected a list of names, found "platform"`}},
		{"pool empty", "pool: ''\n", []string{`c.yml:1: pool: expected a non-empty string`}},
		{"skipArtifactUpdate type", "releasedefinitionProperties:\n  skipArtifactUpdate: 'no'\n", []string{`c.yml:2: skipArtifactUpdate: expected true or false, found "no"`}},
		{"typo next to sfp keys", "releaseName: crm\nreleaseNmae: crm\n", []string{`c.yml:2: unknown key "releaseNmae"; expected keys: releaseName, pool`}},
		{"changelog type", "changelog: yes\n", []string{`c.yml:1: changelog: expected a mapping, found "yes"`}},
		{"baselineOrg alone", "baselineOrg: prod\n", []string{`c.yml:1: baselineOrg needs skipIfAlreadyInstalled`}},
		{"duplicate key", "onMissingTag: warn\nonMissingTag: skip\n", []string{`c.yml:2: onMissingTag is given twice (first at line 1)`}},
		{"both places", "baselineOrg: a\nskipIfAlreadyInstalled: true\nreleasedefinitionProperties:\n  baselineOrg: b\n", []string{`c.yml:4: baselineOrg is given twice (first at line 1): keep it either at the top level or under releasedefinitionProperties`}},
		{"properties key", "releasedefinitionProperties:\n  includeOnlyArtifacts: [a]\n", []string{`c.yml:2: unknown key "includeOnlyArtifacts" in releasedefinitionProperties`}},
		{"properties type", "releasedefinitionProperties: [a]\n", []string{`c.yml:1: releasedefinitionProperties: expected a mapping, found a list`}},
		{
			name: "every error at once, in line order",
			in:   "bogus: 1\nexcludeArtifacts: x\nchangelog:\n  workItemFilters: []\n  limit: -2\n",
			want: []string{`c.yml:1: unknown key "bogus"`, `c.yml:2: excludeArtifacts: expected a list`, `c.yml:5: changelog.limit: expected a positive integer, found -2`},
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

// TestDocsConfigExample: the config example of docs/releasedef.md is a
// valid config.
func TestDocsConfigExample(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "releasedef.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(doc), "\n## The config\n")
	if !ok {
		t.Fatal(`docs/releasedef.md has no "## The config" section`)
	}
	_, block, ok := strings.Cut(after, "```yaml\n")
	if !ok {
		t.Fatal("docs/releasedef.md: no YAML example under ## The config")
	}
	block, _, _ = strings.Cut(block, "```")
	c, err := ParseConfig("docs/releasedef.md", []byte(block))
	if err != nil {
		t.Fatal(err)
	}
	if c.ReleaseName == nil || c.Changelog == nil || c.SkipArtifactUpdate == nil {
		t.Errorf("the example lost keys: %+v", c)
	}
}
