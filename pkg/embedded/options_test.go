package embedded

import (
	"context"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// metadata asks the broker at addr for topic as a producer does, allowing
// auto-creation, and returns the brokers it lists and the topic's answer.
func metadata(t *testing.T, addr, topic string) (*kmsg.MetadataResponse, kmsg.MetadataResponseTopic) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req := kmsg.NewPtrMetadataRequest()
	req.AllowAutoTopicCreation = true
	rt := kmsg.NewMetadataRequestTopic()
	rt.Topic = kmsg.StringPtr(topic)
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Topics) != 1 {
		t.Fatalf("metadata for %s: %d topics", topic, len(resp.Topics))
	}
	return resp, resp.Topics[0]
}

func TestStartOptions(t *testing.T) {
	b, err := Start(Options{Nodes: 3, DefaultPartitions: 4})
	if err != nil {
		t.Fatal(err)
	}
	resp, topic := metadata(t, b.Addrs()[0], "fresh")
	b.Close()
	// Addrs after Close answers (it used to wait forever on kfake).
	if len(b.Addrs()) != 3 || len(resp.Brokers) != 3 {
		t.Errorf("3 nodes: addrs %v, metadata lists %d brokers", b.Addrs(), len(resp.Brokers))
	}
	if topic.ErrorCode != 0 || len(topic.Partitions) != 4 {
		t.Errorf("auto-created topic: error %v, %d partitions; want 4", kerr.ErrorForCode(topic.ErrorCode), len(topic.Partitions))
	}
	if resp.ClusterID == nil || *resp.ClusterID != "kx-embedded" {
		t.Errorf("cluster id %v", resp.ClusterID)
	}

	// The defaults: one node, one partition; NoAutoCreate leaves it missing.
	b, err = Start(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, topic := metadata(t, b.Addrs()[0], "fresh"); len(b.Addrs()) != 1 || len(topic.Partitions) != 1 {
		t.Errorf("defaults: addrs %v, %d partitions", b.Addrs(), len(topic.Partitions))
	}
	b.Close()
	b, err = Start(Options{NoAutoCreate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	for range 2 {
		if _, topic := metadata(t, b.Addrs()[0], "fresh"); topic.ErrorCode != kerr.UnknownTopicOrPartition.Code {
			t.Errorf("NoAutoCreate: error %v, want unknown topic", kerr.ErrorForCode(topic.ErrorCode))
		}
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func TestStartPortAndDataDir(t *testing.T) {
	port, dir := freePort(t), t.TempDir()
	b, err := Start(Options{Port: port, DataDir: dir, DefaultPartitions: 2})
	if err != nil {
		t.Fatal(err)
	}
	if want := "127.0.0.1:" + strconv.Itoa(port); b.Addrs()[0] != want {
		t.Errorf("addrs %v, want %s", b.Addrs(), want)
	}
	// The port is taken: a second broker on it says which one failed.
	if b2, err := Start(Options{Port: port}); err == nil || !strings.HasPrefix(err.Error(), "embedded broker: ") {
		if b2 != nil {
			b2.Close()
		}
		t.Errorf("port in use: %v", err)
	}
	metadata(t, b.Addrs()[0], "kept")
	b.Close()

	// The data dir keeps the topic across a restart, where auto-creation
	// is off so only the saved state can answer.
	b, err = Start(Options{DataDir: dir, NoAutoCreate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if _, topic := metadata(t, b.Addrs()[0], "kept"); topic.ErrorCode != 0 || len(topic.Partitions) != 2 {
		t.Errorf("after a restart: error %v, %d partitions; want the 2 saved", kerr.ErrorForCode(topic.ErrorCode), len(topic.Partitions))
	}
}
