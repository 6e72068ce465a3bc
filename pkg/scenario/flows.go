package scenario

import (
	"fmt"
	"time"

	"go.yaml.in/yaml/v3"
)

// flowBuilder compiles one flow's nested steps into a linear program.
type flowBuilder struct {
	f       *flow
	steps   map[string]int // step name -> pc
	aliases map[string]bool
	holds   []pendingHold
}

type pendingHold struct {
	pc     int
	resume string
	node   *yaml.Node
}

func (l *loader) flows(n *yaml.Node) {
	f := l.mapping(n, "flows")
	for _, name := range f.safeOrder() {
		if !l.ok() {
			return
		}
		what := "flow " + name
		ff := l.mapping(f.vals[name], what, "description", "steps")
		if !l.ok() {
			return
		}
		fl := &flow{name: name}
		if v := ff.get("description"); v != nil {
			fl.description = l.str(v, what+".description")
		}
		if !ff.has("steps") {
			l.failf(f.vals[name], "%s: missing required key \"steps\"", what)
			return
		}
		b := &flowBuilder{f: fl, steps: map[string]int{}, aliases: map[string]bool{}}
		l.steps(b, ff.get("steps"), what, 0)
		if l.ok() && len(fl.prog) == 0 {
			l.failf(ff.get("steps"), "%s: needs at least one step", what)
		}
		for _, h := range b.holds {
			if h.resume == "" {
				continue
			}
			pc, ok := b.steps[h.resume]
			if !ok {
				l.failf(h.node, "%s: resume: undefined step %q", what, h.resume)
				return
			}
			fl.prog[h.pc].target = pc
		}
		l.s.flowIdx[name] = len(l.s.flows)
		l.s.flows = append(l.s.flows, fl)
	}
}

var stepKeys = []string{"name", "emit", "topic", "as", "after", "set", "foreach", "repeat", "every", "branch"}

func (l *loader) steps(b *flowBuilder, n *yaml.Node, what string, depth int) {
	if depth > 16 {
		l.failf(n, "%s: branches nested too deeply", what)
		return
	}
	for i, sn := range l.seq(n, what+".steps") {
		if !l.ok() {
			return
		}
		l.step(b, sn, fmt.Sprintf("%s.steps[%d]", what, i), depth)
	}
}

func (l *loader) step(b *flowBuilder, sn *yaml.Node, what string, depth int) {
	f := l.mapping(sn, what, stepKeys...)
	if !l.ok() {
		return
	}
	if f.has("emit") == f.has("branch") {
		l.failf(sn, "%s: a step needs exactly one of emit or branch", what)
		return
	}
	name := ""
	if v := f.get("name"); v != nil {
		name = l.str(v, what+".name")
	} else if v := f.get("emit"); v != nil {
		name = l.str(v, what+".emit")
	} else {
		l.failf(sn, "%s: a branch step needs a name", what)
		return
	}
	if _, dup := b.steps[name]; dup && l.ok() {
		at := f.get("name")
		if at == nil {
			at = sn
		}
		l.failf(at, "%s: duplicate step name %q (give it a name:)", what, name)
		return
	}
	what = fmt.Sprintf("flow %s step %s", b.f.name, name)
	pc := len(b.f.prog)
	b.steps[name] = pc
	in := instr{step: name, topic: -1}
	if v := f.get("after"); v != nil {
		in.after = l.delay(v, what+".after")
	}
	if f.has("branch") {
		for _, k := range []string{"emit", "topic", "as", "set", "foreach", "repeat", "every"} {
			if f.has(k) {
				l.failf(f.keys[k], "%s: %q applies to emit steps, not branches", what, k)
				return
			}
		}
		l.branch(b, f.get("branch"), in, what, depth)
		return
	}
	in.op = opEmit
	tn := f.get("emit")
	tname := l.str(tn, what+".emit")
	if !l.ok() {
		return
	}
	t, ok := l.s.templates[tname]
	if !ok {
		l.failf(tn, "%s: undefined template %q", what, tname)
		return
	}
	in.tmpl, in.topic, in.fields = t, t.topic, t.fields
	if v := f.get("topic"); v != nil {
		in.topic = l.topicRef(v, what+".topic")
	}
	if l.ok() && in.topic < 0 {
		l.failf(tn, "%s: template %q has no topic; set topic: on the step or the template", what, tname)
		return
	}
	if v := f.get("set"); v != nil {
		in.fields = l.override(t.fields, l.object(v, what+".set", 0))
	}
	if v := f.get("foreach"); v != nil {
		in.foreach = l.jq(v, what+".foreach", false)
	}
	if v := f.get("repeat"); v != nil {
		if in.foreach != nil {
			l.failf(f.keys["repeat"], "%s: use foreach or repeat, not both", what)
			return
		}
		in.repeat, in.repeats = l.countRange(v, what+".repeat"), true
	}
	if v := f.get("every"); v != nil {
		in.every = l.delay(v, what+".every")
	}
	in.alias = name
	if v := f.get("as"); v != nil {
		in.alias = l.str(v, what+".as")
	}
	if l.ok() && (in.alias == "item" || in.alias == "index") {
		l.failf(f.get("as"), "%s: %q is reserved; choose another alias", what, in.alias)
	}
	// The record key must come from a field the event actually has.
	if top := l.s.Topics[max(in.topic, 0)]; l.ok() && top.KeyField != "" && in.fields.index(top.KeyField) < 0 {
		l.failf(tn, "%s: topic %q is keyed by %q but template %q has no such field", what, top.Name, top.KeyField, tname)
		return
	}
	l.checkFrom(b, in.fields, in.foreach != nil || in.repeats, what)
	b.aliases[in.alias] = true
	in.id = l.s.nemit
	l.s.nemit++
	b.f.prog = append(b.f.prog, in)
}

// override returns base with the fields of set replaced or appended.
func (l *loader) override(base, set *object) *object {
	o := &object{names: append([]string(nil), base.names...), gens: append([]*gen(nil), base.gens...)}
	for i, n := range set.names {
		if j := o.index(n); j >= 0 {
			o.gens[j] = set.gens[i]
		} else {
			o.names = append(o.names, n)
			o.gens = append(o.gens, set.gens[i])
		}
	}
	return o
}

// checkFrom reports `from:` paths whose root is not an earlier step's alias.
func (l *loader) checkFrom(b *flowBuilder, o *object, iterates bool, what string) {
	var walk func(g *gen)
	walk = func(g *gen) {
		if g == nil || !l.ok() {
			return
		}
		switch g.kind {
		case gFrom:
			root := g.path[0]
			if root == "item" || root == "index" {
				if !iterates {
					l.failf(g.val.(*yaml.Node), "%s: from: %q needs a step with foreach or repeat", what, root)
				}
				return
			}
			if !b.aliases[root] {
				l.failf(g.val.(*yaml.Node), "%s: from: %q refers to undefined step %q (no earlier step of flow %s emits it)", what, g.path, root, b.f.name)
			}
		case gArray:
			walk(g.elem)
		case gObject:
			for _, c := range g.obj.gens {
				walk(c)
			}
		case gChoice, gList:
			for _, c := range g.choices {
				walk(c)
			}
		}
	}
	for _, g := range o.gens {
		walk(g)
	}
}

var optionKeys = []string{"name", "probability", "steps", "then", "resume"}

func (l *loader) branch(b *flowBuilder, n *yaml.Node, in instr, what string, depth int) {
	in.op = opBranch
	pc := len(b.f.prog)
	b.f.prog = append(b.f.prog, in)
	var jumps []int
	var opts []option
	rest := false
	for i, on := range l.seq(n, what+".branch") {
		ow := fmt.Sprintf("%s.branch[%d]", what, i)
		f := l.mapping(on, ow, optionKeys...)
		if !l.ok() {
			return
		}
		opt := option{name: fmt.Sprint(i), prob: numRef{param: -1, rest: true}, target: len(b.f.prog)}
		if v := f.get("name"); v != nil {
			opt.name = l.str(v, ow+".name")
		}
		if v := f.get("probability"); v != nil {
			opt.prob = l.num(v, ow+".probability", useProbability)
		} else if rest {
			l.failf(on, "%s: only one option may omit probability (it takes the rest)", ow)
			return
		} else {
			rest = true
		}
		if v := f.get("steps"); v != nil {
			l.steps(b, v, ow, depth+1)
		}
		then := "continue"
		if v := f.get("then"); v != nil {
			then = l.str(v, ow+".then")
		}
		if v := f.get("resume"); v != nil && then != "hold" && l.ok() {
			l.failf(f.keys["resume"], "%s: resume only applies with then: hold", ow)
		}
		switch then {
		case "continue":
			jumps = append(jumps, len(b.f.prog))
			b.f.prog = append(b.f.prog, instr{op: opJump, step: in.step})
		case "end":
			b.f.prog = append(b.f.prog, instr{op: opEnd, step: in.step})
		case "hold":
			h := pendingHold{pc: len(b.f.prog)}
			if v := f.get("resume"); v != nil {
				h.resume, h.node = l.str(v, ow+".resume"), v
			}
			b.holds = append(b.holds, h)
			b.f.prog = append(b.f.prog, instr{op: opHold, step: in.step, target: pc})
		default:
			if l.ok() {
				l.failf(f.get("then"), "%s.then: expected continue, end or hold, got %q", ow, then)
			}
		}
		opts = append(opts, opt)
	}
	if l.ok() && len(opts) == 0 {
		l.failf(n, "%s.branch: needs at least one option", what)
	}
	end := len(b.f.prog)
	for _, j := range jumps {
		b.f.prog[j].target = end
	}
	b.f.prog[pc].options = opts
	b.f.prog[pc].target = end // taken when the probabilities leave a gap and nothing is chosen
}

func (l *loader) phases(n *yaml.Node) {
	var prevEnd time.Duration
	names := map[string]bool{}
	for i, pn := range l.seq(n, "phases") {
		what := fmt.Sprintf("phases[%d]", i)
		f := l.mapping(pn, what, "name", "start", "duration", "end", "rate", "count", "flow", "flows", "overrides", "hold", "resolve", "resolve_over")
		if !l.ok() {
			return
		}
		p := Phase{Start: prevEnd}
		if !f.has("name") {
			l.failf(pn, "%s: missing required key \"name\"", what)
			return
		}
		p.Name = l.str(f.get("name"), what+".name")
		if names[p.Name] && l.ok() {
			l.failf(f.get("name"), "%s: duplicate phase name %q", what, p.Name)
		}
		names[p.Name] = true
		what = "phase " + p.Name
		if v := f.get("start"); v != nil {
			p.Start = l.fixedDur(v, what+".start")
			if l.ok() && p.Start < prevEnd {
				l.failf(v, "%s: starts at %v, before the previous phase ends (%v)", what, p.Start, prevEnd)
			}
		}
		switch {
		case f.has("duration") && f.has("end"):
			l.failf(f.keys["end"], "%s: give duration or end, not both", what)
		case f.has("duration"):
			p.Duration = l.fixedDur(f.get("duration"), what+".duration")
		case f.has("end"):
			end := l.fixedDur(f.get("end"), what+".end")
			if l.ok() && end <= p.Start {
				l.failf(f.get("end"), "%s: end %v is not after start %v", what, end, p.Start)
			}
			p.Duration = end - p.Start
		default:
			l.failf(pn, "%s: needs duration or end", what)
		}
		if l.ok() && p.Duration <= 0 {
			l.failf(f.get("duration"), "%s.duration: must be positive", what)
		}
		if f.has("rate") && f.has("count") {
			l.failf(f.keys["count"], "%s: give rate or count, not both", what)
		}
		if v := f.get("rate"); v != nil {
			p.Rate = l.number(v, what+".rate")
			if l.ok() && p.Rate < 0 {
				l.failf(v, "%s.rate: must not be negative, got %v", what, p.Rate)
			}
			if l.ok() && p.Rate > MaxRate {
				l.failf(v, "%s.rate: %g flows per second is more than the maximum of %g", what, p.Rate, float64(MaxRate))
			}
			if l.ok() && p.Rate*p.Duration.Seconds() > MaxFlows {
				l.failf(v, "%s.rate: %g flows per second for %v is %g flows, more than the maximum of %g", what, p.Rate, p.Duration, p.Rate*p.Duration.Seconds(), float64(MaxFlows))
			}
		}
		if v := f.get("count"); v != nil {
			c := l.integer(v, what+".count")
			if l.ok() && (c < 0 || c > 1e9) {
				l.failf(v, "%s.count: must be between 0 and 1e9, got %d", what, c)
			}
			p.Count = int(c)
		}
		l.phaseFlows(&p, f, pn, what)
		if v := f.get("hold"); v != nil {
			p.Hold = l.boolean(v, what+".hold")
		}
		if v := f.get("resolve"); v != nil {
			p.Resolve = l.boolean(v, what+".resolve")
		}
		p.ResolveOver = p.Duration / 2
		if v := f.get("resolve_over"); v != nil {
			p.ResolveOver = l.fixedDur(v, what+".resolve_over")
			if l.ok() && !p.Resolve {
				l.failf(f.keys["resolve_over"], "%s: resolve_over needs resolve: true", what)
			}
		}
		vals := l.defaults()
		if v := f.get("overrides"); v != nil {
			of := l.mapping(v, what+".overrides")
			p.Overrides = map[string]any{}
			for _, k := range of.safeOrder() {
				pi, ok := l.s.paramIdx[k]
				if !ok {
					l.failf(of.keys[k], "%s.overrides: undefined param %q", what, k)
					return
				}
				pv := l.paramValue(of.vals[k], what+".overrides."+k)
				if l.ok() && pv.isNum != l.paramDefs[pi].val.isNum {
					l.failf(of.vals[k], "%s.overrides.%s: expected a %s like the param's default", what, k, map[bool]string{true: "number", false: "string"}[l.paramDefs[pi].val.isNum])
				}
				vals[pi] = pv
				p.Overrides[k] = pv.any()
				l.overrides = append(l.overrides, overrideDef{param: pi, node: of.vals[k], val: pv, phase: p.Name})
			}
		}
		if !l.ok() {
			return
		}
		l.s.phaseParams = append(l.s.phaseParams, vals)
		l.s.Phases = append(l.s.Phases, p)
		prevEnd = p.End()
	}
	if l.ok() && len(l.s.Phases) == 0 {
		l.failf(n, "phases: at least one phase is required")
	}
	l.s.phaseParams = append(l.s.phaseParams, l.defaults())
}

func (l *loader) defaults() []paramVal {
	out := make([]paramVal, len(l.paramDefs))
	for i, d := range l.paramDefs {
		out[i] = d.val
	}
	return out
}

func (l *loader) phaseFlows(p *Phase, f *fields, pn *yaml.Node, what string) {
	switch {
	case f.has("flow") && f.has("flows"):
		l.failf(f.keys["flows"], "%s: give flow or flows, not both", what)
	case f.has("flow"):
		p.Flows = []FlowWeight{{Flow: l.flowRef(f.get("flow"), what+".flow"), Weight: 1}}
	case f.has("flows"):
		ff := l.mapping(f.get("flows"), what+".flows")
		for _, k := range ff.safeOrder() {
			if _, ok := l.s.flowIdx[k]; !ok && l.ok() {
				l.failf(ff.keys[k], "%s.flows: undefined flow %q", what, k)
			}
			w := l.number(ff.vals[k], what+".flows."+k)
			if l.ok() && w < 0 {
				l.failf(ff.vals[k], "%s.flows.%s: weight must not be negative", what, k)
			}
			p.Flows = append(p.Flows, FlowWeight{Flow: k, Weight: w})
		}
	}
	starts := p.Rate > 0 || p.Count > 0
	if l.ok() && starts && len(p.Flows) == 0 {
		if len(l.s.flows) != 1 {
			l.failf(pn, "%s: starts flows but names none (flow: NAME); the scenario has %d flows", what, len(l.s.flows))
			return
		}
		p.Flows = []FlowWeight{{Flow: l.s.flows[0].name, Weight: 1}}
	}
}

func (l *loader) flowRef(n *yaml.Node, what string) string {
	name := l.str(n, what)
	if _, ok := l.s.flowIdx[name]; !ok && l.ok() {
		l.failf(n, "%s: undefined flow %q", what, name)
	}
	return name
}

// fixedDur is a literal, non-negative duration (phase boundaries).
func (l *loader) fixedDur(n *yaml.Node, what string) time.Duration {
	dn := l.deref(n)
	if !l.ok() {
		return 0
	}
	var d time.Duration
	if isNumber(dn) {
		v := l.number(dn, what)
		if v > 1e9 {
			l.failf(dn, "%s: too long", what)
		}
		d = time.Duration(v * float64(time.Second))
	} else {
		s := l.str(dn, what+" (duration)")
		if !l.ok() {
			return 0
		}
		var ok bool
		if d, ok = parseDur(s); !ok {
			l.failf(dn, "%s: bad duration %q (e.g. 30s, 2m, 1m30s)", what, s)
			return 0
		}
	}
	if l.ok() && d < 0 {
		l.failf(dn, "%s: negative duration %v", what, d)
	}
	return d
}
