package cluster

import "errors"

// Schema types as the registry names them.
const (
	SchemaAvro     = "AVRO"
	SchemaProtobuf = "PROTOBUF"
	SchemaJSON     = "JSON"
)

// Schema is a schema as the registry holds it.
type Schema struct {
	ID int
	// Type is SchemaAvro, SchemaProtobuf or SchemaJSON (the registry
	// leaves it out for Avro; it is filled in here).
	Type       string
	Text       string
	References []SchemaReference
}

// SchemaReference names another registered schema a schema imports: Name
// is how the schema text refers to it (an Avro full name, a .proto import
// path, a JSON Schema $ref URL).
type SchemaReference struct {
	Name    string
	Subject string
	Version int
}

// SubjectSchema is one version of a subject.
type SubjectSchema struct {
	Subject string
	Version int
	Schema
}

// LatestVersion asks for a subject's newest version.
const LatestVersion = -1

// ErrSchemaNotFound is wrapped by errors for a schema id, subject or
// version the registry does not have.
var ErrSchemaNotFound = errors.New("not found")

// ErrNoCompatibilityCheck is wrapped by a compatibility check's error when
// the registry does not check compatibility (the embedded one does not).
var ErrNoCompatibilityCheck = errors.New("the registry does not check compatibility")
