package cli

import (
	"io"
)

// SettingInfo describes one setting of a step, for packaging (action.yml,
// GitLab components) and the documentation.
type SettingInfo struct {
	Name    string `json:"name"` // kebab-case: the flag, the action input, the component input
	Default string `json:"default"`
	Usage   string `json:"usage"`
	Bool    bool   `json:"bool,omitempty"`
}

// StepInfo describes one step.
type StepInfo struct {
	Name     string        `json:"name"` // "tag", "backport-branch", "s3 sync", ...
	Synopsis string        `json:"synopsis"`
	Settings []SettingInfo `json:"settings"`
	Outputs  []string      `json:"outputs"`
}

// catalog lists every step: its command and the outputs it always emits.
var catalog = []struct {
	name    string
	define  func(*settings) (string, step)
	outputs []string
}{
	{"tag", tagCommand, []string{"released", "version", "tag", "previous-version", "previous-tag", "impact", "major", "minor", "patch", "release-line", "commit", "changes", "release-notes", "release-url"}},
	{"backport-branch", backportCommand, []string{"branches-created", "branches-updated"}},
	{"prep-commit", prepCommand, []string{"committed", "commit", "next-version", "branches"}},
	{"check", checkCommand, []string{"impact", "next-version"}},
	{"s3 versioning", s3VersioningCommand, []string{"versioning", "changed"}},
	{"s3 sync", s3SyncCommand, []string{"release", "uploaded", "skipped", "deleted", "bytes", "manifest-key", "manifest-version-id"}},
	{"s3 status", s3StatusCommand, []string{"in-sync", "changed", "missing", "extra", "status"}},
	{"s3 versions", s3VersionsCommand, []string{"count", "latest-version-id", "versions"}},
	{"s3 diff", s3DiffCommand, []string{"identical", "diff", "added", "removed", "changed"}},
	{"s3 rollback", s3RollbackCommand, []string{"release", "rollback-of", "copied", "unchanged", "deleted", "manifest-key", "manifest-version-id"}},
	{"releasedef generate", releasedefGenerateCommand, []string{"file", "artifacts", "commit"}},
}

// Catalog describes every step with its settings (common ones included)
// and outputs.
func Catalog() []StepInfo {
	var out []StepInfo
	for _, c := range catalog {
		s := newSettings(c.name, func(string) string { return "" }, io.Discard)
		addCommonSettings(s)
		synopsis, _ := c.define(s)
		info := StepInfo{Name: c.name, Synopsis: synopsis, Outputs: c.outputs}
		for _, st := range s.list {
			info.Settings = append(info.Settings, SettingInfo{Name: st.name, Default: st.def, Usage: st.usage, Bool: st.isBool})
		}
		out = append(out, info)
	}
	return out
}
