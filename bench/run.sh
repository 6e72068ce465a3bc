#!/usr/bin/env bash
# bench/run.sh: kx against its baseline (kcat, kcat | jq) on one embedded
# broker, side by side in one run, with the ratios against the targets of
# issue 16 (and of the earlier issues 3, 4, 6, 7).
#
#   bench/run.sh                    # the full run: 1,000,000 records
#   bench/run.sh --quick            # a smoke run: 100,000 records
#   BENCH_CASES="tail produce" bench/run.sh
#
# Method: the commands of a case alternate (A B A B …) for BENCH_PAIRS
# rounds (5), so a neighbour's burst of CPU falls on both sides; each line
# reports the median wall time, the median CPU seconds (user + sys of the
# command and its children) and the largest peak RSS over the rounds
# (/usr/bin/time; of a pipeline, its largest process). Reads are timed into
# /dev/null and into a pipe (| wc -l): kcat writes small chunks and slows in
# a pipe, kx buffers. The load average is printed at the start and the end,
# with a warning above 1: on a shared machine CPU seconds hold better than
# wall times.
#
# Environment: BENCH_RECORDS (records to load; --quick sets 100000),
# BENCH_PARTITIONS (6), BENCH_PAIRS (rounds per case, 5), BENCH_ERROR_EVERY
# (one payment in N has "status":"ERROR", 50), BENCH_CASES (cases to run, in
# order; default: all), BENCH_SEED (seed of the played scenario, 7),
# BENCH_ORDER (the order the trace case follows; default: the middle order),
# BENCH_CODEC (the compression of the produce and play cases, both sides;
# zstd: see KCAT_PRODUCE_SETTINGS below),
# BENCH_OUT (append every result line as TSV to this file), KX (a kx
# binary; built from this tree when unset), KCAT (/usr/bin/kcat), JQ (jq).
#
# Data sets, each loaded once, when a case first needs it: bench.payments
# (BENCH_RECORDS payments of about 170 B, by kx produce: tail, export,
# produce cases); bench.payments.avro (the same payments in Avro, through
# the broker's embedded Schema Registry: tail_jq_avro); the six e-commerce topics of scenarios/ecommerce-demo.yaml
# played with a past --start and a --rate-scale giving about BENCH_RECORDS
# records (trace, flow); the produce and play cases write to topics that are
# deleted and created again before each run.
#
# Adding a case: write a function case_NAME and add NAME to CASES below.
# Inside it, compare the commands (shell strings) side by side:
#   compare TITLE SINK TARGETS  LABEL_A 'COMMAND_A'  LABEL_B 'COMMAND_B' [LABEL_C 'COMMAND_C' …]
# SINK is null (> /dev/null), pipe (| wc -l) or file (kept in
# $WORK/<label>.out for checks); TARGETS compare A with B: "wall<=1.1"
# (A's median wall time at most 1.1 × B's), "cpu<=1.2" (CPU seconds),
# "x>=10" (B's wall time at least 10 × A's: A is that many times faster),
# "-" for none. BEFORE_RUN, when set to a function name, runs (untimed)
# before every run with the label as its argument. A single command with no
# baseline: measure LABEL SINK 'COMMAND'.
set -euo pipefail

if [[ ${1:-} == --quick ]]; then BENCH_RECORDS=${BENCH_RECORDS:-100000}; shift; fi
BENCH_RECORDS=${BENCH_RECORDS:-1000000}
BENCH_PARTITIONS=${BENCH_PARTITIONS:-6}
BENCH_PAIRS=${BENCH_PAIRS:-5}
BENCH_ERROR_EVERY=${BENCH_ERROR_EVERY:-50}
BENCH_SEED=${BENCH_SEED:-7}
KCAT=${KCAT:-/usr/bin/kcat}
JQ=${JQ:-jq}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/kx-bench.XXXXXX")
TOPIC=bench.payments
SCENARIO=$ROOT/scenarios/ecommerce-demo.yaml
ECO_TOPICS=(orders.created orders.completed inventory.updates customer.notifications payment.transactions shipping.events)
CASES=(${BENCH_CASES:-tail tail_pipe tail_jq tail_jq_avro export trace produce produce_keyed replay play play_paced memory})
# The producer settings of kx (pkg/kafka/producer.go) given to kcat -P;
# kx does not compress by default, so its produce and play cases ask for
# BENCH_CODEC (--compression) like kcat here. zstd, because it is the one
# codec Debian's kcat (librdkafka 2.0.2) really uses against kx broker:
# its msgset writer compresses gzip, snappy and lz4 only for a broker
# offering Produce version 0 (kfake offers 3 and up) and otherwise sends
# the batch uncompressed ("Broker does not support compression type lz4:
# not compressing batch" under -X debug=msg), while kx's librdkafka 2.11
# compresses. With lz4 asked on both sides, kx compressed and kcat did not.
BENCH_CODEC=${BENCH_CODEC:-zstd}
KCAT_PRODUCE_BASE="-X enable.idempotence=true -X acks=all -X topic.partitioner=murmur2_random -X linger.ms=5"
KCAT_PRODUCE_SETTINGS="$KCAT_PRODUCE_BASE -X compression.codec=$BENCH_CODEC"

declare -A WALL CPU RSS LINES
BEFORE_RUN=

cleanup() {
	if [[ -n "${BROKER_PID:-}" ]]; then kill "$BROKER_PID" 2>/dev/null || true; wait "$BROKER_PID" 2>/dev/null || true; fi
	rm -rf "$WORK"
}
trap cleanup EXIT

log() { printf '%s\n' "$*" >&2; }

need() {
	command -v "$1" >/dev/null 2>&1 || { log "bench: $1 not found${2:+ ($2)}"; exit 2; }
}

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

# load_warning WHEN: a warning when the 1-minute load average is above 1.
load_warning() {
	local l
	l=$(cut -d' ' -f1 /proc/loadavg)
	if (($(echo "$l > 1" | bc))); then
		echo "WARNING: load average $l at the $1 (above 1 on $(nproc) CPUs): other processes shared the CPUs, wall times are inflated; compare CPU seconds"
	fi
}

setup() {
	need "$KCAT" "apt-get install -y kcat"
	need "$JQ" "apt-get install -y jq"
	need bc "apt-get install -y bc"
	[[ -x /usr/bin/time ]] || { log "bench: /usr/bin/time not found (apt-get install -y time)"; exit 2; }
	if [[ -z "${KX:-}" ]]; then
		log "bench: building kx"
		# A copy: the file the linker wrote shows about 8 MB more peak RSS
		# than the same bytes written by cp, for minutes (docs/speed.md).
		(cd "$ROOT" && go build -o "$WORK/kx.linked" ./cmd/kx) && cp "$WORK/kx.linked" "$WORK/kx"
		KX=$WORK/kx
	fi
	PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	SR_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	BROKERS=127.0.0.1:$PORT
	# The embedded Schema Registry, named only by the Avro case's commands.
	SR=http://127.0.0.1:$SR_PORT
	export KX_BROKERS=$BROKERS
	"$KX" broker --port "$PORT" --schema-registry-port "$SR_PORT" >"$WORK/broker.log" 2>&1 &
	BROKER_PID=$!
	for _ in $(seq 100); do
		"$KX" topics -o ndjson >/dev/null 2>&1 && break
		sleep 0.1
	done
}

# recreate TOPIC: delete TOPIC (if it exists) and create it empty, so runs
# that produce do not pile records up in the broker's memory.
recreate() {
	"$KX" topics delete "$1" --yes >/dev/null 2>&1 || true
	local i
	for i in $(seq 50); do
		"$KX" topics create "$1" --partitions "$BENCH_PARTITIONS" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	log "bench: cannot create $1"
	exit 1
}

# load_payments writes BENCH_RECORDS e-commerce payments of about 170 bytes
# to payments.ndjson and produces them to bench.payments with kx produce.
load_payments() {
	[[ -z ${PAYMENTS_LOADED:-} ]] || return 0
	PAYMENTS_LOADED=1
	"$KX" topics create "$TOPIC" --partitions "$BENCH_PARTITIONS" 2>/dev/null
	awk -v n="$BENCH_RECORDS" -v every="$BENCH_ERROR_EVERY" 'BEGIN {
		split("card paypal transfer wallet", methods, " ")
		for (i = 0; i < n; i++) {
			status = (i % every == 0) ? "ERROR" : "APPROVED"
			printf "{\"transactionId\":\"tx-%09d\",\"orderId\":\"ord-%07d\",\"customerId\":\"cust-%05d\",\"amount\":%d.%02d,\"currency\":\"EUR\",\"method\":\"%s\",\"channel\":\"web\",\"status\":\"%s\"}\n",
				i, 1000000 + i % 7919, i % 4099, 10 + i % 990, i % 100, methods[1 + i % 4], status
		}
	}' >"$WORK/payments.ndjson"
	# The same lines as key<TAB>value, for kcat -P -K.
	awk -F'"' '{print $8 "\t" $0}' "$WORK/payments.ndjson" >"$WORK/payments.tsv"
	log "bench: loading $BENCH_RECORDS records ($(wc -c <"$WORK/payments.ndjson") bytes) into $TOPIC ($BENCH_PARTITIONS partitions)"
	"$KX" produce "$TOPIC" --key-jq .orderId <"$WORK/payments.ndjson" 2>"$WORK/produce.log"
}

# load_payments_avro produces the same payments to bench.payments.avro in
# Avro (Confluent wire format, schema registered in the embedded registry).
load_payments_avro() {
	[[ -z ${AVRO_LOADED:-} ]] || return 0
	AVRO_LOADED=1
	load_payments
	cat >"$WORK/payment.avsc" <<'AVSC'
{"type": "record", "name": "Payment", "namespace": "bench", "fields": [
  {"name": "transactionId", "type": "string"}, {"name": "orderId", "type": "string"},
  {"name": "customerId", "type": "string"}, {"name": "amount", "type": "double"},
  {"name": "currency", "type": "string"}, {"name": "method", "type": "string"},
  {"name": "channel", "type": "string"}, {"name": "status", "type": "string"}]}
AVSC
	"$KX" topics create "$TOPIC.avro" --partitions "$BENCH_PARTITIONS" 2>/dev/null
	log "bench: loading the same $BENCH_RECORDS records in Avro into $TOPIC.avro"
	"$KX" produce "$TOPIC.avro" --key-jq .orderId --value-schema "$WORK/payment.avsc" --schema-registry "$SR" <"$WORK/payments.ndjson" 2>"$WORK/produce_avro.log"
}

# rate_scale N: the --rate-scale that makes the demo scenario produce about
# N records (the dry run at scale 1 is counted once; fixed-count phases are
# a few records).
rate_scale() {
	if [[ -z ${SCALE1_RECORDS:-} ]]; then
		SCALE1_RECORDS=$("$KX" play "$SCENARIO" --dry-run -q --seed "$BENCH_SEED" | wc -l)
	fi
	echo "scale=4; $1 / $SCALE1_RECORDS" | bc
}

# A start two hours back: the whole timeline is in the past, so kx play
# sends it at once (unpaced), with the scenario's event times.
past_start() { date -u -d '-2 hours' +%Y-%m-%dT%H:%M:%SZ; }

# load_ecommerce plays the demo scenario into its six topics for about
# BENCH_RECORDS records, and picks the traced order.
load_ecommerce() {
	[[ -z ${ECOMMERCE_LOADED:-} ]] || return 0
	ECOMMERCE_LOADED=1
	local scale
	scale=$(rate_scale "$BENCH_RECORDS")
	log "bench: playing $(basename "$SCENARIO") at --rate-scale $scale (about $BENCH_RECORDS records) into ${ECO_TOPICS[*]}"
	"$KX" play "$SCENARIO" --start "$(past_start)" --rate-scale "$scale" --seed "$BENCH_SEED" -o json -q >"$WORK/eco.json" 2>"$WORK/eco.log" ||
		{ log "bench: kx play failed:"; cat "$WORK/eco.log" >&2; exit 1; }
	ECO_RECORDS=$("$JQ" '[.topics[].acked] | add' "$WORK/eco.json")
	ECO_ORDERS=$("$JQ" '.topics[] | select(.topic == "orders.created") | .acked' "$WORK/eco.json")
	log "bench: played $ECO_RECORDS records ($ECO_ORDERS orders)"
	ORDER=${BENCH_ORDER:-$(printf 'ORD-%06d' $((ECO_ORDERS / 2)))}
	local t
	KCAT_ECO=""
	for t in "${ECO_TOPICS[@]}"; do KCAT_ECO+="$KCAT -C -e -q -J -b $BROKERS -t $t; "; done
}

# run1 LABEL SINK COMMAND: one timed run; appends wall, CPU and RSS (MB) to
# $WORK/<label>.runs.
run1() {
	local label=$1 sink=$2 cmd=$3 f
	f=$WORK/$(echo "$label" | tr -c 'A-Za-z0-9_.-' '_')
	[[ -z $BEFORE_RUN ]] || "$BEFORE_RUN" "$label"
	case $sink in
	null) cmd="$cmd >/dev/null" ;;
	pipe) cmd="$cmd | wc -l >$f.out" ;;
	file) cmd="$cmd >$f.out" ;;
	*) log "bench: unknown sink $sink"; exit 2 ;;
	esac
	if ! /usr/bin/time -f '%e %U %S %M' -o "$f.time" bash -o pipefail -c "$cmd" 2>"$f.err"; then
		log "bench: $label failed:"
		cat "$f.err" "$f.time" >&2
		exit 1
	fi
	tail -1 "$f.time" | awk '{printf "%s %.2f %d\n", $1, $2 + $3, $4 / 1024}' >>"$f.runs"
	FILE_OF[$label]=$f
}
declare -A FILE_OF

# median: the median of the numbers on stdin.
median() { sort -g | awk '{v[NR] = $1} END {if (NR == 0) exit; if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

# summarize LABEL SINK: the medians and the peak of LABEL's runs.
summarize() {
	local label=$1 sink=$2 f=${FILE_OF[$1]}
	WALL[$label]=$(cut -d' ' -f1 "$f.runs" | median)
	CPU[$label]=$(cut -d' ' -f2 "$f.runs" | median)
	RSS[$label]=$(cut -d' ' -f3 "$f.runs" | sort -n | tail -1)
	case $sink in
	null) LINES[$label]=- ;;
	pipe) LINES[$label]=$(tr -d ' ' <"$f.out") ;;
	file) LINES[$label]=$(wc -l <"$f.out") ;;
	esac
	local n
	n=$(wc -l <"$f.runs")
	printf '  %-44s %8.2f s %8.2f CPU-s %6d MB %10s lines  (median of %d; walls %s)\n' "$label" "${WALL[$label]}" "${CPU[$label]}" "${RSS[$label]}" "${LINES[$label]}" "$n" "$(cut -d' ' -f1 "$f.runs" | tr '\n' ' ' | sed 's/ $//')"
	if [[ -n ${BENCH_OUT:-} ]]; then
		printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%FT%TZ)" "$BENCH_RECORDS" "$label" "$sink" "${WALL[$label]}" "${CPU[$label]}" "${RSS[$label]}" "${LINES[$label]}" "$(loadavg)" >>"$BENCH_OUT"
	fi
}

# compare TITLE SINK TARGETS LABEL CMD LABEL CMD …: see the top of the file.
compare() {
	local title=$1 sink=$2 targets=$3
	shift 3
	local labels=() cmds=() i r
	while (($# >= 2)); do labels+=("$1"); cmds+=("$2"); shift 2; done
	echo "$title (sink: $sink; load average $(loadavg))"
	for ((r = 0; r < BENCH_PAIRS; r++)); do
		for i in "${!labels[@]}"; do run1 "${labels[$i]}" "$sink" "${cmds[$i]}"; done
	done
	for i in "${!labels[@]}"; do summarize "${labels[$i]}" "$sink"; done
	local t
	for t in $targets; do
		[[ $t == - ]] || target "${labels[0]}" "${labels[1]}" "$t"
	done
}

# measure LABEL SINK COMMAND: one command, BENCH_PAIRS runs, no baseline.
measure() {
	local label=$1 sink=$2 cmd=$3 r
	echo "$label (sink: $sink; load average $(loadavg))"
	for ((r = 0; r < BENCH_PAIRS; r++)); do run1 "$label" "$sink" "$cmd"; done
	summarize "$label" "$sink"
}

RESULTS=()
# target A B SPEC: A against B; SPEC is wall<=R, cpu<=R or x>=R.
target() {
	local a=$1 b=$2 spec=$3 r ok what
	case $spec in
	wall\<=*) r=$(echo "scale=3; ${WALL[$a]} / ${WALL[$b]}" | bc); ok=$(echo "$r <= ${spec#wall<=}" | bc); what="wall time ratio" ;;
	cpu\<=*) r=$(echo "scale=3; ${CPU[$a]} / ${CPU[$b]}" | bc); ok=$(echo "$r <= ${spec#cpu<=}" | bc); what="CPU-s ratio" ;;
	x\>=*) r=$(echo "scale=3; ${WALL[$b]} / ${WALL[$a]}" | bc); ok=$(echo "$r >= ${spec#x>=}" | bc); what="times faster" ;;
	*) log "bench: unknown target $spec"; exit 2 ;;
	esac
	local line
	line=$(printf '%-34s vs %-34s %s %6.2f  target %-10s %s' "$a" "$b" "$what" "$r" "$spec" "$([[ $ok == 1 ]] && echo met || echo MISSED)")
	echo "  => $line"
	RESULTS+=("$line")
}

# ---- cases ----------------------------------------------------------------

KX_TAIL="\"\$KX\" tail -e -o ndjson $TOPIC"
KCAT_RAW="$KCAT -C -e -q -b \$BROKERS -t $TOPIC"

# tail (issue 16): the full envelope against raw kcat's bare values.
case_tail() {
	load_payments
	compare "tail: read $BENCH_RECORDS records" null "wall<=1.1 cpu<=1.2" \
		"kx tail -e -o ndjson" "$KX_TAIL" \
		"kcat -C -e" "$KCAT_RAW"
}
case_tail_pipe() {
	load_payments
	compare "tail into a pipe: read $BENCH_RECORDS records" pipe "wall<=1.1 cpu<=1.2" \
		"kx tail -e -o ndjson | wc -l" "$KX_TAIL" \
		"kcat -C -e | wc -l" "$KCAT_RAW"
}
# tail --jq: select the ERROR payments; raw kcat reads everything, kcat | jq
# selects the same records.
case_tail_jq() {
	load_payments
	compare "tail --jq select: $BENCH_RECORDS records, one in $BENCH_ERROR_EVERY selected" file "wall<=1.2 cpu<=1.2" \
		"kx tail -e --jq select" "\"\$KX\" tail -e -o ndjson $TOPIC --jq '.status==\"ERROR\"'" \
		"kcat -C -e (all records)" "$KCAT_RAW" \
		"kcat -C -e -J | jq select" "$KCAT -C -e -q -J -b \$BROKERS -t $TOPIC | $JQ -c 'select(.payload|fromjson|.status==\"ERROR\")'"
	target "kx tail -e --jq select" "kcat -C -e -J | jq select" "x>=2"
	local same=no
	"$JQ" -r '"\(.partition) \(.offset)"' "${FILE_OF["kx tail -e --jq select"]}.out" | sort >"$WORK/kx_jq.ids"
	"$JQ" -r '"\(.partition) \(.offset)"' "${FILE_OF["kcat -C -e -J | jq select"]}.out" | sort >"$WORK/kcat_jq.ids"
	cmp -s "$WORK/kx_jq.ids" "$WORK/kcat_jq.ids" && same=yes
	echo "  kx --jq and kcat | jq selected the same records (partition, offset): $same ($(wc -l <"$WORK/kx_jq.ids") records)"
}

# tail --jq on Avro (issue 14): the ERROR payments selected from the
# payments in Avro, decoded through the registry, against the same command
# on the same payments in JSON. Target: within 1.5x, under 150 MB.
case_tail_jq_avro() {
	load_payments_avro
	compare "tail --jq select on Avro: $BENCH_RECORDS records, one in $BENCH_ERROR_EVERY selected" file "wall<=1.5 cpu<=1.5" \
		"kx tail -e --jq select (Avro)" "\"\$KX\" tail -e -o ndjson $TOPIC.avro --jq '.status==\"ERROR\"' --schema-registry $SR" \
		"kx tail -e --jq select (JSON)" "\"\$KX\" tail -e -o ndjson $TOPIC --jq '.status==\"ERROR\"'"
	local same=no
	"$JQ" -c '.value | .amount |= (. * 100 | round)' "${FILE_OF["kx tail -e --jq select (Avro)"]}.out" | sort >"$WORK/avro_jq.values"
	"$JQ" -c '.value | .amount |= (. * 100 | round)' "${FILE_OF["kx tail -e --jq select (JSON)"]}.out" | sort >"$WORK/json_jq.values"
	cmp -s "$WORK/avro_jq.values" "$WORK/json_jq.values" && same=yes
	echo "  Avro and JSON selected the same values: $same ($(wc -l <"$WORK/avro_jq.values") records)"
}

# export (issue 7): the same columns both ways, metadata then every field.
case_export() {
	load_payments
	compare "export CSV: $BENCH_RECORDS records" pipe "x>=2.5" \
		"kx export csv | wc -l" "\"\$KX\" export $TOPIC -o csv" \
		"kcat -J | jq @csv | wc -l" "$KCAT -C -e -q -J -b \$BROKERS -t $TOPIC | $JQ -r '[.topic,.partition,.offset,.ts,.key] + (.payload|fromjson|[.transactionId,.orderId,.customerId,.amount,.currency,.method,.channel,.status]) | @csv'"
}

# trace (issues 6, 16): one order among the played records of six topics.
# kcat reads one topic per -t (several -t in -C mode read only the last one,
# and parallel kcats interleave partial lines), so the six topics are read
# one after the other into one jq.
case_trace() {
	load_ecommerce
	compare "trace $ORDER among $ECO_RECORDS records in 6 topics" file "x>=10" \
		"kx trace" "\"\$KX\" trace $ORDER -o ndjson" \
		"kcat -J x6 | jq select" "{ $KCAT_ECO} | $JQ -c 'select(.payload|fromjson|.orderId==\"$ORDER\")'"
	local kx=${FILE_OF["kx trace"]}.out kc=${FILE_OF["kcat -J x6 | jq select"]}.out same=no
	"$JQ" -r 'select(has("verdict") | not) | "\(.topic) \(.partition) \(.offset)"' "$kx" | sort >"$WORK/kx_trace.ids"
	"$JQ" -r '"\(.topic) \(.partition) \(.offset)"' "$kc" | sort >"$WORK/kcat_trace.ids"
	cmp -s "$WORK/kx_trace.ids" "$WORK/kcat_trace.ids" && same=yes
	echo "  same records (topic, partition, offset): $same; kx found $(wc -l <"$WORK/kx_trace.ids"), kcat | jq $(wc -l <"$WORK/kcat_trace.ids"); kx: $("$JQ" -r 'select(has("verdict")) | "\(.verdict), read \(.records_read) records from \(.partitions_read) partitions"' "$kx")"
}

# produce (issue 16): the payment lines, kx produce against kcat -P with
# kx's producer settings; each run into a fresh topic.
fresh_produce_topics() { recreate bench.produce.kx; recreate bench.produce.kcat; }
case_produce() {
	load_payments
	BEFORE_RUN=fresh_produce_topics
	compare "produce $BENCH_RECORDS lines, no key (idempotent, acks=all, $BENCH_CODEC, murmur2)" null "x>=0.8" \
		"kx produce" "\"\$KX\" produce bench.produce.kx --compression $BENCH_CODEC <$WORK/payments.ndjson" \
		"kcat -P" "$KCAT -P -q -b \$BROKERS -t bench.produce.kcat $KCAT_PRODUCE_SETTINGS <$WORK/payments.ndjson"
	BEFORE_RUN=
}
case_produce_keyed() {
	load_payments
	BEFORE_RUN=fresh_produce_topics
	compare "produce $BENCH_RECORDS lines keyed by orderId (kcat: the keys cut out beforehand)" null "x>=0.8" \
		"kx produce --key-jq .orderId" "\"\$KX\" produce bench.produce.kx --key-jq .orderId --compression $BENCH_CODEC <$WORK/payments.ndjson" \
		"kcat -P -K tab" "$KCAT -P -q -b \$BROKERS -t bench.produce.kcat -K \$'\\t' $KCAT_PRODUCE_SETTINGS <$WORK/payments.tsv"
	BEFORE_RUN=
}

# replay (issue 15): unpaced kx replay of bench.payments to a fresh topic
# against the pipelines it replaces: kx tail -e | kx produce (the same
# records, keys and headers; replay adds its provenance headers) and kcat -C
# | kcat -P with kx's producer settings (keys and values as key<TAB>value;
# the payments hold no tab), uncompressed like kx replay. Target: replay
# within 1.5x of the kx pipeline's wall time.
fresh_replay_topics() { recreate bench.replay.kx; recreate bench.replay.pipe; recreate bench.replay.kcat; }
case_replay() {
	load_payments
	BEFORE_RUN=fresh_replay_topics
	compare "replay $BENCH_RECORDS records unpaced, against tail -e | produce and kcat -C | kcat -P" null "wall<=1.5" \
		"kx replay" "\"\$KX\" replay $TOPIC bench.replay.kx" \
		"kx tail -e | kx produce" "\"\$KX\" tail -e $TOPIC -o ndjson | \"\$KX\" produce bench.replay.pipe" \
		"kcat -C | kcat -P" "$KCAT -C -e -q -b \$BROKERS -t $TOPIC -f '%k\\t%s\\n' | $KCAT -P -q -b \$BROKERS -t bench.replay.kcat -K \$'\\t' $KCAT_PRODUCE_BASE"
	BEFORE_RUN=
}

# play (issues 3, 16): unpaced play (a past --start) with the scenario
# generator in the loop, against kcat -P sending the same keys and values
# (the dry run's), with the same settings. Each run into fresh topics.
prepare_play() {
	[[ -z ${PLAY_READY:-} ]] || return 0
	PLAY_READY=1
	PLAY_SCALE=$(rate_scale "$BENCH_RECORDS")
	sed -E 's/(orders\.created|orders\.completed|inventory\.updates|customer\.notifications|payment\.transactions|shipping\.events)/play.\1/g' "$SCENARIO" >"$WORK/play.yaml"
	"$KX" play "$WORK/play.yaml" --dry-run -q --rate-scale "$PLAY_SCALE" --seed "$BENCH_SEED" |
		"$JQ" -r '[.key, (.value | tojson)] | join("\t")' >"$WORK/play.tsv"
	PLAY_RECORDS=$(wc -l <"$WORK/play.tsv")
	log "bench: play: $PLAY_RECORDS records (--rate-scale $PLAY_SCALE), $(($(wc -c <"$WORK/play.tsv") / PLAY_RECORDS)) bytes a record as key<TAB>value"
}
fresh_play_topics() {
	local t
	# kx play creates its topics when they are missing.
	for t in "${ECO_TOPICS[@]}"; do "$KX" topics delete "play.$t" --yes >/dev/null 2>&1 || true; done
	recreate bench.play.kcat
}
case_play() {
	prepare_play
	BEFORE_RUN=fresh_play_topics
	compare "play unpaced: $PLAY_RECORDS records of the demo scenario" null "x>=0.5" \
		"kx play unpaced" "\"\$KX\" play $WORK/play.yaml --start \$(date -u -d '-2 hours' +%Y-%m-%dT%H:%M:%SZ) --rate-scale $PLAY_SCALE --seed $BENCH_SEED --compression $BENCH_CODEC -o none -q" \
		"kcat -P (same records)" "$KCAT -P -q -b \$BROKERS -t bench.play.kcat -K \$'\\t' $KCAT_PRODUCE_SETTINGS <$WORK/play.tsv"
	BEFORE_RUN=
	echo "  rates: kx play $(echo "$PLAY_RECORDS / ${WALL["kx play unpaced"]}" | bc) records/s, kcat -P $(echo "$PLAY_RECORDS / ${WALL["kcat -P (same records)"]}" | bc) records/s"
}

# play_paced (issue 16): paced play keeps its rate. bench/paced.yaml starts
# 100 one-event flows per second for 20 s; --rate-scale 5 and 50 ask for
# 500 and 5,000 events/s. The rate is the events over play's own wall time
# (from the first event to the last acknowledgement); the target is ±5 %.
case_play_paced() {
	local rs want f out rate dev
	for rs in 5 50; do
		want=$((100 * rs))
		"$KX" topics delete bench.paced --yes >/dev/null 2>&1 || true
		f=$WORK/paced_$rs
		/usr/bin/time -f '%e %U %S %M' -o "$f.time" "$KX" play "$ROOT/bench/paced.yaml" --rate-scale "$rs" -o json -q >"$f.json" 2>"$f.err" ||
			{ log "bench: paced play failed:"; cat "$f.err" >&2; exit 1; }
		out=$("$JQ" -r '"\(.events) \(.wall_seconds) \(.max_behind_ms)"' "$f.json")
		read -r events wall behind <<<"$out"
		rate=$(echo "scale=1; $events / $wall" | bc)
		dev=$(echo "scale=2; ($rate - $want) * 100 / $want" | bc)
		local line
		line=$(printf 'kx play paced at %5d events/s: %s events in %s s = %s events/s (%+.2f %%), at most %s ms behind, %s CPU-s, %d MB  target ±5 %% %s' \
			"$want" "$events" "$wall" "$rate" "$dev" "$behind" "$(awk '{print $2 + $3}' "$f.time")" "$(awk '{printf "%d", $4 / 1024}' "$f.time")" \
			"$( (($(echo "${dev#-} <= 5" | bc))) && echo met || echo MISSED)")
		echo "  $line (load average $(loadavg))"
		RESULTS+=("$line")
	done
}

# memory (issue 16): the peak RSS of the reading commands not timed above,
# on the same data (tail, export, trace and play are in their cases).
case_memory() {
	load_payments
	load_ecommerce
	measure "kx flow (whole log)" null "\"\$KX\" flow -o ndjson"
	measure "kx stats --by .status" null "\"\$KX\" stats --topic $TOPIC --by .status --from beginning --idle 2s -o ndjson"
}

memory_report() {
	local label over=0
	echo "memory (target: every kx command under 150 MB peak RSS):"
	for label in "${!RSS[@]}"; do
		[[ $label == kx* ]] || continue
		if ((RSS[$label] >= 150)); then echo "  MISSED: $label peaked at ${RSS[$label]} MB"; over=1; fi
	done
	((over)) || echo "  met: every kx command measured stayed under 150 MB"
}

setup
export KX BROKERS
START_LOAD=$(loadavg)
echo "bench: $(date -u +%FT%TZ), $BENCH_RECORDS records, $BENCH_PARTITIONS partitions, broker $BROKERS, $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(free -g | awk '/Mem:/ {print $2}') GB, median of $BENCH_PAIRS alternating rounds"
echo "bench: load average at the start $START_LOAD"
load_warning start
for c in "${CASES[@]}"; do "case_$c"; echo; done
echo "summary (wall-time medians; x = how many times faster kx is):"
for line in "${RESULTS[@]}"; do echo "  $line"; done
memory_report
echo "bench: load average at the start $START_LOAD, at the end $(loadavg)"
load_warning end
