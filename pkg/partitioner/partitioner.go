// Package partitioner reproduces the key-to-partition mappings of the common
// Kafka clients, so records produced by kx land on the same partition as if
// a Java client (murmur2) or librdkafka (consistent / CRC32) had sent them.
package partitioner

import (
	"fmt"
	"hash/crc32"
)

// Unassigned is returned by the *_random partitioners for a nil key: the
// caller (the producer) picks the partition itself.
const Unassigned int32 = -1

// Func maps a key to a partition in [0, numPartitions).
type Func func(key []byte, numPartitions int32) int32

// Murmur2 is the 32-bit murmur2 hash exactly as implemented by the Java
// client's org.apache.kafka.common.utils.Utils.murmur2 (seed 0x9747b28c).
func Murmur2(key []byte) int32 {
	const (
		seed uint32 = 0x9747b28c
		m    uint32 = 0x5bd1e995
		r           = 24
	)
	n := len(key)
	h := seed ^ uint32(n)
	for i := 0; i+4 <= n; i += 4 {
		k := uint32(key[i]) | uint32(key[i+1])<<8 | uint32(key[i+2])<<16 | uint32(key[i+3])<<24
		k *= m
		k ^= k >> r
		k *= m
		h *= m
		h ^= k
	}
	tail := key[n&^3:]
	switch len(tail) {
	case 3:
		h ^= uint32(tail[2]) << 16
		fallthrough
	case 2:
		h ^= uint32(tail[1]) << 8
		fallthrough
	case 1:
		h ^= uint32(tail[0])
		h *= m
	}
	h ^= h >> 13
	h *= m
	h ^= h >> 15
	return int32(h)
}

// toPositive mirrors Utils.toPositive: it clears the sign bit rather than
// taking the absolute value, so math.MinInt32 maps to 0.
func toPositive(n int32) int32 { return n & 0x7fffffff }

// Partition is the Java client's default partitioner for a non-nil key:
// toPositive(murmur2(key)) % numPartitions. It also matches librdkafka's
// "murmur2" partitioner.
func Partition(key []byte, numPartitions int32) int32 {
	if numPartitions <= 0 {
		return 0
	}
	return toPositive(Murmur2(key)) % numPartitions
}

// CRC32 is librdkafka's "consistent" partitioner: crc32(key) % numPartitions
// (IEEE polynomial, as rd_crc32).
func CRC32(key []byte, numPartitions int32) int32 {
	if numPartitions <= 0 {
		return 0
	}
	return int32(crc32.ChecksumIEEE(key) % uint32(numPartitions))
}

// randomForNil wraps f so that a nil key yields Unassigned, as librdkafka's
// *_random partitioners spread keyless records randomly.
func randomForNil(f Func) Func {
	return func(key []byte, n int32) int32 {
		if key == nil {
			return Unassigned
		}
		return f(key, n)
	}
}

// Names lists the partitioner names accepted by ByName.
var Names = []string{"murmur2", "murmur2_random", "consistent", "consistent_random"}

// ByName selects a partitioner by its librdkafka name; "" means "murmur2",
// the Java client's default.
func ByName(name string) (Func, error) {
	switch name {
	case "", "murmur2":
		return Partition, nil
	case "murmur2_random":
		return randomForNil(Partition), nil
	case "consistent":
		return CRC32, nil
	case "consistent_random":
		return randomForNil(CRC32), nil
	}
	return nil, fmt.Errorf("unknown partitioner %q (want one of %v)", name, Names)
}
