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
	"sort"
	"strings"
)

// Maven edits the poms of a Maven reactor the way
// `mvn versions:set -DnewVersion=X -DgenerateBackupPoms=false` does, without
// Maven:
//
//   - the reactor is the root pom and its <modules> (also those of its
//     <profiles>), to any depth; a module names a directory holding a
//     pom.xml or, ending in .xml, a pom file;
//   - every module's own project <version> is set; modules that inherit
//     their version from their parent keep inheriting;
//   - a <parent><version> is set when the parent (matched by groupId and
//     artifactId) is a module of the reactor; other parents never change;
//   - a dependency, managed dependency, plugin or managed plugin that names
//     a module of the reactor with a literal version equal to that module's
//     version before the change gets the new version;
//   - a version that is a single ${property} (CI-friendly ${revision}) is
//     set by changing the property in <properties> of the pom that defines
//     it: the pom itself or the nearest parent in the reactor.
//
// Only the text of those elements changes.
type Maven struct {
	// Root is the path of the reactor's root pom; empty means pom.xml.
	Root string
}

func (m Maven) root() string {
	if m.Root == "" {
		return "pom.xml"
	}
	return cleanPath(m.Root)
}

// Name is "maven (ROOT)".
func (m Maven) Name() string { return "maven (" + m.root() + ")" }

// Paths lists the poms of the reactor, the root first, then the modules in
// the order they are listed (depth first).
func (m Maven) Paths(files Files) ([]string, error) {
	r, err := loadReactor(files, m.root())
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
	r, err := loadReactor(files, m.root())
	if err != nil {
		return "", err
	}
	return r.version(r.root, 0)
}

// Set sets the reactor's version.
func (m Maven) Set(files Files, version string) ([]Change, error) {
	plans, err := m.plan(files, version)
	if err != nil {
		return nil, err
	}
	cs := changes(plans)
	// Check the result: every pom still parses and the reactor now says
	// version.
	ov := overlay{base: files, changed: map[string][]byte{}}
	for _, c := range cs {
		ov.changed[c.Path] = c.New
	}
	got, err := m.Current(ov)
	if err != nil {
		return nil, fmt.Errorf("check the edited poms: %w", err)
	}
	if got != version {
		return nil, fmt.Errorf("%w: after setting %s the root pom %s resolves to version %s", ErrUnsupported, version, m.root(), got)
	}
	return cs, nil
}

// plan computes the edits that set version, one entry per pom.
func (m Maven) plan(files Files, version string) ([]fileEdits, error) {
	if err := checkVersion(version); err != nil {
		return nil, err
	}
	r, err := loadReactor(files, m.root())
	if err != nil {
		return nil, err
	}
	pl := &mavenPlan{r: r, version: version, edits: map[*pom]map[int]edit{}}
	root := r.root
	if !root.version.present {
		if _, err := r.version(root, 0); err != nil {
			return nil, err
		}
		if root.parent == nil {
			return nil, fileErr(root.path, 0, ErrNoVersion,
				"the root project has no <version> of its own and inherits it from its parent %s:%s, which is not part of the reactor: add a <version> to the root <project>",
				root.parentGroup.value, root.parentArtifact.value)
		}
	}
	// Versions first: the dependencies below compare with them.
	for _, p := range r.poms {
		if _, err := r.version(p, 0); err != nil {
			return nil, err
		}
	}
	for _, p := range r.poms {
		if p.version.present {
			if err := pl.set(p, p.version, "<version>", 0); err != nil {
				return nil, err
			}
		}
		if p.parent != nil && p.parentVersion.present {
			if err := pl.set(p, p.parentVersion, "<parent> <version>", 0); err != nil {
				return nil, err
			}
		}
	}
	for _, p := range r.poms {
		for _, ref := range p.refs {
			target := r.refTarget(p, ref)
			if target == nil || !ref.version.present || !ref.version.plain || strings.Contains(ref.version.value, "${") {
				continue
			}
			old, err := r.version(target, 0)
			if err != nil {
				return nil, err
			}
			if ref.version.value == old {
				pl.add(p, ref.version)
			}
		}
	}
	var out []fileEdits
	for _, p := range r.poms {
		fe := fileEdits{path: p.path, old: p.data}
		for _, e := range pl.edits[p] {
			fe.edits = append(fe.edits, e)
		}
		sort.Slice(fe.edits, func(i, j int) bool { return fe.edits[i].start < fe.edits[j].start })
		out = append(out, fe)
	}
	return out, nil
}

type mavenPlan struct {
	r       *reactor
	version string
	edits   map[*pom]map[int]edit
}

func (pl *mavenPlan) add(p *pom, n xnode) {
	if pl.edits[p] == nil {
		pl.edits[p] = map[int]edit{}
	}
	pl.edits[p][n.start] = edit{start: n.start, end: n.end, text: pl.version}
}

// singleProperty matches a version that is one property reference.
var singleProperty = regexp.MustCompile(`^\$\{([^${}]+)\}$`)

// set makes node n of p (a version, or a property behind one) say the new
// version.
func (pl *mavenPlan) set(p *pom, n xnode, what string, depth int) error {
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
		pl.add(p, n)
		return nil
	}
	m := singleProperty.FindStringSubmatch(n.value)
	if m == nil {
		return fileErr(p.path, n.line, ErrUnsupported,
			"%s %s combines text and properties; relman sets a literal version or a single ${property}: keep the whole version in one property, like <version>${revision}</version>", what, n.value)
	}
	name := m[1]
	if builtinProperty(name) {
		return fileErr(p.path, n.line, ErrUnsupported, "%s %s refers to the project model; expected a literal version or a ${property} defined in <properties>", what, n.value)
	}
	q, prop := pl.r.property(p, name)
	if q == nil {
		return fileErr(p.path, n.line, ErrNoVersion,
			"%s %s uses property %q, which no pom of the reactor defines in <properties>: define it in the root pom, like <properties><%s>1.0.0</%s></properties>",
			what, n.value, name, name, name)
	}
	return pl.set(q, prop, "property <"+name+">", depth+1)
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
	group, artifact, version xnode
}

// pom is one parsed pom.xml.
type pom struct {
	path                    string
	data                    []byte
	group, artifact         xnode
	version                 xnode
	hasParent               bool
	parentGroup             xnode
	parentArtifact          xnode
	parentVersion           xnode
	parentRel               xnode
	modules                 []xnode
	props                   map[string]xnode
	refs                    []mref
	parent                  *pom // the parent when it is a reactor module
	resolved                string
	resolvedOK, resolveBusy bool
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
			joined := strings.Join(names, "/")
			switch {
			case depPath.MatchString(joined):
				f.ref = len(out.refs)
				out.refs = append(out.refs, mref{})
			case pluginPath.MatchString(joined):
				f.ref = len(out.refs)
				out.refs = append(out.refs, mref{plugin: true})
			case joined == "project/parent":
				out.hasParent = true
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

// assign stores a project-level node by its element path.
func (p *pom) assign(names []string, n xnode) {
	joined := strings.Join(names, "/")
	switch joined {
	case "project/groupId":
		p.group = n
	case "project/artifactId":
		p.artifact = n
	case "project/version":
		p.version = n
	case "project/parent/groupId":
		p.parentGroup = n
	case "project/parent/artifactId":
		p.parentArtifact = n
	case "project/parent/version":
		p.parentVersion = n
	case "project/parent/relativePath":
		p.parentRel = n
	default:
		switch {
		case len(names) == 3 && names[1] == "properties":
			p.props[names[2]] = n
		case modulePath.MatchString(joined):
			p.modules = append(p.modules, n)
		}
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

// reactor is the root pom and its modules.
type reactor struct {
	root   *pom
	poms   []*pom // the root, then modules depth first
	byPath map[string]*pom
	byGA   map[string]*pom
}

func loadReactor(files Files, rootPath string) (*reactor, error) {
	if !insideRoot(rootPath) {
		return nil, fmt.Errorf("root pom %q is outside the repository: expected a path relative to the repository root", rootPath)
	}
	r := &reactor{byPath: map[string]*pom{}, byGA: map[string]*pom{}}
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
			return &FileError{Path: p.path, Line: m.line, Err: fmt.Errorf(
				"module %q: %s %w: fix the <module> entry or add the module's pom", m.value, file, fs.ErrNotExist)}
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
			p.parent = q
			return
		}
	}
	if q, ok := r.byGA[ga]; ok && q != p {
		p.parent = q
	}
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
	if p.resolvedOK {
		return p.resolved, nil
	}
	if depth > maxDepth || p.resolveBusy {
		return "", fileErr(p.path, p.version.line, ErrNoVersion, "the version refers to itself through properties")
	}
	n := p.version
	if !n.present {
		switch {
		case p.hasParent && p.parentVersion.present:
			n = p.parentVersion
		case p.parent != nil:
			p.resolveBusy = true
			v, err := r.version(p.parent, depth+1)
			p.resolveBusy = false
			if err != nil {
				return "", err
			}
			p.resolved, p.resolvedOK = v, true
			return v, nil
		default:
			return "", fileErr(p.path, 0, ErrNoVersion, "the project has no <version> and no <parent> <version> to inherit: add a <version> to the <project>")
		}
	}
	if n.value == "" {
		return "", fileErr(p.path, n.line, ErrNoVersion, "<version> is empty: expected a version like 1.2.3 or ${revision}")
	}
	p.resolveBusy = true
	v, err := r.resolve(p, n.value, depth+1)
	p.resolveBusy = false
	if err != nil {
		return "", fileErr(p.path, n.line, ErrNoVersion, "cannot resolve version %s: %v", n.value, err)
	}
	p.resolved, p.resolvedOK = v, true
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
	for q, i := p, 0; q != nil && i <= maxDepth; q, i = q.parent, i+1 {
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
