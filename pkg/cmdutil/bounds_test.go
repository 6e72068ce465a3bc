package cmdutil

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/kx-cli/kx/pkg/exitcode"
	"github.com/kx-cli/kx/pkg/kafka"
	"github.com/kx-cli/kx/pkg/output"
	"github.com/kx-cli/kx/pkg/position"
	"github.com/kx-cli/kx/pkg/schema"
)

func TestBounds(t *testing.T) {
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
	from, _ := position.Parse("100", now)
	to, _ := position.Parse("50", now)
	if err := CheckRange(&from, &to, "100", "50"); ExitCode(err) != exitcode.Usage || !strings.HasPrefix(err.Error(), "--from 100 --to 50: ") {
		t.Errorf("--from after --to: %v", err)
	}
	if err := CheckRange(&to, &from, "50", "100"); err != nil {
		t.Errorf("--from 50 --to 100: %v", err)
	}
	if err := CheckRange(nil, &to, "", "50"); err != nil {
		t.Errorf("no --from: %v", err)
	}
	if err := NotNegative("--idle", -time.Second); ExitCode(err) != exitcode.Usage || err.Error() != "--idle -1s: must not be negative" {
		t.Errorf("negative: %v", err)
	}
	if err := NotNegative("--idle", 0); err != nil {
		t.Errorf("zero: %v", err)
	}
	s, err := LoadScenario("ecommerce-demo") // Black Friday: 50 flows/s
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckRateScale(s, 1); err != nil {
		t.Errorf("--rate-scale 1: %v", err)
	}
	if err := CheckRateScale(s, 1e12); ExitCode(err) != exitcode.Usage || !strings.HasPrefix(err.Error(), "--rate-scale 1e+12: ") {
		t.Errorf("--rate-scale 1e12: %v", err)
	}
}

func TestAddOutputFlag(t *testing.T) {
	var target string
	cmd := &cobra.Command{Use: "x"}
	AddOutputFlag(cmd, &target, output.Table, output.NDJSON)
	fl := cmd.Flags().Lookup("output")
	if fl == nil || fl.Shorthand != "o" || fl.DefValue != "auto" || !strings.Contains(fl.Usage, "auto|table|ndjson") {
		t.Fatalf("flag %+v", fl)
	}
	complete, ok := cmd.GetFlagCompletionFunc("output")
	if !ok {
		t.Fatal("no completion for -o")
	}
	got, dir := complete(cmd, nil, "")
	if strings.Join(got, ",") != "auto,table,ndjson" || dir != cobra.ShellCompDirectiveNoFileComp {
		t.Errorf("completion %v %v", got, dir)
	}
}

// A registry answer becomes the decoder's: references kept, not found
// still not found for both.
func TestRegistered(t *testing.T) {
	got, err := registered(kafka.Schema{ID: 3, Type: "PROTOBUF", Text: "syntax", References: []kafka.SchemaReference{{Name: "a.proto", Subject: "a.proto", Version: 2}}}, nil)
	if err != nil || got.ID != 3 || got.Type != "PROTOBUF" || len(got.References) != 1 || got.References[0] != (schema.Reference{Name: "a.proto", Subject: "a.proto", Version: 2}) {
		t.Errorf("%+v, %v", got, err)
	}
	nf := fmt.Errorf("schema id 9: %w", kafka.ErrSchemaNotFound)
	if _, err := registered(kafka.Schema{}, nf); !errors.Is(err, schema.ErrNotFound) || !errors.Is(err, kafka.ErrSchemaNotFound) {
		t.Errorf("not found: %v", err)
	}
	other := errors.New("registry down")
	if _, err := registered(kafka.Schema{}, other); err != other {
		t.Errorf("other: %v", err)
	}
}
