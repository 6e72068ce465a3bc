// Package graphparse reads back the Mermaid and DOT renderings of a flow
// graph (flowtrace.WriteMermaid, WriteDOT), strictly, for tests: it is not
// part of the binary.
package graphparse

import (
	"bufio"
	"fmt"
	"github.com/kx-cli/kx/pkg/flowtrace"
	"io"
	"regexp"
	"strconv"
	"strings"
)

// ParseMermaid reads back what WriteMermaid writes, strictly: it is how
// tests prove the output is a well-formed flowchart (declared node ids,
// closed quoted labels, no character that ends a label early).
func ParseMermaid(r io.Reader) (flowtrace.Graph, error) {
	var g flowtrace.Graph
	topics := map[string]string{}
	sc := bufio.NewScanner(r)
	line := 0
	nodeRe := regexp.MustCompile(`^  (n[0-9]+)\["([^"|]*)"\]$`)
	edgeRe := regexp.MustCompile(`^  (n[0-9]+) -->\|"([^"|]*)"\| (n[0-9]+)$`)
	for sc.Scan() {
		line++
		text := sc.Text()
		if line == 1 {
			if text != "flowchart LR" {
				return g, fmt.Errorf("mermaid:1: want \"flowchart LR\", got %q", text)
			}
			continue
		}
		if m := nodeRe.FindStringSubmatch(text); m != nil {
			topic, _, _ := strings.Cut(m[2], "<br/>")
			if _, dup := topics[m[1]]; dup {
				return g, fmt.Errorf("mermaid:%d: node %s declared twice", line, m[1])
			}
			topics[m[1]] = topic
			g.Nodes = append(g.Nodes, flowtrace.Node{Type: "node", Topic: topic})
			continue
		}
		if m := edgeRe.FindStringSubmatch(text); m != nil {
			from, ok1 := topics[m[1]]
			to, ok2 := topics[m[3]]
			if !ok1 || !ok2 {
				return g, fmt.Errorf("mermaid:%d: edge between undeclared nodes", line)
			}
			keys, err := leadingInt(m[2])
			if err != nil {
				return g, fmt.Errorf("mermaid:%d: %v", line, err)
			}
			g.Edges = append(g.Edges, flowtrace.Edge{Type: "edge", From: from, To: to, Keys: keys})
			continue
		}
		return g, fmt.Errorf("mermaid:%d: not a node or an edge: %q", line, text)
	}
	if line == 0 {
		return g, fmt.Errorf("mermaid: empty")
	}
	return g, sc.Err()
}

// ParseDOT reads back what WriteDOT writes: a digraph of quoted node
// statements and edges with label attributes, strictly tokenized.
func ParseDOT(r io.Reader) (flowtrace.Graph, error) {
	var g flowtrace.Graph
	b, err := io.ReadAll(r)
	if err != nil {
		return g, err
	}
	toks, err := dotTokens(string(b))
	if err != nil {
		return g, err
	}
	i := 0
	next := func() string {
		if i >= len(toks) {
			return ""
		}
		i++
		return toks[i-1]
	}
	expect := func(want string) error {
		if got := next(); got != want {
			return fmt.Errorf("dot: want %q, got %q (token %d)", want, got, i)
		}
		return nil
	}
	if err := expect("digraph"); err != nil {
		return g, err
	}
	if name := next(); !strings.HasPrefix(name, `"`) {
		return g, fmt.Errorf("dot: graph name %q not quoted", name)
	}
	if err := expect("{"); err != nil {
		return g, err
	}
	nodes := map[string]bool{}
	for {
		t := next()
		switch {
		case t == "}":
			if i != len(toks) {
				return g, fmt.Errorf("dot: tokens after the closing brace")
			}
			return g, nil
		case t == "":
			return g, fmt.Errorf("dot: missing closing brace")
		case t == "rankdir" || t == "node":
			for t != ";" && t != "" {
				t = next()
			}
		case strings.HasPrefix(t, `"`):
			name, _ := strconv.Unquote(t)
			attrs := func() (map[string]string, error) {
				a := map[string]string{}
				if err := expect("["); err != nil {
					return nil, err
				}
				for {
					k := next()
					if k == "]" {
						break
					}
					if err := expect("="); err != nil {
						return nil, err
					}
					v, err := strconv.Unquote(next())
					if err != nil {
						return nil, fmt.Errorf("dot: attribute %s: %v", k, err)
					}
					a[k] = v
				}
				return a, expect(";")
			}
			if toks[i] == "->" {
				i++
				to, err := strconv.Unquote(next())
				if err != nil {
					return g, fmt.Errorf("dot: edge target: %v", err)
				}
				if !nodes[name] || !nodes[to] {
					return g, fmt.Errorf("dot: edge %s -> %s between undeclared nodes", name, to)
				}
				a, err := attrs()
				if err != nil {
					return g, err
				}
				keys, err := leadingInt(a["label"])
				if err != nil {
					return g, fmt.Errorf("dot: edge %s -> %s: %v", name, to, err)
				}
				g.Edges = append(g.Edges, flowtrace.Edge{Type: "edge", From: name, To: to, Keys: keys})
				continue
			}
			if _, err := attrs(); err != nil {
				return g, err
			}
			nodes[name] = true
			g.Nodes = append(g.Nodes, flowtrace.Node{Type: "node", Topic: name})
		default:
			return g, fmt.Errorf("dot: unexpected %q", t)
		}
	}
}

// dotTokens splits DOT text into quoted strings, ids and punctuation.
func dotTokens(s string) ([]string, error) {
	var toks []string
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\n' || c == '\t':
			i++
		case c == '"':
			j := i + 1
			for ; j < len(s) && s[j] != '"'; j++ {
				if s[j] == '\\' {
					j++
				}
			}
			if j >= len(s) {
				return nil, fmt.Errorf("dot: unterminated string at byte %d", i)
			}
			toks = append(toks, s[i:j+1])
			i = j + 1
		case strings.HasPrefix(s[i:], "->"):
			toks = append(toks, "->")
			i += 2
		case strings.ContainsRune("{}[];=,", rune(c)):
			toks = append(toks, string(c))
			i++
		default:
			j := i
			for j < len(s) && (s[j] == '_' || s[j] >= 'a' && s[j] <= 'z' || s[j] >= 'A' && s[j] <= 'Z' || s[j] >= '0' && s[j] <= '9') {
				j++
			}
			if j == i {
				return nil, fmt.Errorf("dot: unexpected %q at byte %d", c, i)
			}
			toks = append(toks, s[i:j])
			i = j
		}
	}
	return toks, nil
}

func leadingInt(label string) (int, error) {
	f := strings.Fields(label)
	if len(f) == 0 {
		return 0, fmt.Errorf("empty label")
	}
	return strconv.Atoi(f[0])
}
