package produce

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/kx-cli/kx/pkg/kafka"
	"github.com/kx-cli/kx/pkg/output"
	"github.com/kx-cli/kx/pkg/record"
)

// targetTopic returns the metadata of opts.Topic and the cluster metadata
// it was found in, creating the topic first with --create. To size it like
// the source, it reads the first input line ahead; *in is then replaced by
// a reader that gives that line again.
func targetTopic(ctx context.Context, opts *Options, client cluster, in **bufio.Reader) (kafka.TopicMeta, *kafka.Metadata, error) {
	md, err := client.Metadata(ctx)
	if err != nil {
		return kafka.TopicMeta{}, nil, err
	}
	if t, ok := md.Topic(opts.Topic); ok || !opts.Create {
		if !ok {
			return kafka.TopicMeta{}, nil, fmt.Errorf("%w (--create creates it)", &kafka.UnknownTopicError{Topic: opts.Topic})
		}
		return t, md, nil
	}
	spec := kafka.TopicSpec{Name: opts.Topic, Partitions: opts.Partitions, ReplicationFactor: opts.ReplicationFactor}
	how := ""
	if spec.Partitions == 0 || spec.ReplicationFactor == 0 {
		first, err := peekLine(in)
		if err != nil {
			return kafka.TopicMeta{}, nil, fmt.Errorf("read %s: %w", opts.InputName, err)
		}
		if r, ok, _ := record.DecodeIfEnvelope(first); ok {
			if src, found := md.Topic(r.Topic); found {
				if spec.Partitions == 0 {
					spec.Partitions = len(src.Partitions)
					how = ", as " + src.Name
				}
				if spec.ReplicationFactor == 0 {
					spec.ReplicationFactor = src.ReplicationFactor()
				}
			}
		}
	}
	if spec.Partitions == 0 {
		spec.Partitions = -1 // the broker's num.partitions
	}
	if spec.ReplicationFactor == 0 {
		spec.ReplicationFactor = -1 // the broker's default.replication.factor
	}
	err = client.CreateTopic(ctx, spec)
	var exists *kafka.TopicExistsError
	created := err == nil
	if err != nil && !errors.As(err, &exists) { // someone else created it meanwhile: fine
		return kafka.TopicMeta{}, nil, err
	}
	t, md, err := waitTopic(ctx, client, opts.Topic)
	if err != nil {
		return kafka.TopicMeta{}, nil, err
	}
	if created {
		fmt.Fprintf(opts.IO.ErrOut, "kx: created topic %q (%s, replication factor %d%s)\n",
			opts.Topic, output.Count(len(t.Partitions), "partition"), t.ReplicationFactor(), how)
	}
	return t, md, nil
}

// waitTopic waits until a topic just created shows in the metadata with
// its partitions (a cluster propagates it to every broker after answering).
func waitTopic(ctx context.Context, client cluster, name string) (kafka.TopicMeta, *kafka.Metadata, error) {
	deadline := time.Now().Add(client.Timeout())
	for {
		md, err := client.Metadata(ctx)
		if err != nil {
			return kafka.TopicMeta{}, nil, err
		}
		if t, ok := md.Topic(name); ok && len(t.Partitions) > 0 {
			return t, md, nil
		}
		if time.Now().After(deadline) {
			return kafka.TopicMeta{}, nil, fmt.Errorf("topic %s created but not in the cluster's metadata after %s", name, client.Timeout())
		}
		select {
		case <-ctx.Done():
			return kafka.TopicMeta{}, nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// peekLine reads up to the first non-blank line of *in and returns it;
// *in becomes a reader that starts with what was read.
func peekLine(in **bufio.Reader) ([]byte, error) {
	var read, line []byte
	var err error
	for {
		line, err = readLine(*in, nil)
		read = append(read, line...)
		if len(bytes.TrimSpace(line)) > 0 || err != nil {
			break
		}
	}
	if err != nil && err != io.EOF {
		return nil, err
	}
	*in = newReader(io.MultiReader(bytes.NewReader(read), *in))
	return bytes.TrimSpace(line), nil
}
