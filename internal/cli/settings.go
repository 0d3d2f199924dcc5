package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// setting is one named setting: the flag --NAME, the action input NAME
// (INPUT_NAME), the variable RELMAN_NAME, in that order, then extra
// variables, then the default.
type setting struct {
	name   string
	def    string
	usage  string
	env    []string // further variables read after RELMAN_NAME, e.g. STABLE_RELEASE
	isBool bool
	// parseBool reads a switch's value; parseSwitch unless the switch keeps
	// older spellings of its own (stable-release: version.ParseStable).
	parseBool func(string) (bool, error)
	// options are the allowed values of an enum setting (compared without
	// case), nil for free text.
	options []string
	// check validates a free-text value when it is set; nil accepts any.
	check func(string) error
	// number and regex say the shape of a free-text value for the
	// packaging (GitLab input type: number, regex:); check enforces it.
	number bool
	regex  string
	// bind stores the parsed value in the command's options (see to,
	// toBool, toInt, toFunc); run by parse once every value is checked.
	bind  func(s *settings) error
	value *string
}

// toFunc binds the setting's trimmed value (an enum's option as listed) to
// set, called once the settings are parsed and checked.
func (st *setting) toFunc(set func(string) error) *setting {
	st.bind = func(s *settings) error {
		if st.options != nil {
			v, err := s.oneOf(st.name, st.options...)
			if err != nil {
				return err
			}
			return set(v)
		}
		return set(s.str(st.name))
	}
	return st
}

// to binds a text or enum setting to *p.
func (st *setting) to(p *string) *setting {
	return st.toFunc(func(v string) error { *p = v; return nil })
}

// toInt binds a whole-number setting to *p (0 when empty).
func (st *setting) toInt(p *int) *setting {
	return st.toFunc(func(v string) error {
		if v == "" {
			*p = 0
			return nil
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("%q: expected a whole number", v)
		}
		*p = n
		return nil
	})
}

// toBool binds a switch to *p.
func (st *setting) toBool(p *bool) *setting {
	st.bind = func(s *settings) error {
		on, err := s.boolean(st.name)
		*p = on
		return err
	}
	return st
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

func (s *settings) add(name, def, usage string, env ...string) *setting {
	st := &setting{name: name, def: def, usage: usage, env: env, value: new(string)}
	s.fs.StringVar(st.value, name, "", usage)
	s.list = append(s.list, st)
	s.byName[name] = st
	return st
}

// addEnum adds a setting whose value is one of options (any case); an
// option "" lets it be left empty.
func (s *settings) addEnum(name, def, usage string, options []string, env ...string) *setting {
	st := s.add(name, def, usage, env...)
	st.options = options
	return st
}

// addChecked adds a free-text setting whose value check validates as soon
// as the settings are parsed.
func (s *settings) addChecked(name, def, usage string, check func(string) error, env ...string) *setting {
	st := s.add(name, def, usage, env...)
	st.check = check
	return st
}

// addNumber adds a whole-number setting checked by check.
func (s *settings) addNumber(name, def, usage string, check func(string) error, env ...string) *setting {
	st := s.addChecked(name, def, usage, check, env...)
	st.number = true
	return st
}

// addBool adds a switch: --NAME alone means true; --NAME=VALUE (or
// --NAME VALUE with VALUE true or false) sets it. See parseSwitch.
func (s *settings) addBool(name, usage string, env ...string) *setting {
	return s.addSwitch(name, usage, parseSwitch, env...)
}

// addSwitch adds a switch with its own value parser, for switches that keep
// older spellings (the seed's STABLE_RELEASE).
func (s *settings) addSwitch(name, usage string, parse func(string) (bool, error), env ...string) *setting {
	st := &setting{name: name, def: "false", usage: usage, env: env, isBool: true, parseBool: parse, value: new(string)}
	s.fs.Var(switchValue{st}, name, usage)
	s.list = append(s.list, st)
	s.byName[name] = st
	return st
}

// parseSwitch reads a switch's value: true/false, yes/no, y/n, t/f in any
// case, or an integer (0 is false, any other is true: the spelling of the
// seed's STABLE_RELEASE, so that every switch reads the same values).
func parseSwitch(v string) (bool, error) {
	v = strings.TrimSpace(v)
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		return n != 0, nil
	}
	switch strings.ToLower(v) {
	case "", "false", "no", "n", "f":
		return false, nil
	case "true", "yes", "y", "t":
		return true, nil
	}
	return false, fmt.Errorf("%q is not a switch value: expected true or false (also yes/no, y/n, t/f, or an integer, 0 meaning false)", v)
}

// switchValue is a switch's flag.Value. The value is checked right after
// the flags are parsed (settings.parse), with the error naming the flag as
// the user wrote it.
type switchValue struct{ st *setting }

func (b switchValue) String() string {
	if b.st == nil {
		return ""
	}
	return *b.st.value
}

func (b switchValue) Set(v string) error {
	*b.st.value = v
	return nil
}

func (b switchValue) IsBoolFlag() bool { return true }

// switchWord reports whether a lone argument after a switch is its value
// (--dry-run false): only the words true and false, so that a positional
// argument such as an s3 ASSET named "1" or "y" is never taken.
func switchWord(a string) bool {
	return strings.EqualFold(a, "true") || strings.EqualFold(a, "false")
}

// joinSwitchWords rewrites "--SWITCH true|false" as "--SWITCH=true|false":
// the flag package reads a lone value after a switch as a positional
// argument.
func (s *settings) joinSwitchWords(args []string) []string {
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return append(out, args[i:]...)
		}
		out = append(out, a)
		if !strings.HasPrefix(a, "-") || strings.Contains(a, "=") {
			continue
		}
		if st, ok := s.byName[strings.TrimLeft(a, "-")]; ok && st.isBool && i+1 < len(args) && switchWord(args[i+1]) {
			out[len(out)-1] = a + "=" + args[i+1]
			i++
		}
	}
	return out
}

// parse reads the flags and then checks every switch, enum and checked
// setting wherever its value came from (flag, input or variable), so that a
// bad value is a usage error before the step opens anything.
func (s *settings) parse(args []string) ([]string, error) {
	if err := s.fs.Parse(s.joinSwitchWords(args)); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, usageError{err}
	}
	s.fs.Visit(func(f *flag.Flag) { s.set[f.Name] = true })
	for _, st := range s.list {
		var err error
		switch {
		case st.isBool:
			_, err = s.boolean(st.name)
		case st.options != nil:
			_, err = s.oneOf(st.name, st.options...)
		case st.check != nil:
			if v, src := s.get(st.name); strings.TrimSpace(v) != "" {
				if cerr := st.check(strings.TrimSpace(v)); cerr != nil {
					err = usagef("%s: %v", sourceName(st.name, src), cerr)
				}
			}
		}
		if err != nil {
			return nil, err
		}
	}
	for _, st := range s.list {
		if st.bind == nil {
			continue
		}
		if err := st.bind(s); err != nil {
			var ue usageError
			if !errors.As(err, &ue) {
				err = usagef("%s: %w", s.named(st.name), err)
			}
			return nil, err
		}
	}
	return s.fs.Args(), nil
}

// sourceName names where a value came from the way the user gave it:
// "--name", "input name", "RELMAN_NAME", or "name" for the default.
func sourceName(name, src string) string {
	if src == "" {
		return name
	}
	return src
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

// named is how the user gave a setting, for errors about its value:
// "--name", "input name", "RELMAN_NAME", or "name" for the default.
func (s *settings) named(name string) string {
	_, src := s.get(name)
	return sourceName(name, src)
}

func (s *settings) str(name string) string {
	v, _ := s.get(name)
	return strings.TrimSpace(v)
}

// boolean reads a switch. The flag wins; without it the switch is on when
// its action input or any of its variables turns it on: a variable set to
// false does not hide the next one, because a GitLab component passes every
// boolean input on as a variable (RELMAN_STABLE_RELEASE=false by default)
// and must not hide the project's STABLE_RELEASE.
func (s *settings) boolean(name string) (bool, error) {
	st, ok := s.byName[name]
	if !ok || !st.isBool {
		panic("relman: not a switch: " + name)
	}
	if s.set[name] {
		on, err := st.parseBool(*st.value)
		if err != nil {
			return false, usagef("--%s: %v", name, err)
		}
		return on, nil
	}
	for _, src := range s.sources(st) {
		v := s.getenv(src.env)
		if src.input {
			v = strings.TrimSpace(v)
		}
		if v == "" {
			continue
		}
		on, err := st.parseBool(v)
		if err != nil {
			return false, usagef("%s: %v", src.name, err)
		}
		if on {
			return true, nil
		}
	}
	return false, nil
}

// origin is one place a setting's value is read from, after its flag.
type origin struct {
	env   string // the variable
	name  string // how the user calls it: "input dry-run", "RELMAN_DRY_RUN"
	input bool
}

func (s *settings) sources(st *setting) []origin {
	var out []origin
	if s.github {
		out = append(out, origin{env: inputName(st.name), name: "input " + st.name, input: true})
	}
	for _, e := range append([]string{envName(st.name)}, st.env...) {
		out = append(out, origin{env: e, name: e})
	}
	return out
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
	return "", usagef("%s: unknown value %q: expected %s", sourceName(name, src), v, optionList(allowed))
}

// optionList names allowed values: "one of a, b, c", "a or b", with "or
// empty" when "" is one of them.
func optionList(allowed []string) string {
	var named []string
	empty := false
	for _, a := range allowed {
		if a == "" {
			empty = true
			continue
		}
		named = append(named, a)
	}
	var out string
	if len(named) == 2 {
		out = named[0] + " or " + named[1]
	} else {
		out = "one of " + strings.Join(named, ", ")
	}
	if empty {
		out += " (or empty)"
	}
	return out
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
