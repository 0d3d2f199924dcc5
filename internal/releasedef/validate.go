package releasedef

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// ValidateSFP checks a rendered release definition against what sfp's
// loader (ReleaseDefinitionLoader, the code sfp release reads a definition
// with) accepts: its schema, release-defn.schema.json (release and
// artifacts required, no other keys than its own, their types, a
// changelog with workItemFilters or workItemFilter and nothing else,
// baselineOrg only with skipIfAlreadyInstalled, package dependency ids
// 04t...), and its one rule outside the schema, baselineOrg only with
// skipIfAlreadyInstalled true. relman adds that artifact versions look like
// 1.2.0 or 1.2.0-4. Package dependency ids are checked only when strict04t
// is set (definitions from an sfdx-project.json: a generic manifest's
// dependencies hold versions). The sfp tests (sfp_test.go) check that this
// agrees with sfp itself.
func ValidateSFP(b []byte, strict04t bool) error {
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return fmt.Errorf("release definition: %w", err)
	}
	if len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return fmt.Errorf("release definition: expected a mapping")
	}
	root := doc.Content[0]
	has := map[string]*yaml.Node{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		has[root.Content[i].Value] = root.Content[i+1]
	}
	isStr := func(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.Tag == "!!str" }
	isBool := func(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.Tag == "!!bool" }
	for k, v := range has {
		switch k {
		case "release", "releaseConfigName", "baselineOrg", "promotePackagesBeforeDeploymentToOrg":
			if !isStr(v) {
				return fmt.Errorf("release definition: %s: expected a string", k)
			}
		case "skipIfAlreadyInstalled", "skipArtifactUpdate":
			if !isBool(v) {
				return fmt.Errorf("release definition: %s: expected a boolean", k)
			}
		case "metadata":
			if v.Kind != yaml.MappingNode {
				return fmt.Errorf("release definition: metadata: expected a mapping")
			}
		case "artifacts", "packageDependencies":
			if v.Kind != yaml.MappingNode {
				return fmt.Errorf("release definition: %s: expected a mapping", k)
			}
			for i := 0; i+1 < len(v.Content); i += 2 {
				name, val := v.Content[i].Value, v.Content[i+1]
				if !isStr(val) {
					return fmt.Errorf("release definition: %s.%s: expected a string", k, name)
				}
				if k == "artifacts" && !releaseVersion.MatchString(val.Value) {
					return fmt.Errorf("release definition: artifacts.%s: %q is not a version like 1.2.0 or 1.2.0-4", name, val.Value)
				}
				if k == "packageDependencies" && strict04t && !packageVersionID.MatchString(val.Value) {
					return fmt.Errorf("release definition: packageDependencies.%s: %q is not a package version id (04t...)", name, val.Value)
				}
			}
		case "changelog":
			if err := validateChangelog(v); err != nil {
				return err
			}
		default:
			return fmt.Errorf("release definition: unknown key %q", k)
		}
	}
	for _, k := range []string{"release", "artifacts"} {
		if has[k] == nil {
			return fmt.Errorf("release definition: %s is required", k)
		}
	}
	if b := has["baselineOrg"]; b != nil {
		s := has["skipIfAlreadyInstalled"]
		if s == nil {
			return fmt.Errorf("release definition: baselineOrg needs skipIfAlreadyInstalled")
		}
		if b.Value != "" && !strings.EqualFold(s.Value, "true") {
			return fmt.Errorf("release definition: skipIfAlreadyInstalled must be true for baselineOrg")
		}
	}
	return nil
}

func validateChangelog(v *yaml.Node) error {
	if v.Kind != yaml.MappingNode {
		return fmt.Errorf("release definition: changelog: expected a mapping")
	}
	filters := 0
	for i := 0; i+1 < len(v.Content); i += 2 {
		ck, cv := v.Content[i].Value, v.Content[i+1]
		switch ck {
		case "workItemFilters":
			filters++
			if cv.Kind != yaml.SequenceNode {
				return fmt.Errorf("release definition: changelog.workItemFilters: expected a list")
			}
			for _, it := range cv.Content {
				if it.Kind != yaml.ScalarNode || it.Tag != "!!str" {
					return fmt.Errorf("release definition: changelog.workItemFilters: expected strings")
				}
			}
		case "workItemFilter", "workItemUrl":
			if ck == "workItemFilter" {
				filters++
			}
			if cv.Kind != yaml.ScalarNode || cv.Tag != "!!str" {
				return fmt.Errorf("release definition: changelog.%s: expected a string", ck)
			}
		case "limit":
			if cv.Kind != yaml.ScalarNode || cv.Tag != "!!int" {
				return fmt.Errorf("release definition: changelog.limit: expected an integer")
			}
		case "showAllArtifacts":
			if cv.Kind != yaml.ScalarNode || cv.Tag != "!!bool" {
				return fmt.Errorf("release definition: changelog.showAllArtifacts: expected a boolean")
			}
		default:
			return fmt.Errorf("release definition: changelog: unknown key %q", ck)
		}
	}
	if filters != 1 {
		return fmt.Errorf("release definition: changelog: expected exactly one of workItemFilters and workItemFilter")
	}
	return nil
}
