// Package yamlpos locates YAML syntax errors. yaml.v3 (whose node trees
// give kx its file:line:col for everything else) reports a syntax error at
// the line of the enclosing construct and without a column; goccy/go-yaml's
// parser points at the offending token. Scenario and alert-rule loaders
// share this.
package yamlpos

import (
	"errors"
	"regexp"
	"strconv"
	"strings"

	goccy "github.com/goccy/go-yaml"
	goccyparser "github.com/goccy/go-yaml/parser"
)

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// SyntaxError returns the position and message of a yaml.v3 syntax error
// in data: the offending token's position when goccy/go-yaml also rejects
// the document, else yaml.v3's line (column 1).
func SyntaxError(data []byte, err error) (line, col int, msg string) {
	msg = err.Error()
	line, col = 1, 1
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
	} else {
		msg = strings.TrimPrefix(msg, "yaml: ")
	}
	if l, c, ok := tokenPosition(data); ok {
		line, col = l, c
	}
	return line, col, msg
}

// tokenPosition asks goccy/go-yaml where the document breaks. Its parser
// has panicked on hostile input, so a panic means "unknown".
func tokenPosition(data []byte) (line, col int, ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	_, err := goccyparser.ParseBytes(data, 0)
	var ye goccy.Error
	if err == nil || !errors.As(err, &ye) || ye.GetToken() == nil || ye.GetToken().Position == nil {
		return 0, 0, false
	}
	p := ye.GetToken().Position
	return p.Line, p.Column, p.Line > 0
}
