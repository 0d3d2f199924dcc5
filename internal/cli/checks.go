package cli

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/relman-dev/relman/internal/version"
)

// The checks of free-text settings, run as the settings are parsed (see
// settings.addChecked): a bad value is a usage error before the step opens
// the repository or talks to a forge. Each gets the trimmed, non-empty value.

func checkPositive(v string) error {
	if n, err := strconv.Atoi(v); err != nil || n < 1 {
		return fmt.Errorf("%q: expected a positive whole number", v)
	}
	return nil
}

func checkHTTPURL(v string) error {
	if !strings.HasPrefix(v, "https://") && !strings.HasPrefix(v, "http://") {
		return fmt.Errorf("%q: expected an http(s) URL, e.g. https://jira.example.com/browse/{id}", v)
	}
	return nil
}

func checkWorkItemPatterns(v string) error {
	for _, p := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == '\n' }) {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		if _, err := regexp.Compile(p); err != nil {
			return fmt.Errorf("%q is not a regular expression: %v", p, err)
		}
	}
	return nil
}

func checkConcurrency(v string) error {
	if n, err := strconv.Atoi(v); err != nil || n < 1 || n > 256 {
		return fmt.Errorf("%q: expected a number from 1 to 256", v)
	}
	return nil
}

// releaseVersionRegex is the shape checkReleaseVersion accepts, for the
// GitLab input's regex: (RE2; empty allowed).
const releaseVersionRegex = `^(|v?[0-9]+\.[0-9]+\.[0-9]+)$`

func checkReleaseVersion(v string) error {
	if _, ok := version.ParseTag(v, ""); !ok {
		return fmt.Errorf("%q: expected a release version X.Y.Z (the tag step's version output)", v)
	}
	return nil
}

func checkImpact(v string) error {
	_, err := version.ParseImpact(v)
	return err
}
