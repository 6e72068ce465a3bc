// Package flowtrace correlates Kafka records across the topics of a
// business flow: the timeline and verdict of `kx trace` (where is order
// 12345?) and the inferred topic graph of `kx flow`. The Collector reads
// the flow's topics through pkg/consume; the rest is pure: records come
// in, views come out.
package flowtrace

import (
	"fmt"
	"strings"
)

// Flow describes a business flow: its topics in the order their stages are
// expected to happen and how records tie to the traced entity.
type Flow struct {
	Name string `json:"name" yaml:"name"`
	// Field is the id traced by default (the one users type: an orderId).
	Field string `json:"field" yaml:"field"`
	// Stages in the expected order of events.
	Stages []Stage `json:"stages" yaml:"stages"`
	// Errors are the status values that mean a step failed.
	Errors []string `json:"errors,omitempty" yaml:"errors,omitempty"`
}

// Stage is one topic of a flow.
type Stage struct {
	Name  string `json:"name" yaml:"name"`
	Topic string `json:"topic" yaml:"topic"`
	// Key is the id the record key holds (e.g. orderId): when that id is
	// known, only the partition the key hashes to is read.
	Key string `json:"key,omitempty" yaml:"key,omitempty"`
	// Match are the ids that tie a record to the trace (orderId,
	// shipmentId). Empty means the flow's Field.
	Match []string `json:"match,omitempty" yaml:"match,omitempty"`
	// Learn maps an id to where to find it in a matched record
	// (customerId: .customerId, productId: .items[].productId); learned
	// ids prune the partitions of the stages keyed by them.
	Learn map[string]string `json:"learn,omitempty" yaml:"learn,omitempty"`
	// Status is the path of the field shown as the event (status,
	// notificationType); empty shows the stage name.
	Status string `json:"status,omitempty" yaml:"status,omitempty"`
	// Optional stages are not reported missing.
	Optional bool `json:"optional,omitempty" yaml:"optional,omitempty"`
	// Root marks the stage that starts the flow: nothing of the flow
	// happens before it, so later stages are read from its time on.
	Root bool `json:"root,omitempty" yaml:"root,omitempty"`
}

// Ecommerce is the built-in flow of the e-commerce use case: the default
// when its topics exist.
func Ecommerce() Flow {
	return Flow{
		Name:  "ecommerce",
		Field: "orderId",
		Stages: []Stage{
			{Name: "created", Topic: "orders.created", Key: "customerId", Root: true,
				Learn: map[string]string{"customerId": ".customerId", "productId": ".items[].productId"}},
			{Name: "inventory", Topic: "inventory.updates", Key: "productId", Status: ".alertLevel"},
			{Name: "payment", Topic: "payment.transactions", Key: "orderId", Status: ".status"},
			{Name: "notification", Topic: "customer.notifications", Key: "customerId", Status: ".notificationType"},
			{Name: "shipping", Topic: "shipping.events", Key: "shipmentId", Status: ".status",
				Match: []string{"orderId", "shipmentId"}, Learn: map[string]string{"shipmentId": ".shipmentId"}},
			{Name: "completed", Topic: "orders.completed", Key: "orderId", Status: ".status"},
		},
		Errors: []string{"ERROR", "FAILED", "FAILURE", "REJECTED", "CANCELLED", "PAYMENT_FAILED", "OUT_OF_STOCK"},
	}
}

// Custom builds a flow over topics in the given order, matching records by
// fields (the first is the traced id, the others are learned from matched
// records and matched too). keys maps a topic to the id its key holds.
func Custom(topics, fields []string, keys map[string]string) (Flow, error) {
	if len(topics) == 0 {
		return Flow{}, fmt.Errorf("no topics")
	}
	if len(fields) == 0 {
		return Flow{}, fmt.Errorf("no correlation field")
	}
	f := Flow{Name: "custom", Field: fields[0], Errors: Ecommerce().Errors}
	learn := map[string]string{}
	for _, fl := range fields[1:] {
		learn[strings.TrimPrefix(fl, ".")] = fl
	}
	for i, t := range topics {
		f.Stages = append(f.Stages, Stage{Name: t, Topic: t, Key: keys[t], Match: fields, Learn: learn, Status: ".status", Root: i == 0})
	}
	return f, f.Validate()
}

// WithFields returns the flow tracing fields[0] instead of its default
// field; the other fields are learned from matched records and matched too
// (orderId, then the shipmentId of that order). Every stage matches on
// fields alone.
func (f Flow) WithFields(fields []string) Flow {
	if len(fields) == 0 || (len(fields) == 1 && fields[0] == f.Field) {
		return f
	}
	out := f
	out.Field = fields[0]
	out.Stages = make([]Stage, len(f.Stages))
	for i, s := range f.Stages {
		s.Match = fields
		learn := map[string]string{}
		for id, p := range s.Learn {
			learn[id] = p
		}
		for _, fl := range fields[1:] {
			name := strings.TrimPrefix(fl, ".")
			learn[name] = fl
		}
		s.Learn = learn
		out.Stages[i] = s
	}
	return out
}

// Restrict keeps the stages of the given topics (in the flow's order);
// unknown topics are appended as stages of their own.
func (f Flow) Restrict(topics []string) Flow {
	if len(topics) == 0 {
		return f
	}
	want := map[string]bool{}
	for _, t := range topics {
		want[t] = true
	}
	out := f
	out.Stages = nil
	for _, s := range f.Stages {
		if want[s.Topic] {
			out.Stages = append(out.Stages, s)
			delete(want, s.Topic)
		}
	}
	for _, t := range topics {
		if want[t] {
			out.Stages = append(out.Stages, Stage{Name: t, Topic: t, Status: ".status"})
		}
	}
	return out
}

// Validate checks that every path compiles and topics are unique.
func (f Flow) Validate() error {
	if _, err := ParsePath(f.Field); err != nil {
		return fmt.Errorf("flow %s: field: %w", f.Name, err)
	}
	seen := map[string]bool{}
	for _, s := range f.Stages {
		if seen[s.Topic] {
			return fmt.Errorf("flow %s: topic %s appears twice", f.Name, s.Topic)
		}
		seen[s.Topic] = true
		for _, m := range s.Match {
			if _, err := ParsePath(m); err != nil {
				return fmt.Errorf("flow %s: stage %s: match: %w", f.Name, s.Name, err)
			}
		}
		for id, p := range s.Learn {
			if _, err := ParsePath(p); err != nil {
				return fmt.Errorf("flow %s: stage %s: learn %s: %w", f.Name, s.Name, id, err)
			}
		}
		if s.Status != "" {
			if _, err := ParsePath(s.Status); err != nil {
				return fmt.Errorf("flow %s: stage %s: status: %w", f.Name, s.Name, err)
			}
		}
	}
	return nil
}

// Topics lists the flow's topics in stage order.
func (f Flow) Topics() []string {
	out := make([]string, len(f.Stages))
	for i, s := range f.Stages {
		out[i] = s.Topic
	}
	return out
}

// Stage returns the stage of a topic.
func (f Flow) Stage(topic string) (Stage, int, bool) {
	for i, s := range f.Stages {
		if s.Topic == topic {
			return s, i, true
		}
	}
	return Stage{}, -1, false
}

// match returns the ids a stage matches on.
func (f Flow) match(s Stage) []string {
	if len(s.Match) > 0 {
		return s.Match
	}
	return []string{f.Field}
}

func (f Flow) isError(status string) bool {
	for _, e := range f.Errors {
		if strings.EqualFold(e, status) {
			return true
		}
	}
	return false
}
