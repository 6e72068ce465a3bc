#!/usr/bin/env bash
# bench/run.sh: kx against kcat (and kcat | jq) on the same embedded broker,
# side by side in one run, with the ratios against the targets of issue 4.
#
#   BENCH_RECORDS=1000000 bench/run.sh        # the full run (default)
#   BENCH_RECORDS=20000 bench/run.sh          # a quick smoke run
#
# Environment: BENCH_RECORDS (records to load), BENCH_PARTITIONS (6),
# BENCH_ERROR_EVERY (one record in N has "status":"ERROR", 50), KX (a kx
# binary; built from this tree when unset), KCAT (/usr/bin/kcat), JQ (jq),
# BENCH_CASES (which cases to run, default: all of them, in order),
# BENCH_REPEAT (runs per case, 3: the best wall time and the largest peak
# RSS are kept, so a neighbour's burst of CPU does not decide a ratio).
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
TOPIC=bench.payments
CASES=(${BENCH_CASES:-kcat_raw kcat_json kcat_jq kx_ndjson kx_jq})

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
# produces them with kx produce.
load() {
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
case_kcat_raw()   { measure "kcat -C -e" /dev/null "$KCAT" -C -e -q -b "$BROKERS" -t "$TOPIC"; }
case_kcat_json()  { measure "kcat -C -e -J" /dev/null "$KCAT" -C -e -q -J -b "$BROKERS" -t "$TOPIC"; }
case_kcat_jq()    { measure_sh "kcat -J | jq select" "$WORK/kcat_jq.out" "$KCAT -C -e -q -J -b $BROKERS -t $TOPIC | $JQ -c 'select(.payload|fromjson|.status==\"ERROR\")'"; }
case_kx_ndjson()  { measure "kx tail -e -o ndjson" /dev/null "$KX" tail -e -o ndjson "$TOPIC"; }
# export (issue 7): the same columns both ways, metadata then every field.
case_kcat_jq_csv() { measure_sh "kcat -J | jq @csv" "$WORK/kcat_csv.out" "$KCAT -C -e -q -J -b $BROKERS -t $TOPIC | $JQ -r '[.topic,.partition,.offset,.ts,.key] + (.payload|fromjson|[.transactionId,.orderId,.customerId,.amount,.currency,.method,.channel,.status]) | @csv'"; }
case_kx_export_csv() { measure "kx export csv" "$WORK/kx_export.csv" "$KX" export "$TOPIC" --format csv; }
case_kx_jq()      { measure "kx tail -e --jq select" "$WORK/kx_jq.out" "$KX" tail -e "$TOPIC" --jq '.status=="ERROR"'; }

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
	if [[ -f $WORK/kx_jq.out && -f $WORK/kcat_jq.out ]]; then
		local same=no
		"$JQ" -r '"\(.partition) \(.offset)"' "$WORK/kx_jq.out" | sort >"$WORK/kx_jq.ids"
		"$JQ" -r '"\(.partition) \(.offset)"' "$WORK/kcat_jq.out" | sort >"$WORK/kcat_jq.ids"
		cmp -s "$WORK/kx_jq.ids" "$WORK/kcat_jq.ids" && same=yes
		echo "kx --jq and kcat | jq selected the same records (partition, offset): $same ($(wc -l <"$WORK/kx_jq.ids") records)"
	fi
	for label in "${!RSS[@]}"; do
		if [[ $label == kx* && ${RSS[$label]} != - && ${RSS[$label]} -ge 150 ]]; then
			echo "memory: $label peaked at ${RSS[$label]} MB (target: under 150 MB)"
		fi
	done
}

setup
load
echo "bench: $BENCH_RECORDS records, $BENCH_PARTITIONS partitions, broker $BROKERS, $(nproc) CPUs, best of $BENCH_REPEAT runs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
for c in "${CASES[@]}"; do "case_$c"; done
report
