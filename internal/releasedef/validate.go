package releasedef

import (
	"fmt"

	"gopkg.in/yaml.v3"
)

// ValidateSFP checks a rendered release definition against the shape sfp's
// orchestrator:release accepts: release and artifacts required, artifact
// versions like 1.2.0 or 1.2.0-4, package dependency ids 04t..., the
// changelog's types, baselineOrg only with skipIfAlreadyInstalled, and no
// other keys. Package dependency ids are checked only when strict04t is
// set (definitions from an sfdx-project.json).
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
		case "skipIfAlreadyInstalled":
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
			if v.Kind != yaml.MappingNode {
				return fmt.Errorf("release definition: changelog: expected a mapping")
			}
			for i := 0; i+1 < len(v.Content); i += 2 {
				ck, cv := v.Content[i].Value, v.Content[i+1]
				switch ck {
				case "workItemFilters":
					if cv.Kind != yaml.SequenceNode {
						return fmt.Errorf("release definition: changelog.workItemFilters: expected a list")
					}
				case "workItemUrl", "repoUrl":
					if !isStr(cv) {
						return fmt.Errorf("release definition: changelog.%s: expected a string", ck)
					}
				case "limit":
					if cv.Tag != "!!int" {
						return fmt.Errorf("release definition: changelog.limit: expected an integer")
					}
				case "showAllArtifacts":
					if !isBool(cv) {
						return fmt.Errorf("release definition: changelog.showAllArtifacts: expected a boolean")
					}
				default:
					return fmt.Errorf("release definition: changelog: unknown key %q", ck)
				}
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
	if has["baselineOrg"] != nil && has["skipIfAlreadyInstalled"] == nil {
		return fmt.Errorf("release definition: baselineOrg needs skipIfAlreadyInstalled")
	}
	return nil
}
