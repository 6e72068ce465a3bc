package scenario

// fieldList is a generated JSON object (an object: generator) whose fields no
// expression reads while it is built: its values in declaration order,
// names shared with the generator. A flow keeps its order's items for its
// whole life, and as a map each item took 3.5× the memory. Expressions that
// go to jq see it as a map (jqValue).
type fieldList struct {
	names []string
	vals  []any
}

// get returns the named field's value (nil when absent).
func (f *fieldList) get(name string) any {
	for i, n := range f.names {
		if n == name {
			return f.vals[i]
		}
	}
	return nil
}

// member returns v.name the way jq's .name does for the objects the
// generator makes: ok is false when v cannot be indexed (jq's error).
func member(v any, name string) (any, bool) {
	switch m := v.(type) {
	case map[string]any:
		return m[name], true
	case *fieldList:
		return m.get(name), true
	case nil:
		return nil, true
	}
	return nil, false
}

// jqValue returns v with every *fieldList turned into a map, for jq; v itself
// when it holds none.
func jqValue(v any) any {
	if !holdsFieldList(v) {
		return v
	}
	switch x := v.(type) {
	case *fieldList:
		m := make(map[string]any, len(x.names))
		for i, n := range x.names {
			m[n] = jqValue(x.vals[i])
		}
		return m
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = jqValue(e)
		}
		return out
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = jqValue(e)
		}
		return m
	}
	return v
}

func holdsFieldList(v any) bool {
	switch x := v.(type) {
	case *fieldList:
		return true
	case []any:
		for _, e := range x {
			if holdsFieldList(e) {
				return true
			}
		}
	case map[string]any:
		for _, e := range x {
			if holdsFieldList(e) {
				return true
			}
		}
	}
	return false
}
