package alert

import (
	"fmt"
	"sort"
	"strings"

	"github.com/kx-cli/kx/pkg/jqfilter"
	"github.com/kx-cli/kx/pkg/record"
)

// Template is an alert message: text with {{…}} placeholders. A
// placeholder is one of the alert's own fields (count, window, threshold,
// rate, rule, topic, severity) or a jq expression on the sample record
// ({{.orderId}}, {{$key}}); a string prints as itself, anything else as
// compact JSON, nothing (or an error) as "-".
type Template struct {
	src   string
	parts []part
}

type part struct {
	text  string
	field string           // an alert field
	jq    *jqfilter.Filter // or an expression on the record
}

// Fields a template can name.
var templateFields = map[string]bool{
	"count": true, "window": true, "threshold": true, "rate": true,
	"rule": true, "topic": true, "severity": true,
}

// TemplateError is a bad placeholder.
type TemplateError struct {
	Msg string
	JQ  error // the jq compile error, when that is the problem
}

func (e *TemplateError) Error() string { return e.Msg }

// ParseTemplate compiles the message template of a record rule.
func ParseTemplate(src string) (*Template, error) {
	return parseTemplate(src, templateFields, "")
}

// parseTemplate compiles a template whose placeholders are fields; a
// rule of kind noRecord (a health rule) has no record for a jq
// placeholder, so one is an error naming the fields it does have.
func parseTemplate(src string, fields map[string]bool, noRecord string) (*Template, error) {
	t := &Template{src: src}
	rest := src
	for {
		i := strings.Index(rest, "{{")
		if i < 0 {
			if rest != "" {
				t.parts = append(t.parts, part{text: rest})
			}
			return t, nil
		}
		if i > 0 {
			t.parts = append(t.parts, part{text: rest[:i]})
		}
		j := strings.Index(rest[i:], "}}")
		if j < 0 {
			return nil, &TemplateError{Msg: fmt.Sprintf("unclosed {{ in %q", src)}
		}
		expr := strings.TrimSpace(rest[i+2 : i+j])
		rest = rest[i+j+2:]
		switch {
		case expr == "":
			return nil, &TemplateError{Msg: fmt.Sprintf("empty {{}} in %q", src)}
		case fields[expr]:
			t.parts = append(t.parts, part{field: expr})
		case noRecord != "":
			return nil, &TemplateError{Msg: fmt.Sprintf("unknown placeholder {{%s}}: a %s rule has no record; it has %s", expr, noRecord, fieldList(fields))}
		default:
			f, err := jqfilter.Compile(expr)
			if err != nil {
				return nil, &TemplateError{Msg: fmt.Sprintf("placeholder {{%s}}: %v", expr, err), JQ: err}
			}
			t.parts = append(t.parts, part{jq: f})
		}
	}
}

func fieldList(fields map[string]bool) string {
	names := make([]string, 0, len(fields))
	for f := range fields {
		names = append(names, "{{"+f+"}}")
	}
	sort.Strings(names)
	return strings.Join(names, " ")
}

// String is the template's source.
func (t *Template) String() string { return t.src }

// Render fills the template from the alert's fields and its sample record
// (nil when there is none).
func (t *Template) Render(fields map[string]string, sample *record.Record) string {
	var b strings.Builder
	for _, p := range t.parts {
		switch {
		case p.field != "":
			b.WriteString(fields[p.field])
		case p.jq != nil:
			b.WriteString(renderJQ(p.jq, sample))
		default:
			b.WriteString(p.text)
		}
	}
	return b.String()
}

func renderJQ(f *jqfilter.Filter, r *record.Record) string {
	if r == nil {
		return "-"
	}
	vals, err := f.Values(r)
	if err != nil || len(vals) == 0 {
		return "-"
	}
	out := make([]string, 0, len(vals))
	for _, v := range vals {
		switch v := v.(type) {
		case string:
			out = append(out, v)
		case nil:
			out = append(out, "-")
		default:
			out = append(out, string(jqfilter.AppendValue(nil, v)))
		}
	}
	return strings.Join(out, ",")
}
