package cluster

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func meta() *Metadata {
	rf := func(n int) []PartitionMeta {
		var ps []PartitionMeta
		for i := range n {
			ps = append(ps, PartitionMeta{ID: int32(i), Leader: 1, Replicas: []int32{1, 2, 3}})
		}
		return ps
	}
	return &Metadata{Topics: []TopicMeta{
		{Name: "audit", Partitions: rf(1)},
		{Name: "orders.created", Partitions: rf(2)},
		{Name: "orders.shipped", Partitions: rf(1)},
		{Name: "payments"},
	}}
}

func names(ts []TopicMeta) string {
	var out []string
	for _, t := range ts {
		out = append(out, t.Name)
	}
	return strings.Join(out, ",")
}

func TestResolve(t *testing.T) {
	m := meta()
	for _, c := range []struct {
		patterns []string
		want     string
	}{
		{nil, "audit,orders.created,orders.shipped,payments"},
		{[]string{"audit"}, "audit"},
		// A name and a pattern matching it again: listed once, in order.
		{[]string{"orders.shipped", `orders\..*`, "audit", "audit"}, "orders.shipped,orders.created,audit"},
		// "." in a plain name is a name character, not a pattern.
		{[]string{"orders.created"}, "orders.created"},
	} {
		got, err := m.Resolve(c.patterns)
		if err != nil || names(got) != c.want {
			t.Errorf("%q: %s, %v; want %s", c.patterns, names(got), err, c.want)
		}
	}
	var unknown *UnknownTopicError
	if _, err := m.Resolve([]string{"audit", "ordersX"}); !errors.As(err, &unknown) || unknown.Topic != "ordersX" || !errors.Is(err, ErrUnknownTopic) || Class(err) != ErrUnknownTopic {
		t.Errorf("unknown name: %v", err)
	}
	for _, bad := range []string{"inv.*", "orders.(", "["} {
		if _, err := m.Resolve([]string{bad}); Class(err) != ErrInvalid || !strings.Contains(err.Error(), fmt.Sprintf("topic pattern %q", bad)) {
			t.Errorf("%q: %v, want an invalid pattern error", bad, err)
		}
	}
}

func TestTopicsAndPartitions(t *testing.T) {
	m := meta()
	if tm, ok := m.Topic("orders.created"); !ok || tm.ReplicationFactor() != 3 || len(tm.Partitions) != 2 {
		t.Errorf("orders.created: %+v %v", tm, ok)
	}
	if tm, ok := m.Topic("payments"); !ok || tm.ReplicationFactor() != 0 {
		t.Errorf("a topic without partitions: %+v %v", tm, ok)
	}
	for _, name := range []string{"", "a", "orders", "zzz"} {
		if _, ok := m.Topic(name); ok {
			t.Errorf("Topic(%q) found", name)
		}
	}
	tps := Partitions(m.Topics)
	if fmt.Sprint(tps) != fmt.Sprint([]TP{{Topic: "audit"}, {Topic: "orders.created"}, {Topic: "orders.created", Partition: 1}, {Topic: "orders.shipped"}}) {
		t.Errorf("partitions %v", tps)
	}
	for s, want := range map[string]bool{"orders.created": false, "a-b_c.9": false, "orders.*": true, "a|b": true, "^x$": true, `a\.b`: true, "t[0-9]": true} {
		if IsPattern(s) != want {
			t.Errorf("IsPattern(%q) = %v", s, !want)
		}
	}
	if (Watermark{Low: 3, High: 10}).Count() != 7 {
		t.Errorf("count")
	}
	at := time.UnixMilli(1700000000123)
	if AtTime(at) != 1700000000123 {
		t.Errorf("AtTime %d", AtTime(at))
	}
}

func TestClass(t *testing.T) {
	base := errors.New("broker said no")
	err := fmt.Errorf("list offsets: %w", Classify(ErrAuth, base))
	if Class(err) != ErrAuth || !errors.Is(err, base) || err.Error() != "list offsets: broker said no" {
		t.Errorf("classified: %v, class %v", err, Class(err))
	}
	if Class(base) != nil || Class(nil) != nil {
		t.Errorf("an unclassified error has a class")
	}
	for _, e := range []error{&TopicExistsError{Topic: "t"}, &UnknownGroupError{Group: "g"}, &UnknownTopicError{Topic: "t"}} {
		if !strings.Contains(e.Error(), `"`) {
			t.Errorf("%T: %q does not quote its name", e, e.Error())
		}
	}
}
