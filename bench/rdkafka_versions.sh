#!/usr/bin/env bash
# bench/rdkafka_versions.sh: is a gap between kx produce and kcat -P in
# librdkafka or in kx? kcat links Debian's librdkafka (2.0.2), kx the one
# confluent-kafka-go bundles (2.11). bench/rdkafka_mini.c, a C producer
# doing what kcat -P does, is linked against each; the two and kx produce
# send the same lines (bench/run.sh's payments, plain and keyed by orderId)
# to one kx broker, alternating for ROUNDS rounds; each line is the median
# wall time and CPU seconds (user + sys).
#
#   bench/rdkafka_versions.sh            # 1,000,000 lines, 5 rounds
#   RECORDS=300000 ROUNDS=3 CODEC=lz4 bench/rdkafka_versions.sh
#
# Needs gcc, Debian's librdkafka1 and the Go module cache (go build fills it).
set -euo pipefail
RECORDS=${RECORDS:-1000000}
ROUNDS=${ROUNDS:-5}
CODEC=${CODEC:-zstd}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/kx-rdkafka.XXXXXX")
cleanup() {
	if [[ -n "${BROKER_PID:-}" ]]; then kill "$BROKER_PID" 2>/dev/null || true; wait "$BROKER_PID" 2>/dev/null || true; fi
	rm -rf "$WORK"
}
trap cleanup EXIT

cd "$ROOT"
go build -o "$WORK/kx" ./cmd/kx
VENDOR=$(go list -m -f '{{.Dir}}' github.com/confluentinc/confluent-kafka-go/v2)/kafka/librdkafka_vendor
gcc -O2 -I"$VENDOR" -o "$WORK/mini-debian" bench/rdkafka_mini.c /usr/lib/x86_64-linux-gnu/librdkafka.so.1
gcc -O2 -I"$VENDOR" -o "$WORK/mini-bundled" bench/rdkafka_mini.c "$VENDOR/librdkafka_glibc_linux_amd64.a" -lm -ldl -lpthread -lrt

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export KX_BROKERS=127.0.0.1:$PORT
"$WORK/kx" broker --port "$PORT" >"$WORK/broker.log" 2>&1 &
BROKER_PID=$!
for _ in $(seq 100); do "$WORK/kx" topics -o none >/dev/null 2>&1 && break; sleep 0.1; done

awk -v n="$RECORDS" 'BEGIN {
	split("card paypal transfer wallet", methods, " ")
	for (i = 0; i < n; i++) {
		status = (i % 50 == 0) ? "ERROR" : "APPROVED"
		printf "{\"transactionId\":\"tx-%09d\",\"orderId\":\"ord-%07d\",\"customerId\":\"cust-%05d\",\"amount\":%d.%02d,\"currency\":\"EUR\",\"method\":\"%s\",\"channel\":\"web\",\"status\":\"%s\"}\n",
			i, 1000000 + i % 7919, i % 4099, 10 + i % 990, i % 100, methods[1 + i % 4], status
	}
}' >"$WORK/lines.ndjson"
awk -F'"' '{print $8 "\t" $0}' "$WORK/lines.ndjson" >"$WORK/lines.tsv"

LABELS=("librdkafka 2.0.2 (kcat's)" "librdkafka 2.11 (kx's)" "kx produce"
	"librdkafka 2.0.2, keyed" "librdkafka 2.11, keyed" "kx produce --key-jq .orderId")
CMDS=("$WORK/mini-debian $KX_BROKERS t $CODEC <$WORK/lines.ndjson"
	"$WORK/mini-bundled $KX_BROKERS t $CODEC <$WORK/lines.ndjson"
	"$WORK/kx produce t --compression $CODEC <$WORK/lines.ndjson"
	"$WORK/mini-debian $KX_BROKERS t $CODEC -K <$WORK/lines.tsv"
	"$WORK/mini-bundled $KX_BROKERS t $CODEC -K <$WORK/lines.tsv"
	"$WORK/kx produce t --key-jq .orderId --compression $CODEC <$WORK/lines.ndjson")
echo "$(date -u +%FT%TZ): $RECORDS lines, $CODEC, $ROUNDS rounds, load $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq "$ROUNDS"); do
	for i in "${!CMDS[@]}"; do
		"$WORK/kx" topics delete t --yes >/dev/null 2>&1 || true
		for _ in $(seq 50); do "$WORK/kx" topics create t --partitions 6 >/dev/null 2>&1 && break; sleep 0.1; done
		/usr/bin/time -f "%e %U %S" -o "$WORK/t" bash -c "${CMDS[$i]}" >/dev/null 2>&1
		read -r w u s <"$WORK/t"
		echo "$i $w $(echo "$u + $s" | bc)" >>"$WORK/results"
	done
done
for i in "${!CMDS[@]}"; do
	w=$(awk -v i="$i" '$1 == i {print $2}' "$WORK/results" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
	c=$(awk -v i="$i" '$1 == i {print $3}' "$WORK/results" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
	printf '  %-32s %6.2f s %6.2f CPU-s\n' "${LABELS[$i]}" "$w" "$c"
done
echo "load at the end $(cut -d' ' -f1-3 /proc/loadavg)"
