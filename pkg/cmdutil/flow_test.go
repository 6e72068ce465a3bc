package cmdutil

import (
	"slices"
	"testing"
	"time"

	"github.com/kx-cli/kx/pkg/config"
	"github.com/kx-cli/kx/pkg/flowtrace"
	"github.com/kx-cli/kx/pkg/record"
)

func TestFlowFromConfig(t *testing.T) {
	f, err := FlowFromConfig("signup", config.Flow{
		Field:  ".userId",
		Errors: []string{"BOUNCED"},
		Stages: []config.FlowStage{
			{Topic: "signups", Key: "userId", Learn: []string{"accountId=.account.id", ".user.email"}},
			{Topic: "emails", Name: "email", Status: ".type", Optional: true},
			{Topic: "accounts", Match: []string{"accountId"}, Key: "accountId"},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(f.Topics(), []string{"signups", "emails", "accounts"}) || f.Name != "signup" {
		t.Fatalf("flow %+v", f)
	}
	s := f.Stages[0]
	if !s.Root || s.Name != "signups" || s.Status != ".status" || s.Learn["accountId"] != ".account.id" || s.Learn["user.email"] != ".user.email" {
		t.Errorf("first stage %+v", s)
	}
	if e := f.Stages[1]; e.Root || e.Name != "email" || !e.Optional || e.Status != ".type" {
		t.Errorf("second stage %+v", e)
	}
	// A record of the last stage ties to the trace through the accountId
	// learned in the first.
	tr, err := flowtrace.NewTracer(f, []string{"u-42"})
	if err != nil {
		t.Fatal(err)
	}
	tr.Offer(rec("signups", 0, `{"userId":"u-42","account":{"id":"a-7"},"status":"NEW"}`))
	tr.Offer(rec("emails", 0, `{"userId":"u-42","type":"BOUNCED"}`))
	tr.Offer(rec("accounts", 0, `{"accountId":"a-7","status":"OPEN"}`))
	tr.Offer(rec("accounts", 1, `{"accountId":"a-8","status":"OPEN"}`))
	sum := flowtrace.Summarize(f, tr.Traces()[0])
	if sum.Events != 3 || sum.Verdict != flowtrace.Complete {
		t.Errorf("%d events, %s: %s", sum.Events, sum.Verdict, sum.Message)
	}

	for name, bad := range map[string]config.Flow{
		"no field":  {Stages: []config.FlowStage{{Topic: "a"}}},
		"no stages": {Field: "id"},
		"no topic":  {Field: "id", Stages: []config.FlowStage{{Name: "x"}}},
		"bad learn": {Field: "id", Stages: []config.FlowStage{{Topic: "a", Learn: []string{".a|b"}}}},
		"twice":     {Field: "id", Stages: []config.FlowStage{{Topic: "a"}, {Topic: "a"}}},
	} {
		if _, err := FlowFromConfig("f", bad); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func rec(topic string, offset int64, value string) *record.Record {
	return &record.Record{Topic: topic, Offset: offset, Timestamp: time.Date(2025, 11, 28, 10, 0, int(offset), 0, time.UTC), Value: []byte(value)}
}
