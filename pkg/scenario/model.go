package scenario

import (
	"fmt"
	"time"

	"github.com/kx-cli/kx/pkg/schema"
)

// Scenario is a validated, compiled scenario file.
type Scenario struct {
	Name        string
	Description string
	// Seed is the scenario's default seed; HasSeed reports whether the file set one.
	Seed    int64
	HasSeed bool
	Topics  []Topic
	Phases  []Phase
	Params  []Param
	// File is the path or name the scenario was parsed from.
	File string

	topicIdx  map[string]int
	paramIdx  map[string]int
	templates map[string]*template
	flows     []*flow
	flowIdx   map[string]int
	nseq      int // sequence counters allocated across templates
	nemit     int // emit steps across flows (instr.id)
	// slots are the values flows keep for later steps (planCtx).
	slots   []ctxSlot
	slotIdx map[ctxSlot]int
	// phaseParams[i] holds the parameter values in force during phase i;
	// index len(Phases) holds the scenario defaults.
	phaseParams [][]paramVal
}

// Topic is a Kafka topic the scenario writes to.
type Topic struct {
	Name              string
	Partitions        int32
	ReplicationFactor int16
	// KeyField names the top-level event field used as the record key;
	// empty means records have no key.
	KeyField string
	// Config holds optional topic configs (e.g. retention.ms) for creation.
	Config map[string]string
	// Format is how events are written: FormatJSON (the default),
	// FormatAvro, FormatProtobuf or FormatJSONSchema.
	Format string
	// Schema encodes the events of a topic whose Format is not JSON; the
	// player registers it and sets its ID before the first event.
	Schema *schema.Encoder
}

// Param is a named scenario parameter, overridable per phase.
type Param struct {
	Name        string
	Description string
	// Default is the value as written in the file (number or string).
	Default any
}

// Phase is a named slice of the timeline.
type Phase struct {
	Name            string
	Start, Duration time.Duration
	// Rate is flows started per second (before GeneratorOptions.RateScale);
	// Count is a fixed number of flows spread evenly over the phase. At most
	// one of them is non-zero; both zero means no new flows in this phase.
	Rate  float64
	Count int
	// Flows names the flows started in this phase, with relative weights.
	Flows []FlowWeight
	// Hold parks flows that reach a `then: hold` branch during this phase;
	// Resolve resumes every parked flow, spread over ResolveOver.
	Hold, Resolve bool
	ResolveOver   time.Duration
	// Overrides are the parameter values this phase sets, as written.
	Overrides map[string]any
}

// FlowWeight is a flow started by a phase and its relative share.
type FlowWeight struct {
	Flow   string
	Weight float64
}

// MaxRate is the most flows a phase may start per second, --rate-scale
// included: far beyond what one producer sends, so a typo (rate: 1e12)
// is an error instead of a run that never ends. MaxFlows is the most
// flows one phase may start (rate × duration, or count).
const (
	MaxRate  = 1e6
	MaxFlows = 1e9
)

// CheckRateScale reports the first phase that rateScale would take past
// MaxRate or MaxFlows.
func (s *Scenario) CheckRateScale(rateScale float64) error {
	for _, p := range s.Phases {
		if r := p.Rate * rateScale; r > MaxRate {
			return fmt.Errorf("phase %s would start %g flows per second, more than the maximum of %g", p.Name, r, float64(MaxRate))
		}
		if p.Count == 0 && p.Rate*rateScale*p.Duration.Seconds() > MaxFlows {
			return fmt.Errorf("phase %s would start %g flows, more than the maximum of %g", p.Name, p.Rate*rateScale*p.Duration.Seconds(), float64(MaxFlows))
		}
	}
	return nil
}

// End is the phase's end in scenario time.
func (p Phase) End() time.Duration { return p.Start + p.Duration }

// ExpectedFlows is the number of flows the phase starts for a rate scale
// (1 when scale <= 0).
func (p Phase) ExpectedFlows(rateScale float64) int {
	if p.Count > 0 {
		return p.Count
	}
	if rateScale <= 0 {
		rateScale = 1
	}
	return int(p.Rate * rateScale * p.Duration.Seconds())
}

// Duration is the end of the last phase. Flows still in progress then keep
// emitting their remaining steps after it (see Generator).
func (s *Scenario) Duration() time.Duration {
	var end time.Duration
	for _, p := range s.Phases {
		end = max(end, p.End())
	}
	return end
}

// Phase returns the phase of that name.
func (s *Scenario) Phase(name string) (Phase, bool) {
	for _, p := range s.Phases {
		if p.Name == name {
			return p, true
		}
	}
	return Phase{}, false
}

// PhaseNames lists the phases in time order.
func (s *Scenario) PhaseNames() []string {
	out := make([]string, len(s.Phases))
	for i, p := range s.Phases {
		out[i] = p.Name
	}
	return out
}

// Topic returns the declared topic by name.
func (s *Scenario) Topic(name string) (Topic, bool) {
	i, ok := s.topicIdx[name]
	if !ok {
		return Topic{}, false
	}
	return s.Topics[i], true
}

// paramVal is a parameter value: a number or a string (durations are strings
// validated where they are used).
type paramVal struct {
	isNum bool
	num   float64
	str   string
}

// numRef is a number written literally or as a parameter name.
type numRef struct {
	lit   float64
	param int // -1 for a literal
	rest  bool
}

// durRange is a fixed delay or a uniform range [min, max].
type durRange struct {
	min, max durRef
	set      bool
}

type durRef struct {
	lit   time.Duration
	param int // -1 for a literal
}

type genKind int

const (
	gConst genKind = iota
	gSequence
	gUUID
	gChoice
	gInt
	gFloat
	gTimestamp
	gFrom
	gArray
	gObject
	gJQ
	gParam
	gList
)

// gen is one field's value generator.
type gen struct {
	kind genKind
	val  any // const

	seq    int // sequence counter index
	format string
	intFmt intFormat // format, when fmt is not needed (sequence, int)
	// formatted holds every value of an int of literal bounds and a few
	// thousand values, formatted and boxed once ("PROD-0042"): no
	// allocation per event, and the flows that keep one share it.
	formatted       []any
	seqStart, seqBy int64

	choices []*gen
	weights []numRef

	min, max numRef
	decimals int // -1: no rounding

	offset durRange // timestamp offset
	tsFmt  string

	path []string // from
	slot int      // from: the context slot read, then rest walked
	rest []string

	elem     *gen // array element
	lenRange [2]numRef

	obj    *object
	mapObj bool // object: built as a map, for fields that read it (jq's .)

	jq *jqExpr

	param int
}

// object is an ordered set of generated fields.
type object struct {
	names []string
	gens  []*gen
}

func (o *object) index(name string) int {
	for i, n := range o.names {
		if n == name {
			return i
		}
	}
	return -1
}

type template struct {
	name   string
	topic  int // -1 when the steps must name it
	fields *object
	tags   []tag
}

type tag struct {
	name  string
	field string // set when the expression is just .field: read it directly
	jq    *jqExpr
}

type opcode int

const (
	opEmit opcode = iota
	opBranch
	opJump
	opEnd
	opHold
)

// instr is one instruction of a flow compiled to a linear program: emit
// steps, branches (jumps to option bodies), and the ends of option bodies.
type instr struct {
	op   opcode
	step string

	// emit
	tmpl    *template
	fields  *object // template fields with the step's `set` applied
	topic   int
	alias   string
	after   durRange
	foreach *jqExpr
	repeat  [2]numRef
	repeats bool
	every   durRange
	keep    keep // what the flow's context keeps of the event
	// drop is the slots no later step reads: the flow lets go of them
	// once the step is done (planDrops).
	drop []int
	id   int // index among the scenario's emit steps
	// Where build finds what it needs among the event's fields: the
	// record key (-1: none) and each tag read from a field (-1: absent);
	// needObj: some expression may read the event as its input, so it is
	// also built as a map.
	keyIdx  int
	tagIdx  []int
	needObj bool
	// members are the event's member names as JSON with their colon
	// ("orderId":), the fields' then extraKeys, encoded once.
	members []string

	// branch
	options []option

	target int // jump; hold: resume pc
}

type option struct {
	name   string
	prob   numRef
	target int
}

type flow struct {
	name        string
	description string
	prog        []instr
}
