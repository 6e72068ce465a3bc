// Package repofiles checks the repository's non-Go deliverables that no
// engine runs here: docker-compose.yml and .goreleaser.yaml.
package repofiles

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func readYAML(t *testing.T, name string, v any) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", name))
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
}

// TestDockerCompose checks the compose file a user runs for a real broker:
// the official Apache Kafka image in KRaft mode, reachable on localhost:9092
// where kx looks by default, and Confluent's Schema Registry on
// localhost:8081, reaching Kafka on a listener its container can resolve.
func TestDockerCompose(t *testing.T) {
	var compose struct {
		Services map[string]struct {
			Image         string            `yaml:"image"`
			ContainerName string            `yaml:"container_name"`
			Ports         []string          `yaml:"ports"`
			Environment   map[string]string `yaml:"environment"`
			Healthcheck   map[string]any    `yaml:"healthcheck"`
			DependsOn     map[string]struct {
				Condition string `yaml:"condition"`
			} `yaml:"depends_on"`
		} `yaml:"services"`
	}
	readYAML(t, "docker-compose.yml", &compose)
	kafka, ok := compose.Services["kafka"]
	if !ok {
		t.Fatal("no kafka service")
	}
	if !strings.HasPrefix(kafka.Image, "apache/kafka:") {
		t.Errorf("image %q: want the official apache/kafka image", kafka.Image)
	}
	if !contains(kafka.Ports, "9092:9092") {
		t.Errorf("ports %v: want 9092:9092", kafka.Ports)
	}
	env := kafka.Environment
	if !strings.Contains(env["KAFKA_PROCESS_ROLES"], "controller") || !strings.Contains(env["KAFKA_PROCESS_ROLES"], "broker") {
		t.Errorf("KAFKA_PROCESS_ROLES %q: want KRaft combined mode", env["KAFKA_PROCESS_ROLES"])
	}
	if !strings.Contains(env["KAFKA_ADVERTISED_LISTENERS"], "localhost:9092") {
		t.Errorf("KAFKA_ADVERTISED_LISTENERS %q: want localhost:9092", env["KAFKA_ADVERTISED_LISTENERS"])
	}
	if env["KAFKA_CONTROLLER_QUORUM_VOTERS"] == "" || env["KAFKA_NODE_ID"] == "" {
		t.Error("KRaft needs KAFKA_NODE_ID and KAFKA_CONTROLLER_QUORUM_VOTERS")
	}

	sr, ok := compose.Services["schema-registry"]
	if !ok {
		t.Fatal("no schema-registry service")
	}
	if !strings.HasPrefix(sr.Image, "confluentinc/cp-schema-registry:") {
		t.Errorf("image %q: want confluentinc/cp-schema-registry", sr.Image)
	}
	if !contains(sr.Ports, "8081:8081") {
		t.Errorf("schema-registry ports %v: want 8081:8081", sr.Ports)
	}
	if sr.DependsOn["kafka"].Condition != "service_healthy" {
		t.Error("schema-registry must wait for a healthy kafka")
	}
	// The registry's container reaches Kafka by service name, on a
	// listener Kafka advertises under that name.
	store := strings.TrimPrefix(sr.Environment["SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS"], "PLAINTEXT://")
	if !strings.HasPrefix(store, "kafka:") {
		t.Errorf("SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS %q: want the kafka service", store)
	}
	if !strings.Contains(env["KAFKA_ADVERTISED_LISTENERS"], "//"+store) {
		t.Errorf("kafka advertises %q, not the registry's %s", env["KAFKA_ADVERTISED_LISTENERS"], store)
	}
	port := store[strings.LastIndex(store, ":"):]
	if !strings.Contains(env["KAFKA_LISTENERS"], port) {
		t.Errorf("KAFKA_LISTENERS %q: nothing listens on %s", env["KAFKA_LISTENERS"], port)
	}
	for _, l := range strings.Split(env["KAFKA_LISTENERS"], ",") {
		name, _, _ := strings.Cut(l, "://")
		if !strings.Contains(env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"], name+":") {
			t.Errorf("listener %s has no security protocol in KAFKA_LISTENER_SECURITY_PROTOCOL_MAP", name)
		}
	}
	if sr.Environment["SCHEMA_REGISTRY_KAFKASTORE_TOPIC_REPLICATION_FACTOR"] != "1" {
		t.Error("a single broker needs SCHEMA_REGISTRY_KAFKASTORE_TOPIC_REPLICATION_FACTOR 1")
	}
}

// TestGoreleaser checks the release config builds the cgo binary for every
// promised target, stamps the version and ships completions and README.
func TestGoreleaser(t *testing.T) {
	var cfg map[string]any
	data, err := os.ReadFile(filepath.Join("..", "..", ".goreleaser.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, &cfg); err != nil {
		t.Fatal(err)
	}
	text := string(data)
	for _, want := range []string{
		"CGO_ENABLED=1", "-tags", "musl", "linux", "darwin", "windows", "amd64", "arm64",
		"github.com/kx-cli/kx/pkg/build.Version={{.Version}}", "completions/*", "README.md",
	} {
		if !strings.Contains(text, want) {
			t.Errorf(".goreleaser.yaml lacks %q", want)
		}
	}
	if cfg["version"] != 2 {
		t.Errorf("version: %v, want 2", cfg["version"])
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
