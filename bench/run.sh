#!/usr/bin/env bash
# bench/run.sh: kx against kcat (and kcat | jq) on the same embedded broker,
# side by side in one run, with the ratios against the targets of issues 4
# (tail), 7 (export), 6 (trace) and 3 (play: no target, the rate is reported).
#
#   BENCH_RECORDS=1000000 bench/run.sh        # the full run (default)
#   BENCH_RECORDS=20000 bench/run.sh          # a quick smoke run
#
# Environment: BENCH_RECORDS (records to load), BENCH_PARTITIONS (6),
# BENCH_ERROR_EVERY (one record in N has "status":"ERROR", 50), KX (a kx
# binary; built from this tree when unset), KCAT (/usr/bin/kcat), JQ (jq),
# BENCH_CASES (which cases to run, default: all of them, in order),
# BENCH_REPEAT (runs per case, 3: the best wall time and the largest peak
# RSS are kept, so a neighbour's burst of CPU does not decide a ratio),
# BENCH_SEED (seed of the played scenario, 7), BENCH_ORDER (the order the
# trace cases look for; default: the middle order of the played data).
#
# Data sets, each loaded once and only when a case needs it: the payments
# topic (tail and export cases); the six e-commerce topics of
# scenarios/ecommerce-demo.yaml played with a past --start and a
# --rate-scale giving about BENCH_RECORDS records (trace cases); the play
# cases write to their own copies of the scenario's topics (play.*) and to
# bench.kcat.produce.
#
# Adding a case: write a function case_NAME that calls
#   measure LABEL OUTFILE COMMAND...
# (or measure_sh LABEL OUTFILE 'PIPELINE') and add NAME to CASES below; a
# ratio line compares two labels with `ratio LABEL BASE TARGET`.
set -euo pipefail

BENCH_RECORDS=${BENCH_RECORDS:-1000000}
BENCH_PARTITIONS=${BENCH_PARTITIONS:-6}
BENCH_ERROR_EVERY=${BENCH_ERROR_EVERY:-50}
BENCH_REPEAT=${BENCH_REPEAT:-3}
KCAT=${KCAT:-/usr/bin/kcat}
JQ=${JQ:-jq}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/kx-bench.XXXXXX")
BENCH_SEED=${BENCH_SEED:-7}
TOPIC=bench.payments
SCENARIO=$ROOT/scenarios/ecommerce-demo.yaml
ECO_TOPICS=(orders.created orders.completed inventory.updates customer.notifications payment.transactions shipping.events)
CASES=(${BENCH_CASES:-kcat_raw kcat_json kcat_jq kx_ndjson kx_jq kcat_jq_csv kx_export_csv kcat_jq_trace kx_trace kcat_produce kx_play})

declare -A WALL RSS LINES

cleanup() {
	if [[ -n "${BROKER_PID:-}" ]]; then kill "$BROKER_PID" 2>/dev/null || true; wait "$BROKER_PID" 2>/dev/null || true; fi
	rm -rf "$WORK"
}
trap cleanup EXIT

log() { printf '%s\n' "$*" >&2; }

need() {
	command -v "$1" >/dev/null 2>&1 || { log "bench: $1 not found${2:+ ($2)}"; exit 2; }
}

setup() {
	need "$KCAT" "apt-get install -y kcat"
	need "$JQ" "apt-get install -y jq"
	if [[ -z "${KX:-}" ]]; then
		log "bench: building kx"
		(cd "$ROOT" && go build -o "$WORK/kx" ./cmd/kx)
		KX=$WORK/kx
	fi
	TIMEV=()
	if /usr/bin/time -v true >/dev/null 2>&1; then TIMEV=(/usr/bin/time -v -o "$WORK/time.txt"); fi
	PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	BROKERS=127.0.0.1:$PORT
	export KX_BROKERS=$BROKERS
	"$KX" broker --port "$PORT" >"$WORK/broker.log" 2>&1 &
	BROKER_PID=$!
	for _ in $(seq 100); do
		"$KX" topics -o ndjson >/dev/null 2>&1 && break
		sleep 0.1
	done
}

# load writes BENCH_RECORDS e-commerce payments of about 170 bytes and
# produces them with kx produce (once, for the first case that reads them).
load() {
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
	log "bench: loading $BENCH_RECORDS records ($(wc -c <"$WORK/payments.ndjson") bytes) into $TOPIC ($BENCH_PARTITIONS partitions)"
	local start end
	start=$(date +%s.%N)
	"$KX" produce "$TOPIC" --key-jq .orderId <"$WORK/payments.ndjson" 2>"$WORK/produce.log"
	end=$(date +%s.%N)
	log "bench: $(tail -1 "$WORK/produce.log") in $(echo "$end - $start" | bc) s"
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
# BENCH_RECORDS records (once, for the first trace case), and picks the
# traced order and how many records carry it.
load_ecommerce() {
	[[ -z ${ECOMMERCE_LOADED:-} ]] || return 0
	ECOMMERCE_LOADED=1
	local scale start end
	scale=$(rate_scale "$BENCH_RECORDS")
	log "bench: playing $(basename "$SCENARIO") at --rate-scale $scale (about $BENCH_RECORDS records) into ${ECO_TOPICS[*]}"
	start=$(date +%s.%N)
	"$KX" play "$SCENARIO" --start "$(past_start)" --rate-scale "$scale" --seed "$BENCH_SEED" -o json -q >"$WORK/eco.json" 2>"$WORK/eco.log" ||
		{ log "bench: kx play failed:"; cat "$WORK/eco.log" >&2; exit 1; }
	end=$(date +%s.%N)
	ECO_RECORDS=$("$JQ" '[.topics[].acked] | add' "$WORK/eco.json")
	ECO_ORDERS=$("$JQ" '.topics[] | select(.topic == "orders.created") | .acked' "$WORK/eco.json")
	log "bench: played $ECO_RECORDS records ($ECO_ORDERS orders) in $(echo "$end - $start" | bc) s"
	ORDER=${BENCH_ORDER:-$(printf 'ORD-%06d' $((ECO_ORDERS / 2)))}
	local t
	KCAT_ECO=""
	for t in "${ECO_TOPICS[@]}"; do KCAT_ECO+="$KCAT -C -e -q -J -b $BROKERS -t $t; "; done
}

# measure LABEL OUTFILE CMD...: run CMD BENCH_REPEAT times with stdout to
# OUTFILE; record its best wall time, its peak RSS and its output lines.
measure() {
	local label=$1 out=$2
	shift 2
	local start end wall rss best="" peak=0 i
	for ((i = 0; i < BENCH_REPEAT; i++)); do
		start=$(date +%s.%N)
		"${TIMEV[@]}" "$@" >"$out" 2>"$WORK/$label.err" || { log "bench: $label failed:"; cat "$WORK/$label.err" >&2; exit 1; }
		end=$(date +%s.%N)
		wall=$(echo "$end - $start" | bc)
		if [[ -z $best ]] || (($(echo "$wall < $best" | bc))); then best=$wall; fi
		if [[ -f "$WORK/time.txt" ]]; then
			rss=$(awk '/Maximum resident set size/ {printf "%d", $NF / 1024}' "$WORK/time.txt")
			((rss > peak)) && peak=$rss
			rm -f "$WORK/time.txt"
		fi
	done
	WALL[$label]=$best
	RSS[$label]=-
	((peak > 0)) && RSS[$label]=$peak
	LINES[$label]=-
	if [[ $out != /dev/null ]]; then LINES[$label]=$(wc -l <"$out"); fi
	printf '%-28s %8.2f s  %6s MB  %9s lines\n' "$label" "${WALL[$label]}" "${RSS[$label]}" "${LINES[$label]}"
}

# measure_sh LABEL OUTFILE PIPELINE: like measure for a shell pipeline (RSS
# is the pipeline's largest process).
measure_sh() {
	measure "$1" "$2" bash -o pipefail -c "$3"
}

# Throughput cases write to /dev/null, as in the targets; the filtering cases
# keep their (small) output to check both select the same records.
case_kcat_raw()   { load; measure "kcat -C -e" /dev/null "$KCAT" -C -e -q -b "$BROKERS" -t "$TOPIC"; }
case_kcat_json()  { load; measure "kcat -C -e -J" /dev/null "$KCAT" -C -e -q -J -b "$BROKERS" -t "$TOPIC"; }
case_kcat_jq()    { load; measure_sh "kcat -J | jq select" "$WORK/kcat_jq.out" "$KCAT -C -e -q -J -b $BROKERS -t $TOPIC | $JQ -c 'select(.payload|fromjson|.status==\"ERROR\")'"; }
case_kx_ndjson()  { load; measure "kx tail -e -o ndjson" /dev/null "$KX" tail -e -o ndjson "$TOPIC"; }
# export (issue 7): the same columns both ways, metadata then every field.
case_kcat_jq_csv() { load; measure_sh "kcat -J | jq @csv" "$WORK/kcat_csv.out" "$KCAT -C -e -q -J -b $BROKERS -t $TOPIC | $JQ -r '[.topic,.partition,.offset,.ts,.key] + (.payload|fromjson|[.transactionId,.orderId,.customerId,.amount,.currency,.method,.channel,.status]) | @csv'"; }
case_kx_export_csv() { load; measure "kx export csv" "$WORK/kx_export.csv" "$KX" export "$TOPIC" --format csv; }
case_kx_jq()      { load; measure "kx tail -e --jq select" "$WORK/kx_jq.out" "$KX" tail -e "$TOPIC" --jq '.status=="ERROR"'; }

# trace (issue 6): one order among the played records of six topics. kcat
# reads one topic per -t (several -t in -C mode read only the last one, and
# parallel kcats interleave partial lines), so the six topics are read one
# after the other into one jq. The records of the order carry its orderId in
# every topic (inventory and notifications too).
case_kcat_jq_trace() {
	load_ecommerce
	measure_sh "kcat -J x6 | jq trace" "$WORK/kcat_trace.out" "{ $KCAT_ECO} | $JQ -c 'select(.payload|fromjson|.orderId==\"$ORDER\")'"
}
case_kx_trace() {
	load_ecommerce
	measure "kx trace" "$WORK/kx_trace.out" "$KX" trace "$ORDER" -o ndjson
}

# play (issue 3): the producer's top rate with the scenario generator in the
# loop (a past --start sends the timeline unpaced), against kcat -P sending
# the same number of records of the same sizes (the dry run's keys and
# values), both idempotent with lz4. Each run appends to its topics.
prepare_produce() {
	[[ -z ${PRODUCE_READY:-} ]] || return 0
	PRODUCE_READY=1
	PLAY_SCALE=$(rate_scale "$BENCH_RECORDS")
	# The scenario with its topics renamed play.*, so the trace data stays as loaded.
	sed -E 's/(orders\.created|orders\.completed|inventory\.updates|customer\.notifications|payment\.transactions|shipping\.events)/play.\1/g' "$SCENARIO" >"$WORK/play.yaml"
	"$KX" play "$WORK/play.yaml" --dry-run -q --rate-scale "$PLAY_SCALE" --seed "$BENCH_SEED" |
		"$JQ" -r '[.key, (.value | tojson)] | join("\t")' >"$WORK/produce.tsv"
	PLAY_RECORDS=$(wc -l <"$WORK/produce.tsv")
	"$KX" topics create bench.kcat.produce --partitions "$BENCH_PARTITIONS" 2>/dev/null
	log "bench: play cases: $PLAY_RECORDS records (--rate-scale $PLAY_SCALE), $(($(wc -c <"$WORK/produce.tsv") / PLAY_RECORDS)) bytes a record as key<TAB>value"
}
case_kcat_produce() {
	prepare_produce
	# (kcat -P sends a file named as an argument as one record: stdin it is)
	measure_sh "kcat -P idempotent lz4" /dev/null "$KCAT -P -q -b $BROKERS -t bench.kcat.produce -K \$'\\t' -X enable.idempotence=true -X compression.codec=lz4 -X topic.partitioner=murmur2_random <$WORK/produce.tsv"
}
case_kx_play() {
	prepare_produce
	measure "kx play unpaced" /dev/null "$KX" play "$WORK/play.yaml" --start "$(past_start)" --rate-scale "$PLAY_SCALE" --seed "$BENCH_SEED" -o none -q
}

# ratio LABEL BASE TARGET: LABEL's time over BASE's, against TARGET ("<=1.1"
# means at most 1.1 times BASE; ">=2" means BASE is at least 2 times slower).
ratio() {
	local label=$1 base=$2 target=$3
	[[ -n "${WALL[$label]:-}" && -n "${WALL[$base]:-}" ]] || return 0
	local r ok
	r=$(echo "scale=3; ${WALL[$label]} / ${WALL[$base]}" | bc)
	case $target in
	"<="*) ok=$(echo "$r <= ${target#<=}" | bc) ;;
	">="*) r=$(echo "scale=3; ${WALL[$base]} / ${WALL[$label]}" | bc); ok=$(echo "$r >= ${target#>=}" | bc) ;;
	esac
	printf '%-28s vs %-22s %6.2fx  target %-5s %s\n' "$label" "$base" "$r" "$target" "$([[ $ok == 1 ]] && echo met || echo MISSED)"
}

report() {
	echo
	echo "ratios (wall time; >= targets are how many times faster kx is):"
	ratio "kx tail -e -o ndjson" "kcat -C -e" "<=1.1"
	ratio "kx tail -e -o ndjson" "kcat -C -e -J" ">=1"
	ratio "kx tail -e --jq select" "kcat -C -e" "<=1.2"
	ratio "kx tail -e --jq select" "kcat -J | jq select" ">=2"
	ratio "kx export csv" "kcat -J | jq @csv" ">=2.5"
	ratio "kx trace" "kcat -J x6 | jq trace" ">=5"
	if [[ -f $WORK/kx_trace.out && -f $WORK/kcat_trace.out ]]; then
		local kxn kcatn same=no
		kxn=$("$JQ" -c 'select(has("verdict") | not)' "$WORK/kx_trace.out" | wc -l)
		kcatn=$(wc -l <"$WORK/kcat_trace.out")
		"$JQ" -r 'select(has("verdict") | not) | "\(.topic) \(.partition) \(.offset)"' "$WORK/kx_trace.out" | sort >"$WORK/kx_trace.ids"
		"$JQ" -r '"\(.topic) \(.partition) \(.offset)"' "$WORK/kcat_trace.out" | sort >"$WORK/kcat_trace.ids"
		cmp -s "$WORK/kx_trace.ids" "$WORK/kcat_trace.ids" && same=yes
		echo "trace $ORDER among $ECO_RECORDS records: kx found $kxn records, kcat | jq $kcatn; same records (topic, partition, offset): $same; kx: $("$JQ" -r 'select(has("verdict")) | "\(.verdict), read \(.records_read) records from \(.partitions_read) partitions"' "$WORK/kx_trace.out")"
	fi
	if [[ -n ${WALL["kx play unpaced"]:-} && -n ${WALL["kcat -P idempotent lz4"]:-} ]]; then
		local kxr kcatr
		kxr=$(echo "$PLAY_RECORDS / ${WALL["kx play unpaced"]}" | bc)
		kcatr=$(echo "$PLAY_RECORDS / ${WALL["kcat -P idempotent lz4"]}" | bc)
		printf '%-28s vs %-22s %6.2fx  (time ratio; no target)\n' "kx play unpaced" "kcat -P idempotent lz4" "$(echo "scale=3; ${WALL["kx play unpaced"]} / ${WALL["kcat -P idempotent lz4"]}" | bc)"
		echo "produce rate, $PLAY_RECORDS records: kx play $kxr records/s (generator in the loop), kcat -P $kcatr records/s (from a prepared file)"
	fi
	if [[ -f $WORK/kx_jq.out && -f $WORK/kcat_jq.out ]]; then
		local same=no
		"$JQ" -r '"\(.partition) \(.offset)"' "$WORK/kx_jq.out" | sort >"$WORK/kx_jq.ids"
		"$JQ" -r '"\(.partition) \(.offset)"' "$WORK/kcat_jq.out" | sort >"$WORK/kcat_jq.ids"
		cmp -s "$WORK/kx_jq.ids" "$WORK/kcat_jq.ids" && same=yes
		echo "kx --jq and kcat | jq selected the same records (partition, offset): $same ($(wc -l <"$WORK/kx_jq.ids") records)"
	fi
	for label in "${!RSS[@]}"; do
		# The 150 MB target is the reading commands' (tail, export).
		if [[ $label == "kx tail"* || $label == "kx export"* ]] && [[ ${RSS[$label]} != - && ${RSS[$label]} -ge 150 ]]; then
			echo "memory: $label peaked at ${RSS[$label]} MB (target: under 150 MB)"
		fi
	done
}

setup
echo "bench: $BENCH_RECORDS records, $BENCH_PARTITIONS partitions, broker $BROKERS, $(nproc) CPUs, best of $BENCH_REPEAT runs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
for c in "${CASES[@]}"; do "case_$c"; done
report
