package kafka

import (
	"time"

	"github.com/kx-cli/kx/pkg/cluster"
)

// The data the adapter takes and returns is defined, without cgo, in
// pkg/cluster; these names let the command floor keep writing kafka.TP
// next to the *kafka.Client it calls. Domain packages import pkg/cluster.
type (
	TP                = cluster.TP
	Broker            = cluster.Broker
	PartitionMeta     = cluster.PartitionMeta
	TopicMeta         = cluster.TopicMeta
	Metadata          = cluster.Metadata
	UnknownTopicError = cluster.UnknownTopicError
	TopicSpec         = cluster.TopicSpec
	TopicExistsError  = cluster.TopicExistsError
	ConfigEntry       = cluster.ConfigEntry
	OffsetSpec        = cluster.OffsetSpec
	OffsetInfo        = cluster.OffsetInfo
	Watermark         = cluster.Watermark
	Group             = cluster.Group
	Commit            = cluster.Commit
	GroupMember       = cluster.GroupMember
	GroupDescription  = cluster.GroupDescription
	UnknownGroupError = cluster.UnknownGroupError
	Assignment        = cluster.Assignment
	ReaderOptions     = cluster.ReaderOptions
	ProducerOptions   = cluster.ProducerOptions
	Delivery          = cluster.Delivery
	Batch             = cluster.Batch
	Schema            = cluster.Schema
	SchemaReference   = cluster.SchemaReference
	SubjectSchema     = cluster.SubjectSchema
)

const (
	Earliest        = cluster.Earliest
	Latest          = cluster.Latest
	MaxTimestamp    = cluster.MaxTimestamp
	OffsetBeginning = cluster.OffsetBeginning
	OffsetEnd       = cluster.OffsetEnd
	AnyPartition    = cluster.AnyPartition
	NoTimestamp     = cluster.NoTimestamp
	SchemaAvro      = cluster.SchemaAvro
	SchemaProtobuf  = cluster.SchemaProtobuf
	SchemaJSON      = cluster.SchemaJSON
	LatestVersion   = cluster.LatestVersion
)

var (
	ErrUnreachable          = cluster.ErrUnreachable
	ErrAuth                 = cluster.ErrAuth
	ErrUnknownTopic         = cluster.ErrUnknownTopic
	ErrInvalid              = cluster.ErrInvalid
	ErrSchemaNotFound       = cluster.ErrSchemaNotFound
	ErrNoCompatibilityCheck = cluster.ErrNoCompatibilityCheck
)

// Class returns the class of err (one of the Err… variables), or nil.
func Class(err error) error { return cluster.Class(err) }

// classErr marks err with class.
func classErr(class, err error) error { return cluster.Classify(class, err) }

// Partitions lists the TPs of topics.
func Partitions(topics []TopicMeta) []TP { return cluster.Partitions(topics) }

// IsPattern reports whether a topic argument is a regular expression.
func IsPattern(s string) bool { return cluster.IsPattern(s) }

// AtTime is the spec for the first offset at or after t.
func AtTime(t time.Time) OffsetSpec { return cluster.AtTime(t) }
