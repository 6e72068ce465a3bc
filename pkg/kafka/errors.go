package kafka

import (
	"context"
	"errors"
	"strings"

	ck "github.com/confluentinc/confluent-kafka-go/v2/kafka"
)

func isAuthError(err error) bool {
	var ke ck.Error
	if errors.As(err, &ke) {
		switch ke.Code() {
		case ck.ErrAuthentication, ck.ErrSaslAuthenticationFailed, ck.ErrSsl,
			ck.ErrTopicAuthorizationFailed, ck.ErrGroupAuthorizationFailed, ck.ErrClusterAuthorizationFailed:
			return true
		}
	}
	s := strings.ToLower(err.Error())
	return strings.Contains(s, "sasl authentication") || strings.Contains(s, "authentication failed") ||
		strings.Contains(s, "ssl handshake") || strings.Contains(s, "certificate verify")
}

func isUnreachable(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ke ck.Error
	if errors.As(err, &ke) {
		switch ke.Code() {
		case ck.ErrTransport, ck.ErrAllBrokersDown, ck.ErrTimedOut, ck.ErrTimedOutQueue, ck.ErrResolve:
			return true
		}
	}
	return false
}
