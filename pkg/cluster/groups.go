package cluster

import "fmt"

// Group is one consumer group as the cluster lists it.
type Group struct {
	ID    string `json:"group"`
	State string `json:"state"`
}

// Commit is a group's committed offset of one partition and the metadata
// string the committer attached.
type Commit struct {
	Offset   int64
	Metadata string
}

// GroupMember is one member of a consumer group.
type GroupMember struct {
	ID         string
	ClientID   string
	InstanceID string
	Host       string
	Assigned   []TP // sorted
}

// GroupDescription is what the group coordinator says about a group.
type GroupDescription struct {
	ID       string
	State    string // Stable, Empty, Dead, PreparingRebalance, …
	Type     string // Classic or Consumer (KIP-848)
	Protocol string // the partition assignor (range, cooperative-sticky, …)
	Members  []GroupMember
}

// UnknownGroupError names a group the cluster does not have.
type UnknownGroupError struct{ Group string }

func (e *UnknownGroupError) Error() string {
	return fmt.Sprintf("consumer group %q does not exist", e.Group)
}
