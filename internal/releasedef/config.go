package releasedef

import (
	"errors"
	"fmt"
	"regexp"
	"regexp/syntax"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"gopkg.in/yaml.v3"
)

// FileError is an error in an input file, at a line (0 when the whole file
// is concerned). Every error in a config or manifest is one; callers use
// errors.As to tell bad input from failures.
type FileError struct {
	File string
	Line int
	Msg  string
}

func (e *FileError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// errorList collects the errors of one file so that a user sees them all.
type errorList struct {
	file string
	errs []error // *FileError
}

func (l *errorList) add(line int, format string, args ...any) {
	l.errs = append(l.errs, &FileError{File: l.file, Line: line, Msg: fmt.Sprintf(format, args...)})
}

// err joins the errors in line order.
func (l *errorList) err() error {
	sort.SliceStable(l.errs, func(i, j int) bool {
		return l.errs[i].(*FileError).Line < l.errs[j].(*FileError).Line
	})
	return errors.Join(l.errs...)
}

// MissingTag says what to do with an artifact that has no version tag
// reachable from the ref.
type MissingTag int

const (
	// MissingTagError fails the run (the default).
	MissingTagError MissingTag = iota
	// MissingTagWarn leaves the artifact out with a warning.
	MissingTagWarn
	// MissingTagSkip leaves the artifact out, logged as information.
	MissingTagSkip
)

func (m MissingTag) String() string {
	return [...]string{"error", "warn", "skip"}[m]
}

// Entry is one name in a config list, with its line.
type Entry struct {
	Name string
	Line int
}

// Changelog is the changelog section copied into the release definition.
// sfp's schema requires workItemFilters and has no other keys than these.
type Changelog struct {
	WorkItemFilters  []string
	WorkItemURL      *string
	Limit            *int
	ShowAllArtifacts *bool
}

// Config is a release definition config: which artifacts and package
// dependencies go into the definition, and the properties copied into it.
type Config struct {
	File string

	// ReleaseName is sfp's releaseName: the definition's
	// releaseConfigName, which sfp release names the folders of its
	// artifacts and changelog after.
	ReleaseName *string
	// Pool and DependencyOn are sfp keys for other commands (validation
	// pools, dependent release configs): read and checked, not used here.
	Pool         *string
	DependencyOn []Entry

	IncludeOnlyArtifacts           []Entry
	ExcludeArtifacts               []Entry
	IncludeOnlyArtifactsWithTag    []Entry
	ExcludeArtifactsWithTag        []Entry
	IncludeOnlyPackageDependencies []Entry
	ExcludePackageDependencies     []Entry
	ExcludeAllPackageDependencies  bool
	OnMissingTag                   MissingTag

	// Release properties; nil when the config does not set them, so that
	// an explicit false or empty value survives.
	SkipIfAlreadyInstalled               *bool
	SkipArtifactUpdate                   *bool
	BaselineOrg                          *string
	PromotePackagesBeforeDeploymentToOrg *string
	Changelog                            *Changelog

	// Lines of the keys given, for warnings.
	Lines map[string]int
}

// configShape is the shape of a config, for error messages: sfp's
// release config schema (release-config.schema.json) and relman's keys.
const configShape = `expected keys: releaseName, pool (strings), includeOnlyArtifacts, excludeArtifacts, includeOnlyArtifactsWithTag, excludeArtifactsWithTag, ` +
	`includeOnlyPackageDependencies, excludePackageDependencies, dependencyOn (lists of names), excludeAllPackageDependencies (true/false), ` +
	`onMissingTag (error, warn or skip), skipIfAlreadyInstalled, skipArtifactUpdate (true/false), baselineOrg, promotePackagesBeforeDeploymentToOrg (strings), ` +
	`changelog (a mapping), releasedefinitionProperties (a mapping of the release properties, as sfp writes them)`

const propertiesShape = `expected keys: skipIfAlreadyInstalled, skipArtifactUpdate (true/false), baselineOrg, promotePackagesBeforeDeploymentToOrg (strings), changelog (a mapping)`

const changelogShape = `expected keys: workItemFilters (a list of regular expressions, required), workItemUrl (a string), limit (a positive integer), showAllArtifacts (true/false)`

// ParseConfig reads a release definition config (YAML). file names it in
// errors. Unknown keys, wrong types, bad regular expressions and
// contradictions are reported together, each with its line.
func ParseConfig(file string, data []byte) (*Config, error) {
	c := &Config{File: file, Lines: map[string]int{}}
	l := &errorList{file: file}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, &FileError{File: file, Line: yamlErrorLine(err), Msg: fmt.Sprintf("not valid YAML: %s", yamlErrorText(err))}
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return c, nil // an empty config: every artifact, every dependency
	}
	root := resolveAlias(doc.Content[0])
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return c, nil
	}
	if root.Kind != yaml.MappingNode {
		l.add(root.Line, "expected a mapping of settings, found %s; %s", describe(root), configShape)
		return nil, l.err()
	}
	c.parseMapping(l, root, false)
	// sfp's generator refuses a baseline org without skipIfAlreadyInstalled
	// true in the config, and its loader a definition with a baseline org
	// and skipIfAlreadyInstalled false.
	switch {
	case c.BaselineOrg != nil && c.SkipIfAlreadyInstalled == nil:
		l.add(c.Lines["baselineOrg"], "baselineOrg needs skipIfAlreadyInstalled: true: sfp only reads the baseline org to skip artifacts already installed there, and its generator refuses a baseline org without it; add skipIfAlreadyInstalled: true")
	case c.BaselineOrg != nil && !*c.SkipIfAlreadyInstalled:
		l.add(c.Lines["skipIfAlreadyInstalled"], "skipIfAlreadyInstalled: false contradicts baselineOrg (line %d): sfp's loader refuses a release definition with both (\"'skipIfAlreadyInstalled' must be true for 'baselineOrg'\"); set skipIfAlreadyInstalled: true, or remove baselineOrg to redeploy everything", c.Lines["baselineOrg"])
	}
	if err := l.err(); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Config) parseMapping(l *errorList, m *yaml.Node, properties bool) {
	seen := map[string]int{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], resolveAlias(m.Content[i+1])
		key := k.Value
		if prev, dup := seen[key]; dup {
			l.add(k.Line, "%s is given twice (first at line %d)", shown(key), prev)
			continue
		}
		seen[key] = k.Line
		if properties {
			switch key {
			case "skipIfAlreadyInstalled", "skipArtifactUpdate", "baselineOrg", "promotePackagesBeforeDeploymentToOrg", "changelog":
			default:
				l.add(k.Line, "unknown key %q in releasedefinitionProperties; %s", key, propertiesShape)
				continue
			}
		}
		if prev, ok := c.Lines[key]; ok && key != "releasedefinitionProperties" {
			l.add(k.Line, "%s is given twice (first at line %d): keep it either at the top level or under releasedefinitionProperties", key, prev)
			continue
		}
		c.Lines[key] = k.Line
		switch key {
		case "releaseName":
			if s, ok := nonEmpty(l, key, v); ok {
				c.ReleaseName = &s
			}
		case "pool":
			if s, ok := nonEmpty(l, key, v); ok {
				c.Pool = &s
			}
		case "dependencyOn":
			c.DependencyOn = names(l, key, v)
		case "includeOnlyArtifacts":
			c.IncludeOnlyArtifacts = names(l, key, v)
		case "excludeArtifacts":
			c.ExcludeArtifacts = names(l, key, v)
		case "includeOnlyArtifactsWithTag":
			c.IncludeOnlyArtifactsWithTag = names(l, key, v)
		case "excludeArtifactsWithTag":
			c.ExcludeArtifactsWithTag = names(l, key, v)
		case "includeOnlyPackageDependencies":
			c.IncludeOnlyPackageDependencies = names(l, key, v)
		case "excludePackageDependencies":
			c.ExcludePackageDependencies = names(l, key, v)
		case "excludeAllPackageDependencies":
			if b, ok := boolean(l, key, v); ok {
				c.ExcludeAllPackageDependencies = b
			}
		case "onMissingTag":
			s, ok := str(l, key, v)
			if !ok {
				break
			}
			switch s {
			case "error":
				c.OnMissingTag = MissingTagError
			case "warn":
				c.OnMissingTag = MissingTagWarn
			case "skip":
				c.OnMissingTag = MissingTagSkip
			default:
				l.add(v.Line, "onMissingTag: unknown value %q: expected error, warn or skip", s)
			}
		case "skipIfAlreadyInstalled":
			if b, ok := boolean(l, key, v); ok {
				c.SkipIfAlreadyInstalled = &b
			}
		case "skipArtifactUpdate":
			if b, ok := boolean(l, key, v); ok {
				c.SkipArtifactUpdate = &b
			}
		case "baselineOrg":
			if s, ok := nonEmpty(l, key, v); ok {
				c.BaselineOrg = &s
			}
		case "promotePackagesBeforeDeploymentToOrg":
			if s, ok := nonEmpty(l, key, v); ok {
				c.PromotePackagesBeforeDeploymentToOrg = &s
			}
		case "changelog":
			c.Changelog = parseChangelog(l, k.Line, v)
		case "releasedefinitionProperties":
			if properties {
				l.add(k.Line, "releasedefinitionProperties inside releasedefinitionProperties; %s", propertiesShape)
				break
			}
			if v.Kind != yaml.MappingNode {
				l.add(v.Line, "releasedefinitionProperties: expected a mapping, found %s; %s", describe(v), propertiesShape)
				break
			}
			c.parseMapping(l, v, true)
		default:
			l.add(k.Line, "unknown key %q; %s", key, configShape)
		}
	}
}

func parseChangelog(l *errorList, line int, v *yaml.Node) *Changelog {
	if v.Kind != yaml.MappingNode {
		l.add(v.Line, "changelog: expected a mapping, found %s; %s", describe(v), changelogShape)
		return nil
	}
	cl := &Changelog{}
	seen := map[string]int{}
	for i := 0; i+1 < len(v.Content); i += 2 {
		k, val := v.Content[i], resolveAlias(v.Content[i+1])
		key := "changelog." + k.Value
		if prev, dup := seen[k.Value]; dup {
			l.add(k.Line, "%s is given twice (first at line %d)", shown(key), prev)
			continue
		}
		seen[k.Value] = k.Line
		switch k.Value {
		case "workItemFilters":
			if val.Kind != yaml.SequenceNode {
				l.add(val.Line, "%s: expected a list of regular expressions, found %s", key, describe(val))
				break
			}
			cl.WorkItemFilters = []string{}
			for _, it := range val.Content {
				it = resolveAlias(it)
				if it.Kind != yaml.ScalarNode || it.Tag != "!!str" || it.Value == "" {
					l.add(it.Line, "%s: expected a regular expression (a string), found %s", key, describe(it))
					continue
				}
				if _, err := regexp.Compile(it.Value); err != nil {
					l.add(it.Line, "%s: %q does not compile: %v (relman uses Go's RE2 syntax: no lookaround or backreferences)", key, it.Value, unwrapRegexp(err))
					continue
				}
				cl.WorkItemFilters = append(cl.WorkItemFilters, it.Value)
			}
		case "workItemUrl":
			if s, ok := nonEmpty(l, key, val); ok {
				cl.WorkItemURL = &s
			}
		case "repoUrl":
			l.add(k.Line, "%s is not in sfp's release definition schema, so sfp release would refuse the file: remove it (sfp's changelog links each commit with the repository URL its artifact recorded when it was built)", key)
		case "workItemFilter":
			l.add(k.Line, "%s: sfp's release config takes a list: write workItemFilters: [%q]", key, val.Value)
		case "limit":
			if val.Kind != yaml.ScalarNode || val.Tag != "!!int" {
				l.add(val.Line, "%s: expected a positive integer, found %s", key, describe(val))
				break
			}
			n, err := strconv.ParseInt(val.Value, 0, 32)
			if err != nil || n <= 0 {
				l.add(val.Line, "%s: expected a positive integer, found %s", key, shown(val.Value))
				break
			}
			i := int(n)
			cl.Limit = &i
		case "showAllArtifacts":
			if b, ok := boolean(l, key, val); ok {
				cl.ShowAllArtifacts = &b
			}
		default:
			l.add(k.Line, "unknown key %q in changelog; %s", k.Value, changelogShape)
		}
	}
	if _, ok := seen["workItemFilters"]; !ok {
		l.add(line, "changelog: no workItemFilters: sfp's schema requires the regular expressions that find work items in commit messages, e.g. workItemFilters: [\"BRO-[0-9]+\"]; %s", changelogShape)
	}
	return cl
}

func unwrapRegexp(err error) string {
	var re *syntax.Error
	if errors.As(err, &re) {
		return fmt.Sprintf("%s: `%s`", re.Code, re.Expr)
	}
	return err.Error()
}

// names reads a list of non-empty, distinct strings.
func names(l *errorList, key string, v *yaml.Node) []Entry {
	if v.Kind != yaml.SequenceNode {
		l.add(v.Line, "%s: expected a list of names, found %s", key, describe(v))
		return nil
	}
	out := []Entry{}
	seen := map[string]int{}
	for _, it := range v.Content {
		it = resolveAlias(it)
		if it.Kind != yaml.ScalarNode || it.Tag != "!!str" || strings.TrimSpace(it.Value) == "" {
			l.add(it.Line, "%s: expected a name (a string; quote names that YAML reads as numbers or booleans), found %s", key, describe(it))
			continue
		}
		if prev, dup := seen[it.Value]; dup {
			l.add(it.Line, "%s: %q is listed twice (first at line %d)", key, it.Value, prev)
			continue
		}
		seen[it.Value] = it.Line
		out = append(out, Entry{Name: it.Value, Line: it.Line})
	}
	return out
}

func boolean(l *errorList, key string, v *yaml.Node) (bool, bool) {
	if v.Kind != yaml.ScalarNode || v.Tag != "!!bool" {
		l.add(v.Line, "%s: expected true or false, found %s", key, describe(v))
		return false, false
	}
	b, err := strconv.ParseBool(strings.ToLower(v.Value))
	if err != nil {
		l.add(v.Line, "%s: expected true or false, found %s", key, describe(v))
		return false, false
	}
	return b, true
}

func str(l *errorList, key string, v *yaml.Node) (string, bool) {
	if v.Kind != yaml.ScalarNode || v.Tag != "!!str" {
		l.add(v.Line, "%s: expected a string, found %s", key, describe(v))
		return "", false
	}
	return v.Value, true
}

func nonEmpty(l *errorList, key string, v *yaml.Node) (string, bool) {
	s, ok := str(l, key, v)
	if ok && strings.TrimSpace(s) == "" {
		l.add(v.Line, "%s: expected a non-empty string, found an empty one (leave the key out instead)", key)
		return "", false
	}
	return s, ok
}

// describe names what a YAML node is, for "found ..." in messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!null":
			return "nothing (null)"
		case "!!bool":
			return "the boolean " + n.Value
		case "!!int":
			return "the integer " + n.Value
		case "!!float":
			return "the number " + n.Value
		case "!!str":
			return strconv.Quote(n.Value)
		}
		// A custom tag can hold any character, a line break included.
		return fmt.Sprintf("the value %q with the YAML tag %q", n.Value, n.Tag)
	}
	return "an unsupported YAML node"
}

// shown shows a key or value as written when it is a plain word, quoted when it
// holds spaces, line breaks or other characters that would blur the message.
func shown(s string) string {
	if s == "" || strings.ContainsFunc(s, func(r rune) bool { return !unicode.IsGraphic(r) || unicode.IsSpace(r) }) {
		return strconv.Quote(s)
	}
	return s
}

func resolveAlias(n *yaml.Node) *yaml.Node {
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < 100; i++ {
		n = n.Alias
	}
	return n
}

var yamlLine = regexp.MustCompile(`line (\d+)`)

// yamlErrorLine finds the line in a yaml.v3 error message.
func yamlErrorLine(err error) int {
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	return 0
}

var yamlPrefix = regexp.MustCompile(`^yaml: (line \d+: )?`)

func yamlErrorText(err error) string {
	return yamlPrefix.ReplaceAllString(err.Error(), "")
}
