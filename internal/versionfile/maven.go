package versionfile

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Maven edits the poms of a Maven reactor the way
// `mvn versions:set -DnewVersion=X -DgenerateBackupPoms=false` does
// (versions-maven-plugin 2.10 or later, default settings), without Maven:
//
//   - the reactor is the root pom and its <modules> (also those of its
//     <profiles>), to any depth; a module names a directory holding a
//     pom.xml or, ending in .xml, a pom file. A module that does not exist
//     is skipped with a warning, as the versions plugin skips it;
//   - the root project changes from its version to the new one (a root
//     that inherits its version from a parent in the reactor: that
//     parent);
//   - a module whose parent (by groupId and artifactId) changes follows it
//     when the module's version is the version its <parent> names: it
//     inherits its version, or declares the same one. A module at another
//     version (2.1-SNAPSHOT under a 4.0.0-SNAPSHOT parent) keeps it, and
//     so do the modules below it; a module whose parent is outside the
//     reactor keeps its version unless it is the root;
//   - a module whose parent changes gets the new <parent> <version>;
//   - a dependency, managed dependency, plugin or managed plugin that names
//     a changed module with a literal version equal to that module's old
//     version gets the new version;
//   - a version made of properties is set through the <properties> of the
//     pom that defines them (the pom itself or its nearest parent in the
//     reactor): ${revision} takes the new version. In the CI-friendly
//     ${revision}${changelist} and ${revision}${sha1}${changelist} the
//     first property takes the version and the others keep their values
//     when the new version ends with them (1.3.0-SNAPSHOT with changelist
//     -SNAPSHOT: revision 1.3.0), else they become empty (the release
//     1.2.0: revision 1.2.0, changelist and sha1 empty);
//   - in every pom those edits change, project.build.outputTimestamp in
//     <properties> is set to Time, in the form it has: seconds since the
//     epoch or ISO-8601.
//
// Only the text of those elements changes.
type Maven struct {
	// Root is the path of the reactor's root pom; empty means pom.xml.
	Root string
	// Time is the time of the version commit, written into
	// project.build.outputTimestamp so that the same commit gives the same
	// bytes. Zero leaves project.build.outputTimestamp as it is.
	// Multi.At sets it.
	Time time.Time
	// Warn receives warnings (a <module> that does not exist); nil drops
	// them.
	Warn func(msg string)
}

func (m Maven) root() string {
	if m.Root == "" {
		return "pom.xml"
	}
	return cleanPath(m.Root)
}

// Name is "maven (ROOT)".
func (m Maven) Name() string { return "maven (" + m.root() + ")" }

func (m Maven) at(t time.Time) Editor {
	m.Time = t
	return m
}

// load reads the reactor and passes on its warnings.
func (m Maven) load(files Files) (*reactor, error) {
	r, err := loadReactor(files, m.root())
	if err != nil {
		return nil, err
	}
	if m.Warn != nil {
		for _, w := range r.warnings {
			m.Warn(w)
		}
	}
	return r, nil
}

// Paths lists the poms of the reactor, the root first, then the modules in
// the order they are listed (depth first).
func (m Maven) Paths(files Files) ([]string, error) {
	r, err := m.load(files)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(r.poms))
	for i, p := range r.poms {
		out[i] = p.path
	}
	return out, nil
}

// Current returns the root project's version, with properties resolved.
func (m Maven) Current(files Files) (string, error) {
	r, err := m.load(files)
	if err != nil {
		return "", err
	}
	return r.version(r.root, 0)
}

// Set sets the reactor's version.
func (m Maven) Set(files Files, version string) ([]Change, error) {
	pl, err := m.newPlan(files, version)
	if err != nil {
		return nil, err
	}
	if err := pl.check(); err != nil {
		return nil, err
	}
	return changes(pl.fileEdits()), nil
}

// plan computes the edits that set version, one entry per pom.
func (m Maven) plan(files Files, version string) ([]fileEdits, error) {
	pl, err := m.newPlan(files, version)
	if err != nil {
		return nil, err
	}
	return pl.fileEdits(), nil
}

// mavenPlan is what versions:set would change.
type mavenPlan struct {
	r       *reactor
	version string
	changed map[*pom]string // the modules whose version changes, with their old versions
	edits   map[*pom]map[int]edit
}

func (m Maven) newPlan(files Files, version string) (*mavenPlan, error) {
	if err := checkVersion(version); err != nil {
		return nil, err
	}
	r, err := m.load(files)
	if err != nil {
		return nil, err
	}
	pl := &mavenPlan{r: r, version: version, changed: map[*pom]string{}, edits: map[*pom]map[int]edit{}}
	start, err := r.versionOwner()
	if err != nil {
		return nil, err
	}
	old, err := r.version(start, 0)
	if err != nil {
		return nil, err
	}
	if old == version {
		// versions:set changes nothing when the project already has the
		// version, whatever the modules say.
		return pl, nil
	}
	if err := pl.propagate(start, old); err != nil {
		return nil, err
	}
	if err := pl.setVersions(); err != nil {
		return nil, err
	}
	if err := pl.setReferences(); err != nil {
		return nil, err
	}
	if err := pl.outputTimestamps(m.Time); err != nil {
		return nil, err
	}
	return pl, nil
}

// propagate finds the modules that change with start, whose version is
// old: the modules that follow a changed parent, from parent to module (as
// SetMojo, which visits the reactor's parents first).
func (pl *mavenPlan) propagate(start *pom, old string) error {
	r := pl.r
	children := map[*pom][]*pom{}
	for _, p := range r.poms {
		if q := r.parent[p]; q != nil {
			children[q] = append(children[q], p)
		}
	}
	pl.changed[start] = old
	queue := []*pom{start}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		for _, t := range children[s] {
			if _, ok := pl.changed[t]; ok {
				continue
			}
			tv, follows, err := r.follows(t)
			if err != nil {
				return err
			}
			if follows {
				pl.changed[t] = tv
				queue = append(queue, t)
			}
		}
	}
	return nil
}

// setVersions sets the <version> of the changed modules that declare one,
// and the <parent> <version> of every module whose parent changes.
func (pl *mavenPlan) setVersions() error {
	for _, p := range pl.r.poms {
		if _, ok := pl.changed[p]; ok && p.version.present {
			if err := pl.set(p, p.version, "<version>", pl.version, 0); err != nil {
				return err
			}
		}
		parent := pl.r.parent[p]
		if _, ok := pl.changed[parent]; ok && parent != nil && p.parentVersion.present {
			if err := pl.set(p, p.parentVersion, "<parent> <version>", pl.version, 0); err != nil {
				return err
			}
		}
	}
	return nil
}

// setReferences sets the dependencies and plugins, in every pom, that name
// a changed module at its old version.
func (pl *mavenPlan) setReferences() error {
	for _, p := range pl.r.poms {
		for _, ref := range p.refs {
			if !ref.version.present || !ref.version.plain || strings.Contains(ref.version.value, "${") {
				continue
			}
			target := pl.r.refTarget(p, ref)
			if old, ok := pl.changed[target]; ok && target != nil && ref.version.value == old {
				if err := pl.add(p, ref.version, pl.version); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// outputTimestampProperty is Maven's reproducible-builds timestamp.
const outputTimestampProperty = "project.build.outputTimestamp"

// outputTimestamps sets project.build.outputTimestamp to t in the poms the
// plan changes (the versions plugin's default policy, onchange).
func (pl *mavenPlan) outputTimestamps(t time.Time) error {
	if t.IsZero() {
		return nil
	}
	for _, p := range pl.r.poms {
		n, ok := p.props[outputTimestampProperty]
		if !ok || len(pl.edits[p]) == 0 || bytes.Equal(apply(p.data, pl.list(p)), p.data) {
			continue
		}
		if _, ok := pl.edits[p][n.start]; ok {
			continue // a version edit owns this text
		}
		if !n.plain {
			return fileErr(p.path, n.line, ErrUnsupported,
				"property <%s> holds markup (a comment, CDATA or an entity reference); relman edits plain text only: write the timestamp as plain text", outputTimestampProperty)
		}
		v, ok, err := outputTimestamp(n.value, t)
		if err != nil {
			return fileErr(p.path, n.line, ErrUnsupported, "property <%s>: %v", outputTimestampProperty, err)
		}
		if ok {
			if err := pl.add(p, n, v); err != nil {
				return err
			}
		}
	}
	return nil
}

// isoTimestamp is the ISO-8601 form Maven reads for outputTimestamp:
// date, time (seconds and fraction optional), Z or an offset.
var isoTimestamp = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.(\d+))?)?(Z|[+-]\d{2}:\d{2})$`)

// outputTimestamp is t written the way old is written: seconds since the
// epoch, or ISO-8601 with the same precision and the same offset (Z: UTC).
// ok is false when old is left alone: one character (Maven's way to turn
// reproducible timestamps off) or an expression like ${git.commit.time}.
func outputTimestamp(old string, t time.Time) (_ string, ok bool, _ error) {
	if len(old) < 2 || strings.Contains(old, "${") {
		return "", false, nil
	}
	if strings.Trim(old, "0123456789") == "" {
		return strconv.FormatInt(t.Unix(), 10), true, nil
	}
	m := isoTimestamp.FindStringSubmatch(old)
	if m == nil {
		return "", false, fmt.Errorf("%q is neither seconds since the epoch nor ISO-8601: expected a value like 2024-01-02T03:04:05Z or 1704164645 (Maven cannot read it either); fix the value", old)
	}
	layout := "2006-01-02T15:04"
	if m[1] != "" {
		layout += ":05"
	}
	if m[3] != "" {
		layout += "." + strings.Repeat("0", len(m[3]))
	}
	if m[4] == "Z" {
		return t.UTC().Format(layout + "Z"), true, nil
	}
	off, _ := time.Parse("-07:00", m[4])
	_, secs := off.Zone()
	return t.In(time.FixedZone("", secs)).Format(layout + "-07:00"), true, nil
}

// check resolves the versions again with the edits made, and checks that
// the changed modules now have the new version and every other module the
// version it had (a property shared with a module at another version would
// change it too). The poms are not parsed again: an edit writes plain
// version text over the text of one element, which leaves the rest of the
// pom as it was (FuzzMaven checks that the edited poms parse to the same
// XML but for that text).
func (pl *mavenPlan) check() error {
	after := pl.r.edited(pl.edits)
	for _, p := range after.poms {
		before := pl.r.byPath[p.path]
		want, changed := pl.version, false
		if _, ok := pl.changed[before]; ok {
			changed = true
		} else {
			v, err := pl.r.version(before, 0)
			if err != nil {
				continue // not resolvable before: nothing to compare
			}
			want = v
		}
		got, err := after.version(p, 0)
		if err != nil {
			return fmt.Errorf("check the edited poms: %w", err)
		}
		switch {
		case got == want:
		case changed:
			return fileErr(p.path, p.version.line, ErrUnsupported, "after setting %s the project resolves to version %s", pl.version, got)
		default:
			return fileErr(p.path, p.version.line, ErrUnsupported,
				"setting %s would also change this module from %s to %s, through a property it shares with the modules that change; versions:set keeps a module at another version: give this module a version or property of its own",
				pl.version, want, got)
		}
	}
	return nil
}

// list is the edits of p by position.
func (pl *mavenPlan) list(p *pom) []edit {
	var out []edit
	for _, e := range pl.edits[p] {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].start < out[j].start })
	return out
}

func (pl *mavenPlan) fileEdits() []fileEdits {
	out := make([]fileEdits, 0, len(pl.r.poms))
	for _, p := range pl.r.poms {
		out = append(out, fileEdits{path: p.path, old: p.data, edits: pl.list(p)})
	}
	return out
}

func (pl *mavenPlan) add(p *pom, n xnode, text string) error {
	if pl.edits[p] == nil {
		pl.edits[p] = map[int]edit{}
	}
	if e, ok := pl.edits[p][n.start]; ok && e.text != text {
		return fileErr(p.path, n.line, ErrUnsupported, "%q would have to become both %q and %q: give the versions that differ properties of their own", n.value, e.text, text)
	}
	pl.edits[p][n.start] = edit{start: n.start, end: n.end, text: text}
	return nil
}

// propertyRefs matches a text made of property references only.
var propertyRefs = regexp.MustCompile(`^(\$\{[^${}]+\})+$`)

// propertyRef is one ${name}.
var propertyRef = regexp.MustCompile(`\$\{([^${}]+)\}`)

// set makes node n of p (a version, or a property behind one) say text.
func (pl *mavenPlan) set(p *pom, n xnode, what, text string, depth int) error {
	if depth > maxDepth {
		return fileErr(p.path, n.line, ErrUnsupported, "%s: properties refer to each other in a cycle", what)
	}
	if n.value == "" {
		return fileErr(p.path, n.line, ErrNoVersion, "%s is empty: expected a version like 1.2.3 or ${revision}", what)
	}
	if !n.plain {
		return fileErr(p.path, n.line, ErrUnsupported,
			"%s holds markup (a comment, CDATA or an entity reference); relman edits plain text only: write the version as plain text", what)
	}
	if !strings.Contains(n.value, "${") {
		return pl.add(p, n, text)
	}
	if !propertyRefs.MatchString(n.value) {
		return fileErr(p.path, n.line, ErrUnsupported,
			"%s %s combines text and properties; relman sets a literal version, one ${property}, or the CI-friendly ${revision}${changelist} and ${revision}${sha1}${changelist}: keep the text in a property, like <version>${revision}</version>", what, n.value)
	}
	type prop struct {
		name string
		q    *pom
		n    xnode
	}
	var props []prop
	for i, m := range propertyRef.FindAllStringSubmatch(n.value, -1) {
		name := m[1]
		if builtinProperty(name) {
			return fileErr(p.path, n.line, ErrUnsupported, "%s %s refers to the project model; expected a literal version or ${property} defined in <properties>", what, n.value)
		}
		q, node := pl.r.property(p, name)
		if q == nil {
			example := "<" + name + ">1.0.0</" + name + ">"
			if i > 0 {
				example = "<" + name + "/>"
			}
			return fileErr(p.path, n.line, ErrNoVersion,
				"%s %s uses property %q, which no pom of the reactor defines in <properties>: define it in the root pom, like <properties>%s</properties>",
				what, n.value, name, example)
		}
		props = append(props, prop{name, q, node})
	}
	if len(props) == 1 {
		return pl.set(props[0].q, props[0].n, "property <"+props[0].name+">", text, depth+1)
	}
	// CI-friendly: the first property carries the version; the others
	// (sha1, changelist) are suffixes that stay when text ends with them.
	vals := make([]string, len(props))
	for i, pr := range props[1:] {
		if !pr.n.plain || strings.Contains(pr.n.value, "${") {
			return fileErr(pr.q.path, pr.n.line, ErrUnsupported,
				"property <%s>, part of %s %s, is not plain text; relman keeps or empties the parts after the first: write it as text, like <%s>-SNAPSHOT</%s> or <%s/>",
				pr.name, what, n.value, pr.name, pr.name, pr.name)
		}
		vals[i+1] = pr.n.value
	}
	keep, head := len(props), text
	for j := 1; j < len(props); j++ {
		tail := strings.Join(vals[j:], "")
		if tail != "" && len(text) > len(tail) && strings.HasSuffix(text, tail) {
			keep, head = j, strings.TrimSuffix(text, tail)
			break
		}
	}
	for i := 1; i < keep; i++ {
		if vals[i] != "" {
			if err := pl.add(props[i].q, props[i].n, ""); err != nil {
				return err
			}
		}
	}
	return pl.set(props[0].q, props[0].n, "property <"+props[0].name+">", head, depth+1)
}

// maxDepth bounds property and parent chains (which may be cyclic).
const maxDepth = 32

// xnode is the text of an element.
type xnode struct {
	present bool
	value   string // the decoded text, trimmed
	start   int    // byte range of the trimmed text in the file
	end     int
	line    int
	plain   bool // the bytes are the value: no markup, no entity
}

// mref is a dependency or plugin.
type mref struct {
	plugin                   bool
	managed                  bool // in dependencyManagement or pluginManagement
	group, artifact, version xnode
}

// pom is one parsed pom.xml.
type pom struct {
	path            string
	data            []byte
	group, artifact xnode
	version         xnode
	packaging       xnode
	hasParent       bool
	parentGroup     xnode
	parentArtifact  xnode
	parentVersion   xnode
	parentRel       xnode
	modules         []xnode
	props           map[string]xnode
	refs            []mref
}

func (p *pom) groupID() string {
	if p.group.present {
		return p.group.value
	}
	return p.parentGroup.value
}

func (p *pom) ga() string { return p.groupID() + ":" + p.artifact.value }

var (
	depPath    = regexp.MustCompile(`^project(/profiles/profile)?(/dependencyManagement|/build(/pluginManagement)?/plugins/plugin)?/dependencies/dependency$`)
	pluginPath = regexp.MustCompile(`^project(/profiles/profile)?(/build(/pluginManagement)?|/reporting)/plugins/plugin$|^project/build/extensions/extension$`)
	modulePath = regexp.MustCompile(`^project(/profiles/profile)?/modules/module$`)
)

// parsePom reads the parts of a pom that carry versions, with their byte
// ranges.
func parsePom(p string, data []byte) (*pom, error) {
	out := &pom{path: p, data: data, props: map[string]xnode{}}
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	d.CharsetReader = charsetReader
	type frame struct {
		start int
		line  int
		text  strings.Builder
		plain bool
		ref   int // index in out.refs when this element is a dependency or plugin, else -1
	}
	var stack []*frame
	var names []string
	sawRoot := false
	for {
		before := int(d.InputOffset())
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			var se *xml.SyntaxError
			if errors.As(err, &se) {
				return nil, fileErr(p, se.Line, ErrSyntax, "not well-formed XML: %s", se.Msg)
			}
			line, _ := d.InputPos()
			return nil, fileErr(p, line, ErrSyntax, "cannot read XML: %v", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			line, _ := d.InputPos()
			if len(stack) == 0 {
				if sawRoot {
					return nil, fileErr(p, line, ErrSyntax, "not well-formed XML: element <%s> after the end of the root element", t.Name.Local)
				}
				if t.Name.Local != "project" {
					return nil, fileErr(p, line, ErrSyntax, "the root element is <%s>, expected <project>: is this a Maven pom?", t.Name.Local)
				}
				sawRoot = true
			} else {
				stack[len(stack)-1].plain = false
			}
			names = append(names, t.Name.Local)
			f := &frame{start: int(d.InputOffset()), line: line, plain: true, ref: -1}
			// The paths are matched only for the elements they end in:
			// joining and matching every element's path was most of the
			// time of a large reactor.
			switch t.Name.Local {
			case "dependency":
				if j := strings.Join(names, "/"); depPath.MatchString(j) {
					f.ref = len(out.refs)
					out.refs = append(out.refs, mref{managed: strings.Contains(j, "Management/")})
				}
			case "plugin", "extension":
				if j := strings.Join(names, "/"); pluginPath.MatchString(j) {
					f.ref = len(out.refs)
					out.refs = append(out.refs, mref{plugin: true, managed: strings.Contains(j, "Management/")})
				}
			case "parent":
				if len(names) == 2 {
					out.hasParent = true
				}
			}
			stack = append(stack, f)
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text.Write(t)
			} else if len(bytes.Trim(t, " \t\r\n\ufeff")) > 0 {
				line, _ := d.InputPos()
				return nil, fileErr(p, line, ErrSyntax, "not well-formed XML: text outside the root element")
			}
		case xml.Comment, xml.ProcInst, xml.Directive:
			if len(stack) > 0 {
				stack[len(stack)-1].plain = false
			}
		case xml.EndElement:
			f := stack[len(stack)-1]
			raw := data[f.start:before]
			trimmed := bytes.TrimLeft(raw, " \t\r\n")
			lead := len(raw) - len(trimmed)
			trimmed = bytes.TrimRight(trimmed, " \t\r\n")
			value := strings.Trim(f.text.String(), " \t\r\n")
			n := xnode{
				present: true, value: value, line: f.line,
				start: f.start + lead, end: f.start + lead + len(trimmed),
				plain: f.plain && string(trimmed) == value,
			}
			out.assign(names, n)
			if len(stack) >= 2 {
				if i := stack[len(stack)-2].ref; i >= 0 {
					r := &out.refs[i]
					switch names[len(names)-1] {
					case "groupId":
						r.group = n
					case "artifactId":
						r.artifact = n
					case "version":
						r.version = n
					}
				}
			}
			stack = stack[:len(stack)-1]
			names = names[:len(names)-1]
		}
	}
	if !sawRoot {
		return nil, fileErr(p, 0, ErrSyntax, "no <project> element: is this a Maven pom?")
	}
	if !out.artifact.present || out.artifact.value == "" {
		return nil, fileErr(p, 0, ErrSyntax, "the project has no <artifactId>: every pom needs one")
	}
	return out, nil
}

// edited is p with the edits made to the values of its nodes.
func (p *pom) edited(es map[int]edit) *pom {
	if len(es) == 0 {
		return p
	}
	fix := func(n xnode) xnode {
		if e, ok := es[n.start]; ok && n.present {
			n.value = e.text
		}
		return n
	}
	q := *p
	q.data = nil // not the edited bytes: nothing reads them
	q.version, q.parentVersion = fix(p.version), fix(p.parentVersion)
	q.props = make(map[string]xnode, len(p.props))
	for k, n := range p.props {
		q.props[k] = fix(n)
	}
	q.refs = slices.Clone(p.refs)
	for i := range q.refs {
		q.refs[i].version = fix(q.refs[i].version)
	}
	return &q
}

// assign stores a project-level node by its element path.
func (p *pom) assign(names []string, n xnode) {
	switch {
	case len(names) == 2:
		switch names[1] {
		case "groupId":
			p.group = n
		case "artifactId":
			p.artifact = n
		case "version":
			p.version = n
		case "packaging":
			p.packaging = n
		}
	case len(names) == 3 && names[1] == "parent":
		switch names[2] {
		case "groupId":
			p.parentGroup = n
		case "artifactId":
			p.parentArtifact = n
		case "version":
			p.parentVersion = n
		case "relativePath":
			p.parentRel = n
		}
	case len(names) == 3 && names[1] == "properties":
		p.props[names[2]] = n
	case names[len(names)-1] == "module" && modulePath.MatchString(strings.Join(names, "/")):
		p.modules = append(p.modules, n)
	}
}

// charsetReader lets the decoder read poms declared in single-byte
// encodings. Bytes above 0x7F become '?', one for one, so that byte offsets
// stay those of the file; versions and coordinates are ASCII.
func charsetReader(label string, r io.Reader) (io.Reader, error) {
	switch strings.ToLower(label) {
	case "us-ascii", "ascii", "iso-8859-1", "iso8859-1", "latin1", "latin-1", "iso-8859-15", "windows-1252", "cp1252":
		return asciiMask{r}, nil
	}
	return nil, fmt.Errorf("encoding %q is not supported: expected UTF-8, US-ASCII or ISO-8859-1", label)
}

type asciiMask struct{ r io.Reader }

func (a asciiMask) Read(b []byte) (int, error) {
	n, err := a.r.Read(b)
	for i := range b[:n] {
		if b[i] >= 0x80 {
			b[i] = '?'
		}
	}
	return n, err
}

// reactor is the root pom and its modules, and what is worked out about
// them: parents, resolved versions.
type reactor struct {
	root     *pom
	poms     []*pom // the root, then modules depth first
	byPath   map[string]*pom
	byGA     map[string]*pom
	parent   map[*pom]*pom // the parent, when it is a module of the reactor
	resolved map[*pom]string
	busy     map[*pom]bool
	warnings []string
}

// loadReactor reads the reactor of the root pom at rootPath.
func loadReactor(files Files, rootPath string) (*reactor, error) {
	if !insideRoot(rootPath) {
		return nil, fmt.Errorf("root pom %q is outside the repository: expected a path relative to the repository root", rootPath)
	}
	r := &reactor{
		byPath: map[string]*pom{}, byGA: map[string]*pom{},
		parent: map[*pom]*pom{}, resolved: map[*pom]string{}, busy: map[*pom]bool{},
	}
	data, err := readFile(files, rootPath, "the root pom of the Maven reactor")
	if err != nil {
		return nil, err
	}
	root, err := parsePom(rootPath, data)
	if err != nil {
		return nil, err
	}
	r.root = root
	if err := r.add(files, root, 0); err != nil {
		return nil, err
	}
	for _, p := range r.poms {
		ga := p.ga()
		if q, ok := r.byGA[ga]; ok {
			return nil, fileErr(p.path, p.artifact.line, ErrSyntax, "project %s is also %s: each module of a reactor needs its own groupId:artifactId", ga, q.path)
		}
		r.byGA[ga] = p
	}
	for _, p := range r.poms {
		r.link(p)
	}
	return r, nil
}

// add adds p and its modules, depth first.
func (r *reactor) add(files Files, p *pom, depth int) error {
	r.byPath[p.path] = p
	r.poms = append(r.poms, p)
	if depth > 64 {
		return fileErr(p.path, 0, ErrUnsupported, "modules nest more than 64 levels deep")
	}
	for _, m := range p.modules {
		if m.value == "" {
			return fileErr(p.path, m.line, ErrSyntax, "empty <module>: expected the path of a module directory or pom")
		}
		dir := cleanPath(path.Join(path.Dir(p.path), m.value))
		if !insideRoot(dir) {
			return fileErr(p.path, m.line, ErrUnsupported, "module %q is outside the repository", m.value)
		}
		file := path.Join(dir, "pom.xml")
		if strings.HasSuffix(strings.ToLower(dir), ".xml") {
			file = dir
		}
		if _, ok := r.byPath[file]; ok {
			continue
		}
		data, err := files.ReadFile(file)
		if errors.Is(err, fs.ErrNotExist) {
			// The versions plugin skips it; so does relman, saying so.
			// Maven itself fails on it only when it builds the <modules>
			// that list it (an inactive profile's are not built).
			r.warnings = append(r.warnings, fmt.Sprintf(
				"%s:%d: module %q: %s does not exist; skipped, like mvn versions:set skips it: fix or remove the <module> entry if the module should be released",
				p.path, m.line, m.value, file))
			continue
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", file, err)
		}
		child, err := parsePom(file, data)
		if err != nil {
			return err
		}
		if err := r.add(files, child, depth+1); err != nil {
			return err
		}
	}
	return nil
}

// link finds p's parent among the reactor's modules: at its relativePath
// (default ../pom.xml) when the pom there has the parent's coordinates, else
// by coordinates.
func (r *reactor) link(p *pom) {
	if !p.hasParent {
		return
	}
	ga := p.parentGroup.value + ":" + p.parentArtifact.value
	rel := "../pom.xml"
	if p.parentRel.present {
		rel = p.parentRel.value
	}
	if rel != "" {
		loc := cleanPath(path.Join(path.Dir(p.path), rel))
		if !strings.HasSuffix(strings.ToLower(loc), ".xml") {
			loc = path.Join(loc, "pom.xml")
		}
		if q, ok := r.byPath[loc]; ok && q != p && q.ga() == ga {
			r.parent[p] = q
			return
		}
	}
	if q, ok := r.byGA[ga]; ok && q != p {
		r.parent[p] = q
	}
}

// edited is the reactor as edits leave it: each edited element of a pom
// takes its new text. Modules, coordinates and parents stay: no edit
// touches them.
func (r *reactor) edited(edits map[*pom]map[int]edit) *reactor {
	out := &reactor{
		byPath: map[string]*pom{}, byGA: map[string]*pom{},
		parent: map[*pom]*pom{}, resolved: map[*pom]string{}, busy: map[*pom]bool{},
	}
	to := map[*pom]*pom{}
	for _, p := range r.poms {
		q := p.edited(edits[p])
		to[p] = q
		out.poms = append(out.poms, q)
		out.byPath[q.path] = q
	}
	out.root = to[r.root]
	for ga, p := range r.byGA {
		out.byGA[ga] = to[p]
	}
	for p, q := range r.parent {
		out.parent[to[p]] = to[q]
	}
	return out
}

// versionOwner is the module the root project takes its version from: the
// root itself, or the nearest parent in the reactor that declares a
// <version>.
func (r *reactor) versionOwner() (*pom, error) {
	p := r.root
	for i := 0; !p.version.present; i++ {
		q := r.parent[p]
		if q == nil {
			if _, err := r.version(p, 0); err != nil {
				return nil, err
			}
			if p == r.root {
				return nil, fileErr(p.path, 0, ErrNoVersion,
					"the root project has no <version> of its own and inherits it from its parent %s:%s, which is not part of the reactor: add a <version> to the root <project>",
					p.parentGroup.value, p.parentArtifact.value)
			}
			return nil, fileErr(p.path, 0, ErrNoVersion,
				"the root project inherits its version from this project, which has no <version> of its own and inherits it from its parent %s:%s, which is not part of the reactor: add a <version> to this <project>",
				p.parentGroup.value, p.parentArtifact.value)
		}
		if i > maxDepth {
			return nil, fileErr(p.path, 0, ErrNoVersion, "the parents of the root project refer to each other in a cycle")
		}
		p = q
	}
	return p, nil
}

// follows reports whether module t follows its parent when the parent's
// version changes (SetMojo with updateMatchingVersions): when t's version
// is the version its <parent> names. v is t's version.
func (r *reactor) follows(t *pom) (v string, ok bool, err error) {
	v, err = r.version(t, 0)
	if err != nil {
		return "", false, err
	}
	if !t.version.present {
		return v, true, nil
	}
	if !t.parentVersion.present {
		return v, false, nil
	}
	pv, err := r.resolve(t, t.parentVersion.value, 0)
	if err != nil {
		return "", false, fileErr(t.path, t.parentVersion.line, ErrNoVersion, "cannot resolve <parent> <version> %s: %v", t.parentVersion.value, err)
	}
	return v, pv == v, nil
}

// refTarget is the reactor module a dependency or plugin names, or nil.
func (r *reactor) refTarget(p *pom, ref mref) *pom {
	group := ref.group.value
	if !ref.group.present {
		if !ref.plugin {
			return nil
		}
		group = "org.apache.maven.plugins"
	}
	g, err := r.resolve(p, group, 0)
	if err != nil {
		return nil
	}
	a, err := r.resolve(p, ref.artifact.value, 0)
	if err != nil {
		return nil
	}
	return r.byGA[g+":"+a]
}

// version is p's version with properties resolved: its own or its
// parent's.
func (r *reactor) version(p *pom, depth int) (string, error) {
	if v, ok := r.resolved[p]; ok {
		return v, nil
	}
	if depth > maxDepth || r.busy[p] {
		return "", fileErr(p.path, p.version.line, ErrNoVersion, "the version refers to itself through properties")
	}
	n := p.version
	if !n.present {
		switch {
		case p.hasParent && p.parentVersion.present:
			n = p.parentVersion
		case r.parent[p] != nil:
			r.busy[p] = true
			v, err := r.version(r.parent[p], depth+1)
			r.busy[p] = false
			if err != nil {
				return "", err
			}
			r.resolved[p] = v
			return v, nil
		default:
			return "", fileErr(p.path, 0, ErrNoVersion, "the project has no <version> and no <parent> <version> to inherit: add a <version> to the <project>")
		}
	}
	if n.value == "" {
		return "", fileErr(p.path, n.line, ErrNoVersion, "<version> is empty: expected a version like 1.2.3 or ${revision}")
	}
	r.busy[p] = true
	v, err := r.resolve(p, n.value, depth+1)
	r.busy[p] = false
	if err != nil {
		return "", fileErr(p.path, n.line, ErrNoVersion, "cannot resolve version %s: %v", n.value, err)
	}
	r.resolved[p] = v
	return v, nil
}

func builtinProperty(name string) bool {
	for _, pre := range []string{"project.", "pom.", "parent.", "env.", "settings."} {
		if strings.HasPrefix(name, pre) {
			return true
		}
	}
	switch name {
	case "version", "groupId", "artifactId", "basedir":
		return true
	}
	return false
}

// property finds the pom that defines property name for p: p itself or the
// nearest of its parents in the reactor.
func (r *reactor) property(p *pom, name string) (*pom, xnode) {
	for q, i := p, 0; q != nil && i <= maxDepth; q, i = r.parent[q], i+1 {
		if n, ok := q.props[name]; ok {
			return q, n
		}
	}
	return nil, xnode{}
}

// resolve replaces ${...} references in s as Maven would for project p.
func (r *reactor) resolve(p *pom, s string, depth int) (string, error) {
	if depth > maxDepth {
		return "", errors.New("properties refer to each other in a cycle")
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		j := strings.Index(s[i:], "}")
		if j < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		b.WriteString(s[:i])
		name := s[i+2 : i+j]
		v, err := r.lookup(p, name, depth+1)
		if err != nil {
			return "", err
		}
		b.WriteString(v)
		s = s[i+j+1:]
	}
}

func (r *reactor) lookup(p *pom, name string, depth int) (string, error) {
	switch name {
	case "project.version", "pom.version", "version":
		return r.version(p, depth)
	case "project.groupId", "pom.groupId", "groupId":
		return p.groupID(), nil
	case "project.artifactId", "pom.artifactId", "artifactId":
		return p.artifact.value, nil
	case "project.parent.version", "parent.version":
		return r.resolve(p, p.parentVersion.value, depth+1)
	case "project.parent.groupId", "parent.groupId":
		return p.parentGroup.value, nil
	case "project.parent.artifactId", "parent.artifactId":
		return p.parentArtifact.value, nil
	}
	if _, n := r.property(p, name); n.present {
		return r.resolve(p, n.value, depth+1)
	}
	return "", fmt.Errorf("property %q is not defined in <properties> of this pom or of a parent in the reactor: define it in <properties> of the root pom", name)
}
