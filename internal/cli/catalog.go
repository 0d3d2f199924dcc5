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
	// Options are the values an enum setting takes ("" when it may be
	// left empty); nil for free text.
	Options []string `json:"options,omitempty"`
	// Number marks a setting that is a whole number.
	Number bool `json:"number,omitempty"`
	// Regex is the shape of a free-text value (RE2; the default matches).
	Regex string `json:"regex,omitempty"`
}

// OutputInfo describes one output of a step.
type OutputInfo struct {
	Name        string `json:"name"` // kebab-case; RELMAN_NAME in GitLab's dotenv report
	Description string `json:"description"`
}

// StepInfo describes one step.
type StepInfo struct {
	Name     string        `json:"name"` // "tag", "backport-branch", "s3 sync", ...
	Synopsis string        `json:"synopsis"`
	Settings []SettingInfo `json:"settings"`
	Outputs  []OutputInfo  `json:"outputs"`
	// Pipelines is the GitLab rules:if of the step's component job.
	Pipelines string `json:"pipelines"`
}

// Catalog describes every step of the list of steps with its settings
// (common ones included) and outputs.
func Catalog() []StepInfo {
	var out []StepInfo
	for _, st := range steps {
		s := newSettings(st.name, func(string) string { return "" }, io.Discard)
		addCommonSettings(s, new(commonOptions))
		synopsis, _ := st.define(s)
		info := StepInfo{Name: st.name, Synopsis: synopsis, Outputs: st.outputs, Pipelines: st.pipelines}
		for _, x := range s.list {
			info.Settings = append(info.Settings, SettingInfo{Name: x.name, Default: x.def, Usage: x.usage, Bool: x.isBool,
				Options: x.options, Number: x.number, Regex: x.regex})
		}
		out = append(out, info)
	}
	return out
}
