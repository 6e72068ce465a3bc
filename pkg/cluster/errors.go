package cluster

import "errors"

// Classes of failure the adapter reports. Test with errors.Is; the command
// layer maps them to exit codes, the adapter knows none.
var (
	// ErrUnreachable: no broker answered within the client's timeout.
	ErrUnreachable = errors.New("cannot reach Kafka")
	// ErrAuth: authentication, authorization or TLS failed.
	ErrAuth = errors.New("authentication or TLS failure")
	// ErrUnknownTopic: the cluster has no such topic (or partition).
	ErrUnknownTopic = errors.New("unknown topic")
	// ErrInvalid: the caller's input was refused: client configuration,
	// a topic pattern, a topic's partitions, replication or configs.
	ErrInvalid = errors.New("invalid request")
)

// classified carries one of the classes above next to the error it
// describes; its message is the error's own.
type classified struct {
	class error
	err   error
}

func (e *classified) Error() string   { return e.err.Error() }
func (e *classified) Unwrap() []error { return []error{e.err, e.class} }

// Classify marks err with class, one of the Err… variables above.
func Classify(class, err error) error { return &classified{class: class, err: err} }

// Class returns the class of err (one of the Err… variables above), or nil
// when err is not one that was classified.
func Class(err error) error {
	for _, c := range []error{ErrAuth, ErrUnreachable, ErrUnknownTopic, ErrInvalid} {
		if errors.Is(err, c) {
			return c
		}
	}
	return nil
}
