package scenario

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/itchyny/gojq"
	"go.yaml.in/yaml/v3"
)

// Load reads and validates a scenario file.
func Load(path string) (*Scenario, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open scenario: %w", err)
	}
	defer f.Close()
	// Read one byte past the limit so Parse can report the file as too large.
	buf := make([]byte, maxDocBytes+1)
	n, err := readFull(f, buf)
	if err != nil {
		return nil, fmt.Errorf("read scenario %s: %w", path, err)
	}
	return Parse(path, buf[:n])
}

func readFull(f *os.File, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := f.Read(buf[n:])
		n += m
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// Parse validates a scenario held in memory; filename is used in errors.
// Every validation failure is an *Error carrying file:line:col.
func Parse(filename string, data []byte) (s *Scenario, err error) {
	defer func() {
		// The YAML libraries are fuzzed but not ours to trust: a panic on
		// hostile input must still come back as a positioned error.
		if r := recover(); r != nil {
			s, err = nil, &Error{File: filename, Line: 1, Col: 1, Msg: fmt.Sprintf("cannot parse scenario: %v", r)}
		}
	}()
	root, perr := parseYAML(filename, data)
	if perr != nil {
		return nil, perr
	}
	l := &loader{decoder: decoder{file: filename}, data: data, s: &Scenario{
		File:      filename,
		topicIdx:  map[string]int{},
		paramIdx:  map[string]int{},
		templates: map[string]*template{},
		flowIdx:   map[string]int{},
	}}
	l.load(root)
	if l.err != nil {
		return nil, l.err
	}
	return l.s, nil
}

type loader struct {
	decoder
	data []byte // the file, for positions inside inline schemas
	s    *Scenario
	// params as parsed, with the nodes needed to report bad values later
	paramDefs []paramDef
	uses      []paramUse
	overrides []overrideDef
}

type overrideDef struct {
	param int
	node  *yaml.Node
	val   paramVal
	phase string
}

type paramDef struct {
	node *yaml.Node
	val  paramVal
}

// paramUse records how a parameter is used, so every value it can take
// (default and overrides) is checked against that use once phases are known.
type paramUse struct {
	param int
	kind  useKind
	node  *yaml.Node
}

type useKind int

const (
	useNumber useKind = iota
	useProbability
	useNonNegative
	useDuration
)

var fieldExprRE = regexp.MustCompile(`^\.[A-Za-z_][A-Za-z0-9_]*$`)

var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func (l *loader) load(root *yaml.Node) {
	top := l.mapping(root, "scenario", "name", "description", "seed", "params", "topics", "templates", "flows", "phases", "x-*")
	if !l.ok() {
		return
	}
	if n := top.get("name"); n != nil {
		l.s.Name = l.str(n, "name")
	} else {
		l.failf(root, "scenario: missing required key \"name\"")
	}
	if n := top.get("description"); n != nil {
		l.s.Description = l.str(n, "description")
	}
	if n := top.get("seed"); n != nil {
		l.s.Seed, l.s.HasSeed = l.integer(n, "seed"), true
	}
	if n := top.get("params"); n != nil {
		l.params(n)
	}
	if n := top.get("topics"); n != nil {
		l.topics(n)
	} else {
		l.failf(root, "scenario: missing required key \"topics\"")
	}
	if n := top.get("templates"); n != nil {
		l.templates(n)
	}
	if n := top.get("flows"); n != nil {
		l.flows(n)
	}
	if l.ok() {
		planCtx(l.s)
		l.s.eachEmit(func(in *instr) { in.layout(l.s.Topics[in.topic].KeyField) })
	}
	if n := top.get("phases"); n != nil {
		l.phases(n)
	} else {
		l.failf(root, "scenario: missing required key \"phases\"")
	}
	l.checkParamUses()
}

func (l *loader) params(n *yaml.Node) {
	f := l.mapping(n, "params")
	for _, name := range f.safeOrder() {
		if !l.ok() {
			return
		}
		if !identRE.MatchString(name) {
			l.failf(f.keys[name], "params: invalid parameter name %q (letters, digits, _)", name)
			return
		}
		v := f.vals[name]
		p := Param{Name: name}
		if dv := l.deref(v); dv != nil && dv.Kind == yaml.MappingNode {
			pf := l.mapping(dv, "param "+name, "value", "description")
			if pf.has("description") {
				p.Description = l.str(pf.get("description"), "param "+name+".description")
			}
			if !pf.has("value") {
				l.failf(dv, "param %s: missing required key \"value\"", name)
				return
			}
			v = pf.get("value")
		}
		pv := l.paramValue(v, "param "+name)
		p.Default = pv.any()
		l.s.paramIdx[name] = len(l.s.Params)
		l.s.Params = append(l.s.Params, p)
		l.paramDefs = append(l.paramDefs, paramDef{node: v, val: pv})
	}
}

func (l *loader) paramValue(n *yaml.Node, what string) paramVal {
	dn := l.deref(n)
	if !l.ok() {
		return paramVal{}
	}
	if isNumber(dn) {
		return paramVal{isNum: true, num: l.number(dn, what)}
	}
	return paramVal{str: l.str(dn, what+" (number or string)")}
}

func (v paramVal) any() any {
	if v.isNum {
		return v.num
	}
	return v.str
}

func (l *loader) topics(n *yaml.Node) {
	for _, tn := range l.seq(n, "topics") {
		f := l.mapping(tn, "topic", "name", "partitions", "replication_factor", "key", "config", "format", "schema", "message")
		if !l.ok() {
			return
		}
		t := Topic{Partitions: 1, ReplicationFactor: 1}
		if !f.has("name") {
			l.failf(tn, "topic: missing required key \"name\"")
			return
		}
		t.Name = l.str(f.get("name"), "topic.name")
		if t.Name == "" {
			l.failf(f.get("name"), "topic.name: must not be empty")
		}
		if _, dup := l.s.topicIdx[t.Name]; dup {
			l.failf(f.get("name"), "topic %q declared twice", t.Name)
		}
		if v := f.get("partitions"); v != nil {
			p := l.integer(v, "topic.partitions")
			if p < 1 || p > math.MaxInt32 {
				l.failf(v, "topic.partitions: must be between 1 and %d, got %d", math.MaxInt32, p)
			}
			t.Partitions = int32(p)
		}
		if v := f.get("replication_factor"); v != nil {
			r := l.integer(v, "topic.replication_factor")
			if r < 1 || r > math.MaxInt16 {
				l.failf(v, "topic.replication_factor: must be between 1 and %d, got %d", math.MaxInt16, r)
			}
			t.ReplicationFactor = int16(r)
		}
		if v := f.get("key"); v != nil {
			t.KeyField = l.str(v, "topic.key")
		}
		if v := f.get("config"); v != nil {
			cf := l.mapping(v, "topic.config")
			t.Config = map[string]string{}
			for _, k := range cf.safeOrder() {
				cv := l.deref(cf.vals[k])
				if l.ok() && cv.Kind != yaml.ScalarNode {
					l.failf(cv, "topic.config.%s: expected a scalar, got %s", k, kindName(cv))
				}
				if l.ok() {
					t.Config[k] = cv.Value
				}
			}
		}
		if l.ok() {
			l.topicFormat(f, &t)
		}
		if !l.ok() {
			return
		}
		l.s.topicIdx[t.Name] = len(l.s.Topics)
		l.s.Topics = append(l.s.Topics, t)
	}
	if l.ok() && len(l.s.Topics) == 0 {
		l.failf(n, "topics: at least one topic is required")
	}
}

func (l *loader) topicRef(n *yaml.Node, what string) int {
	name := l.str(n, what)
	if !l.ok() {
		return -1
	}
	i, ok := l.s.topicIdx[name]
	if !ok {
		l.failf(n, "%s: undefined topic %q", what, name)
		return -1
	}
	return i
}

func (l *loader) templates(n *yaml.Node) {
	f := l.mapping(n, "templates")
	for _, name := range f.safeOrder() {
		if !l.ok() {
			return
		}
		what := "template " + name
		tf := l.mapping(f.vals[name], what, "topic", "fields", "tags")
		if !l.ok() {
			return
		}
		t := &template{name: name, topic: -1}
		if v := tf.get("topic"); v != nil {
			t.topic = l.topicRef(v, what+".topic")
		}
		if !tf.has("fields") {
			l.failf(f.vals[name], "%s: missing required key \"fields\"", what)
			return
		}
		t.fields = l.object(tf.get("fields"), what+".fields", 0)
		if v := tf.get("tags"); v != nil {
			gf := l.mapping(v, what+".tags")
			for _, k := range gf.safeOrder() {
				tg := tag{name: k, jq: l.jq(gf.vals[k], what+".tags."+k, false)}
				if src := l.deref(gf.vals[k]); l.ok() && fieldExprRE.MatchString(src.Value) {
					tg.field = src.Value[1:]
				}
				t.tags = append(t.tags, tg)
			}
		}
		l.s.templates[name] = t
	}
}

// object parses a mapping of field name -> generator.
func (l *loader) object(n *yaml.Node, what string, depth int) *object {
	f := l.mapping(n, what)
	o := &object{}
	for _, k := range f.safeOrder() {
		if !l.ok() {
			return o
		}
		o.names = append(o.names, k)
		o.gens = append(o.gens, l.gen(f.vals[k], what+"."+k, depth+1))
	}
	return o
}

// genKeys maps each generator key to the modifiers it accepts.
var genKeys = map[string][]string{
	"const":     nil,
	"sequence":  {"start", "step"},
	"uuid":      nil,
	"choice":    {"weights"},
	"int":       {"format"},
	"float":     {"decimals", "format"},
	"timestamp": {"offset", "format"},
	"from":      nil,
	"array":     {"length"},
	"object":    nil,
	"jq":        {"decimals"},
	"param":     nil,
}

var genKeyList = []string{"const", "sequence", "uuid", "choice", "int", "float", "timestamp", "from", "array", "object", "jq", "param"}

// gen parses a field generator. A scalar is a constant, a list is a list of
// generators, a mapping has exactly one generator key plus its modifiers.
func (l *loader) gen(n *yaml.Node, what string, depth int) *gen {
	g := &gen{decimals: -1, param: -1}
	if depth > maxDepth {
		l.failf(n, "%s: generators nested too deeply", what)
		return g
	}
	dn := l.deref(n)
	if !l.ok() {
		return g
	}
	switch dn.Kind {
	case yaml.ScalarNode:
		g.kind, g.val = gConst, l.value(dn, depth)
		return g
	case yaml.SequenceNode:
		g.kind = gList
		for i, c := range dn.Content {
			g.choices = append(g.choices, l.gen(c, fmt.Sprintf("%s[%d]", what, i), depth+1))
		}
		return g
	}
	kind := l.genKind(dn, what)
	if kind == "" {
		return g
	}
	f := l.mapping(dn, what+" ("+kind+")", append([]string{kind}, genKeys[kind]...)...)
	if !l.ok() {
		return g
	}
	v := f.get(kind)
	switch kind {
	case "const":
		g.kind, g.val = gConst, l.value(v, depth)
	case "sequence":
		l.genSequence(g, v, f, what)
	case "uuid":
		g.kind = gUUID
		l.trueOrNull(v, what+".uuid")
	case "choice":
		l.genChoice(g, v, f, what, depth)
	case "int", "float":
		l.genNumber(g, kind, v, f, what)
	case "timestamp":
		l.genTimestamp(g, v, f, what)
	case "from":
		l.genFrom(g, v, what)
	case "array":
		g.kind = gArray
		g.elem = l.gen(v, what+".array", depth+1)
		g.lenRange = [2]numRef{{lit: 1, param: -1}, {lit: 1, param: -1}}
		if ln := f.get("length"); ln != nil {
			g.lenRange = l.countRange(ln, what+".length")
		}
	case "object":
		g.kind = gObject
		g.obj = l.object(v, what, depth+1)
	case "jq":
		g.kind = gJQ
		g.jq = l.jq(v, what+".jq", false)
		l.genDecimals(g, f, what)
	case "param":
		g.kind = gParam
		g.param = l.paramRef(v, what+".param")
	}
	return g
}

// genKind finds the one generator key of a mapping ("" after a failure).
// It looks before checking the other keys so the error for a stray key
// names the generator's allowed modifiers.
func (l *loader) genKind(dn *yaml.Node, what string) string {
	raw := l.mapping(dn, what)
	if !l.ok() {
		return ""
	}
	kind := ""
	for _, k := range raw.order {
		if _, ok := genKeys[k]; ok {
			if kind != "" {
				l.failf(raw.keys[k], "%s: both %q and %q given; a field has exactly one generator", what, kind, k)
				return ""
			}
			kind = k
		}
	}
	if kind == "" {
		k := raw.order
		at := dn
		if len(k) > 0 {
			at = raw.keys[k[0]]
		}
		l.failf(at, "%s: no generator key (one of %s); use object: for a nested object", what, strings.Join(genKeyList, ", "))
	}
	return kind
}

// genSequence: sequence: FORMAT with start and step.
func (l *loader) genSequence(g *gen, v *yaml.Node, f *fields, what string) {
	g.kind, g.seqStart, g.seqBy = gSequence, 1, 1
	if dv := l.deref(v); l.ok() && dv.ShortTag() != "!!null" {
		g.format = l.str(dv, what+".sequence (format)")
		if l.ok() && strings.Count(g.format, "%")-2*strings.Count(g.format, "%%") != 1 {
			l.failf(dv, "%s.sequence: format needs exactly one verb such as %%d or %%06d, got %q", what, g.format)
		}
		g.intFmt = parseIntFormat(g.format)
	}
	if s := f.get("start"); s != nil {
		g.seqStart = l.integer(s, what+".start")
	}
	if s := f.get("step"); s != nil {
		g.seqBy = l.integer(s, what+".step")
	}
	g.seq = l.s.nseq
	l.s.nseq++
}

// genChoice: choice: [generators] with optional weights, one per choice.
func (l *loader) genChoice(g *gen, v *yaml.Node, f *fields, what string, depth int) {
	g.kind = gChoice
	for i, c := range l.seq(v, what+".choice") {
		g.choices = append(g.choices, l.gen(c, fmt.Sprintf("%s.choice[%d]", what, i), depth+1))
	}
	if l.ok() && len(g.choices) == 0 {
		l.failf(v, "%s.choice: needs at least one value", what)
	}
	if w := f.get("weights"); w != nil {
		ws := l.seq(w, what+".weights")
		if l.ok() && len(ws) != len(g.choices) {
			l.failf(w, "%s.weights: %d weights for %d choices", what, len(ws), len(g.choices))
		}
		g.weights = l.probabilities(ws, what+".weights", useNonNegative)
	}
}

// genNumber: int or float: [min, max] with decimals and format.
func (l *loader) genNumber(g *gen, kind string, v *yaml.Node, f *fields, what string) {
	g.kind = gInt
	if kind == "float" {
		g.kind = gFloat
	}
	r := l.seq(v, what+"."+kind+" ([min, max])")
	if l.ok() && len(r) != 2 {
		l.failf(v, "%s.%s: expected [min, max]", what, kind)
		return
	}
	if !l.ok() {
		return
	}
	g.min, g.max = l.num(r[0], what+"."+kind+".min", useNumber), l.num(r[1], what+"."+kind+".max", useNumber)
	if l.ok() && g.min.param < 0 && g.max.param < 0 && g.min.lit > g.max.lit {
		l.failf(v, "%s.%s: min %v is greater than max %v", what, kind, g.min.lit, g.max.lit)
	}
	l.genDecimals(g, f, what)
	if s := f.get("format"); s != nil {
		g.format = l.str(s, what+".format")
		if g.kind == gInt {
			g.intFmt = parseIntFormat(g.format)
			g.formatted = formatAll(g)
		}
	}
}

// maxFormatted is the most values formatAll formats ahead.
const maxFormatted = 10000

// formatAll returns every value of g, an int with a format, formatted in
// order from its min, or nil when its bounds are parameters or it has
// more than maxFormatted values.
func formatAll(g *gen) []any {
	if !g.intFmt.ok || g.min.param >= 0 || g.max.param >= 0 {
		return nil
	}
	lo, hi := math.Ceil(g.min.lit), math.Floor(g.max.lit)
	if hi < lo || hi-lo >= maxFormatted {
		return nil
	}
	out := make([]any, int(hi-lo)+1)
	for i := range out {
		out[i] = g.intFmt.format(int64(lo) + int64(i))
	}
	return out
}

// genDecimals reads the decimals modifier (0 to 12).
func (l *loader) genDecimals(g *gen, f *fields, what string) {
	if d := f.get("decimals"); d != nil {
		g.decimals = int(l.integer(d, what+".decimals"))
		if l.ok() && (g.decimals < 0 || g.decimals > 12) {
			l.failf(d, "%s.decimals: must be between 0 and 12", what)
		}
	}
}

// genTimestamp: timestamp: now with an offset and a format.
func (l *loader) genTimestamp(g *gen, v *yaml.Node, f *fields, what string) {
	g.kind = gTimestamp
	if dv := l.deref(v); l.ok() && !(dv.ShortTag() == "!!null" || (dv.ShortTag() == "!!bool" && dv.Value == "true") || dv.Value == "now") {
		l.failf(dv, "%s.timestamp: expected now, true or null, got %q", what, dv.Value)
	}
	if o := f.get("offset"); o != nil {
		g.offset = l.delay(o, what+".offset")
	}
	g.tsFmt = "rfc3339ms"
	if s := f.get("format"); s != nil {
		g.tsFmt = l.str(s, what+".format")
		if l.ok() && !contains([]string{"rfc3339ms", "rfc3339", "unix_ms", "unix", "date"}, g.tsFmt) {
			l.failf(s, "%s.format: unknown timestamp format %q (rfc3339ms, rfc3339, unix_ms, unix, date)", what, g.tsFmt)
		}
	}
}

// genFrom: from: alias.field, resolved per flow.
func (l *loader) genFrom(g *gen, v *yaml.Node, what string) {
	g.kind = gFrom
	p := l.str(v, what+".from")
	g.path = strings.Split(p, ".")
	for _, seg := range g.path {
		if l.ok() && seg == "" {
			l.failf(v, "%s.from: malformed path %q (want alias.field[.field...])", what, p)
		}
	}
	g.val = v // node kept to report undefined aliases per flow
}

func (l *loader) trueOrNull(n *yaml.Node, what string) {
	dn := l.deref(n)
	if l.ok() && !(dn.ShortTag() == "!!null" || (dn.ShortTag() == "!!bool" && dn.Value == "true")) {
		l.failf(dn, "%s: expected true or null, got %s", what, kindName(dn))
	}
}

func (l *loader) paramRef(n *yaml.Node, what string) int {
	name := l.str(n, what)
	if !l.ok() {
		return -1
	}
	i, ok := l.s.paramIdx[name]
	if !ok {
		l.failf(n, "%s: undefined param %q", what, name)
		return -1
	}
	return i
}

// jqVars are the variables every expression can use.
var jqVars = []string{"$ctx", "$params", "$item", "$index"}

func (l *loader) jq(n *yaml.Node, what string, _ bool) *jqExpr {
	src := l.str(n, what)
	if !l.ok() {
		return nil
	}
	q, err := gojq.Parse(src)
	if err != nil {
		l.failf(n, "%s: bad jq expression %q: %v", what, src, err)
		return nil
	}
	code, err := gojq.Compile(q, gojq.WithVariables(jqVars))
	if err != nil {
		l.failf(n, "%s: bad jq expression %q: %v", what, src, err)
		return nil
	}
	return newJQExpr(q, code)
}

// num parses a number written literally or as a parameter name.
func (l *loader) num(n *yaml.Node, what string, use useKind) numRef {
	dn := l.deref(n)
	if !l.ok() {
		return numRef{param: -1}
	}
	if isNumber(dn) {
		v := l.number(dn, what)
		checkNum(l, dn, what, v, use)
		return numRef{lit: v, param: -1}
	}
	if dn.ShortTag() != "!!str" {
		l.failf(dn, "%s: expected a number or a param name, got %s", what, kindName(dn))
		return numRef{param: -1}
	}
	p := l.paramRef(dn, what)
	if p >= 0 {
		l.uses = append(l.uses, paramUse{param: p, kind: use, node: dn})
	}
	return numRef{param: p}
}

func checkNum(l *loader, n *yaml.Node, what string, v float64, use useKind) {
	switch use {
	case useProbability:
		if v < 0 || v > 1 {
			l.failf(n, "%s: probability must be between 0 and 1, got %v", what, v)
		}
	case useNonNegative:
		if v < 0 {
			l.failf(n, "%s: must not be negative, got %v", what, v)
		}
	}
}

// probabilities parses a list of weights; the string "rest" stands for
// whatever the others leave (1 - sum, at least 0).
func (l *loader) probabilities(ns []*yaml.Node, what string, use useKind) []numRef {
	out := make([]numRef, 0, len(ns))
	rest := false
	for i, n := range ns {
		if dn := l.deref(n); l.ok() && dn.ShortTag() == "!!str" && dn.Value == "rest" {
			if rest {
				l.failf(dn, "%s: only one weight may be \"rest\"", what)
			}
			rest = true
			out = append(out, numRef{param: -1, rest: true})
			continue
		}
		out = append(out, l.num(n, fmt.Sprintf("%s[%d]", what, i), use))
	}
	return out
}

// countRange parses N, [min, max] or "min..max" (non-negative integers or params).
func (l *loader) countRange(n *yaml.Node, what string) [2]numRef {
	dn := l.deref(n)
	if !l.ok() {
		return [2]numRef{}
	}
	var r [2]numRef
	switch {
	case dn.Kind == yaml.SequenceNode:
		if len(dn.Content) != 2 {
			l.failf(dn, "%s: expected N or [min, max]", what)
			return r
		}
		r = [2]numRef{l.num(dn.Content[0], what+".min", useNonNegative), l.num(dn.Content[1], what+".max", useNonNegative)}
	case dn.ShortTag() == "!!str" && strings.Contains(dn.Value, ".."):
		a, b, _ := strings.Cut(dn.Value, "..")
		var lo, hi int
		if _, err := fmt.Sscanf(strings.TrimSpace(a), "%d", &lo); err != nil {
			l.failf(dn, "%s: bad range %q", what, dn.Value)
		} else if _, err := fmt.Sscanf(strings.TrimSpace(b), "%d", &hi); err != nil {
			l.failf(dn, "%s: bad range %q", what, dn.Value)
		}
		r = [2]numRef{{lit: float64(lo), param: -1}, {lit: float64(hi), param: -1}}
		if l.ok() && lo < 0 {
			l.failf(dn, "%s: must not be negative", what)
		}
	default:
		v := l.num(dn, what, useNonNegative)
		r = [2]numRef{v, v}
	}
	if l.ok() && r[0].param < 0 && r[1].param < 0 && r[0].lit > r[1].lit {
		l.failf(dn, "%s: min %v is greater than max %v", what, r[0].lit, r[1].lit)
	}
	return r
}

// parseDur accepts Go durations ("1m30s", "250ms").
func parseDur(s string) (time.Duration, bool) {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	return d, err == nil
}

// delay parses a delay: a number of seconds, a duration, "min..max", a
// [min, max] list, {min, max}, or a param name (any of those as its value).
func (l *loader) delay(n *yaml.Node, what string) durRange {
	dn := l.deref(n)
	if !l.ok() {
		return durRange{}
	}
	switch {
	case dn.Kind == yaml.SequenceNode:
		if len(dn.Content) != 2 {
			l.failf(dn, "%s: expected [min, max]", what)
			return durRange{}
		}
		return l.checkRange(dn, what, l.dur(dn.Content[0], what+".min"), l.dur(dn.Content[1], what+".max"))
	case dn.Kind == yaml.MappingNode:
		f := l.mapping(dn, what, "min", "max")
		if l.ok() && (!f.has("min") || !f.has("max")) {
			l.failf(dn, "%s: needs both min and max", what)
			return durRange{}
		}
		return l.checkRange(dn, what, l.dur(f.get("min"), what+".min"), l.dur(f.get("max"), what+".max"))
	case dn.ShortTag() == "!!str" && strings.Contains(dn.Value, ".."):
		a, b, _ := strings.Cut(dn.Value, "..")
		return l.checkRange(dn, what, l.durString(dn, strings.TrimSpace(a), what), l.durString(dn, strings.TrimSpace(b), what))
	}
	d := l.dur(dn, what)
	return durRange{min: d, max: d, set: true}
}

func (l *loader) checkRange(n *yaml.Node, what string, a, b durRef) durRange {
	if l.ok() && a.param < 0 && b.param < 0 && a.lit > b.lit {
		l.failf(n, "%s: min %v is greater than max %v", what, a.lit, b.lit)
	}
	return durRange{min: a, max: b, set: true}
}

func (l *loader) dur(n *yaml.Node, what string) durRef {
	dn := l.deref(n)
	if !l.ok() {
		return durRef{param: -1}
	}
	if isNumber(dn) {
		v := l.number(dn, what)
		if l.ok() && v < 0 {
			l.failf(dn, "%s: negative duration %v", what, v)
		}
		return durRef{lit: time.Duration(v * float64(time.Second)), param: -1}
	}
	if dn.ShortTag() != "!!str" {
		l.failf(dn, "%s: expected a duration such as 1.5s, 2m or 100ms..2s, got %s", what, kindName(dn))
		return durRef{param: -1}
	}
	return l.durString(dn, dn.Value, what)
}

func (l *loader) durString(n *yaml.Node, s, what string) durRef {
	if d, ok := parseDur(s); ok {
		if d < 0 {
			l.failf(n, "%s: negative duration %s", what, s)
		}
		return durRef{lit: d, param: -1}
	}
	if p, ok := l.s.paramIdx[s]; ok {
		l.uses = append(l.uses, paramUse{param: p, kind: useDuration, node: n})
		return durRef{param: p}
	}
	l.failf(n, "%s: %q is neither a duration (e.g. 500ms, 2s, 1m30s) nor a param", what, s)
	return durRef{param: -1}
}

// durationValue interprets a param value as a delay.
func (v paramVal) duration() (time.Duration, bool) {
	if v.isNum {
		return time.Duration(v.num * float64(time.Second)), v.num >= 0
	}
	d, ok := parseDur(v.str)
	return d, ok && d >= 0
}

// checkParamUses validates every value a parameter takes (its default and
// each phase override) against every way the parameter is used.
func (l *loader) checkParamUses() {
	if !l.ok() {
		return
	}
	type val struct {
		node *yaml.Node
		v    paramVal
		from string
	}
	vals := make([][]val, len(l.paramDefs))
	for i, d := range l.paramDefs {
		vals[i] = append(vals[i], val{d.node, d.val, "default"})
	}
	for _, o := range l.overrides {
		vals[o.param] = append(vals[o.param], val{o.node, o.val, "phase " + o.phase})
	}
	for _, u := range l.uses {
		name := l.s.Params[u.param].Name
		for _, v := range vals[u.param] {
			if !l.ok() {
				return
			}
			switch u.kind {
			case useDuration:
				if _, ok := v.v.duration(); !ok {
					l.failf(v.node, "param %s (%s): %v is not a non-negative duration, but it is used as one at line %d", name, v.from, v.v.any(), u.node.Line)
				}
			default:
				if !v.v.isNum {
					l.failf(v.node, "param %s (%s): %q is not a number, but it is used as one at line %d", name, v.from, v.v.str, u.node.Line)
				} else if u.kind == useProbability && (v.v.num < 0 || v.v.num > 1) {
					l.failf(v.node, "param %s (%s): probability must be between 0 and 1, got %v", name, v.from, v.v.num)
				} else if u.kind == useNonNegative && v.v.num < 0 {
					l.failf(v.node, "param %s (%s): must not be negative, got %v", name, v.from, v.v.num)
				}
			}
		}
	}
}
