package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// usageError marks bad usage or bad configuration: exit status 2.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// setting is one named setting: the flag --NAME, the action input NAME
// (INPUT_NAME), the variable RELMAN_NAME, in that order, then extra
// variables, then the default.
type setting struct {
	name   string
	def    string
	usage  string
	env    []string // further variables read after RELMAN_NAME, e.g. STABLE_RELEASE
	isBool bool
	value  *string
}

// settings is a command's flag set with relman's lookup rules.
type settings struct {
	fs     *flag.FlagSet
	getenv func(string) string
	github bool
	list   []*setting
	byName map[string]*setting
	set    map[string]bool
}

func newSettings(cmd string, getenv func(string) string, stderr io.Writer) *settings {
	fs := flag.NewFlagSet("relman "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return &settings{fs: fs, getenv: getenv, github: getenv("GITHUB_ACTIONS") == "true",
		byName: map[string]*setting{}, set: map[string]bool{}}
}

func (s *settings) add(name, def, usage string, env ...string) {
	st := &setting{name: name, def: def, usage: usage, env: env, value: new(string)}
	s.fs.StringVar(st.value, name, "", usage)
	s.list = append(s.list, st)
	s.byName[name] = st
}

// addBool adds a switch: --NAME alone means true.
func (s *settings) addBool(name, usage string, env ...string) {
	st := &setting{name: name, def: "false", usage: usage, env: env, isBool: true, value: new(string)}
	s.fs.Var(boolValue{st.value}, name, usage)
	s.list = append(s.list, st)
	s.byName[name] = st
}

type boolValue struct{ p *string }

func (b boolValue) String() string {
	if b.p == nil {
		return ""
	}
	return *b.p
}
func (b boolValue) Set(v string) error { *b.p = v; return nil }
func (b boolValue) IsBoolFlag() bool   { return true }

func (s *settings) parse(args []string) ([]string, error) {
	if err := s.fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, usageError{err}
	}
	s.fs.Visit(func(f *flag.Flag) { s.set[f.Name] = true })
	return s.fs.Args(), nil
}

// envName is RELMAN_ + upper snake case of a setting name.
func envName(name string) string {
	return "RELMAN_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// inputName is the variable the GitHub runner sets for an action input:
// INPUT_ + the upper-cased name, hyphens kept.
func inputName(name string) string {
	return "INPUT_" + strings.ToUpper(strings.ReplaceAll(name, " ", "_"))
}

// get returns a setting's value and where it came from.
func (s *settings) get(name string) (value, source string) {
	st, ok := s.byName[name]
	if !ok {
		panic("relman: unknown setting " + name)
	}
	if s.set[name] {
		return *st.value, "--" + name
	}
	if s.github {
		if v := strings.TrimSpace(s.getenv(inputName(name))); v != "" {
			return v, "input " + name
		}
	}
	for _, e := range append([]string{envName(name)}, st.env...) {
		if v := s.getenv(e); v != "" {
			return v, e
		}
	}
	return st.def, ""
}

func (s *settings) str(name string) string {
	v, _ := s.get(name)
	return strings.TrimSpace(v)
}

func (s *settings) boolean(name string) (bool, error) {
	v, src := s.get(name)
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "", "false", "0", "no", "n", "f":
		return false, nil
	case "true", "1", "yes", "y", "t":
		return true, nil
	}
	return false, usagef("%s: %q is not a boolean: expected true or false", src, v)
}

// oneOf checks a setting against its allowed values.
func (s *settings) oneOf(name string, allowed ...string) (string, error) {
	v, src := s.get(name)
	v = strings.TrimSpace(v)
	for _, a := range allowed {
		if strings.EqualFold(v, a) {
			return a, nil
		}
	}
	return "", usagef("%s: unknown value %q: expected one of %s", src, v, strings.Join(allowed, ", "))
}

// usage prints the command's settings.
func (s *settings) usage(w io.Writer, synopsis string) {
	fmt.Fprintf(w, "%s\n\nSettings (flag, action input, or variable):\n", synopsis)
	for _, st := range s.list {
		def := ""
		if st.def != "" && !st.isBool {
			def = fmt.Sprintf(" (default %q)", st.def)
		}
		extra := ""
		if len(st.env) > 0 {
			extra = ", " + strings.Join(st.env, ", ")
		}
		fmt.Fprintf(w, "  --%-16s %s%s\n  %-18s %s%s\n", st.name, st.usage, def, "", envName(st.name), extra)
	}
}
