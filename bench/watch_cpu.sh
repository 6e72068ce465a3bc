#!/usr/bin/env bash
# bench/watch_cpu.sh: the CPU cost of kx stats --watch --alerts with many
# lag rules (issue 17: 50 lag rules over 20 groups under 5 % of a core at a
# 1 s interval). The lag of every group comes from one round of group
# requests per interval, shared by all rules, so the rules should cost
# next to nothing over a watch without them.
#
#   bench/watch_cpu.sh            # 60 s per run
#   WATCH_SECONDS=20 bench/watch_cpu.sh
#
# On an embedded broker (kx broker, its own process): 4 topics of 6
# partitions with 1,000 records each, 20 consumer groups that committed
# part of them (5 per topic), and a rules file of 50 lag rules (each group
# named by 2 or 3 rules, 10 of them by a pattern). kx stats --watch
# --interval 1s -o ndjson runs WATCH_SECONDS with the rules and as long
# without; each line gives the CPU seconds (user + sys) of kx and of the
# broker over the run, and kx's as a share of one core. The load average
# is printed: on a busy machine the figures are an upper bound.
# Environment: WATCH_SECONDS (60), KX (a kx binary; built when unset).
set -euo pipefail

WATCH_SECONDS=${WATCH_SECONDS:-60}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d "${TMPDIR:-/tmp}/kx-watch-cpu.XXXXXX")
cleanup() {
	if [[ -n "${BROKER_PID:-}" ]]; then kill "$BROKER_PID" 2>/dev/null || true; wait "$BROKER_PID" 2>/dev/null || true; fi
	rm -rf "$WORK"
}
trap cleanup EXIT

if [[ -z "${KX:-}" ]]; then
	(cd "$ROOT" && go build -o "$WORK/kx" ./cmd/kx)
	KX=$WORK/kx
fi
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export KX_BROKERS=127.0.0.1:$PORT
"$KX" broker --port "$PORT" >"$WORK/broker.log" 2>&1 &
BROKER_PID=$!
for _ in $(seq 100); do "$KX" topics -o ndjson >/dev/null 2>&1 && break; sleep 0.1; done

# cpu PID: the user + sys clock ticks PID used so far.
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
TICK=$(getconf CLK_TCK)

for t in 0 1 2 3; do
	"$KX" topics create "watch.$t" --partitions 6 >/dev/null 2>&1
	seq 1000 | awk '{printf "{\"n\":%d}\n", $1}' | "$KX" produce "watch.$t" --key-jq .n 2>/dev/null
done
for g in $(seq 0 19); do
	# Each group reads and commits part of its topic: a lag of a few hundred.
	"$KX" tail "watch.$((g % 4))" -g "group-$g" --from beginning -c $((100 + 30 * g)) -o ndjson >/dev/null 2>&1
done
{
	echo "rules:"
	for i in $(seq 0 49); do
		if ((i < 10)); then group="group-$((i % 10))[0-9]?"; else group="group-$((i % 20))"; fi
		printf '  - {name: lag-%d, kind: lag, group: "%s", severity: warning, threshold: "> %d", for: 5s, message: "{{group}} {{lag}}"}\n' "$i" "$group" $((100 * (i % 7 + 1)))
	done
} >"$WORK/rules.yaml"
"$KX" stats --list-alerts --alerts "$WORK/rules.yaml" >/dev/null

# run LABEL ARGS...: kx stats --watch for WATCH_SECONDS, its CPU and the broker's.
run() {
	local label=$1
	shift
	local b0 b1 k
	b0=$(cpu "$BROKER_PID")
	/usr/bin/time -f '%U %S %M' -o "$WORK/time" timeout -s INT "$WATCH_SECONDS" "$KX" stats --watch --interval 1s -o ndjson "$@" >"$WORK/out.ndjson" 2>"$WORK/err" || true
	b1=$(cpu "$BROKER_PID")
	k=$(tail -1 "$WORK/time" | awk '{print $1 + $2}')
	printf '%-34s kx %6.2f CPU-s = %5.2f %% of a core, %4d MB; broker %6.2f CPU-s; %d intervals of %s groups, %d alerts (load average %s)\n' \
		"$label" "$k" "$(echo "scale=4; $k * 100 / $WATCH_SECONDS" | bc)" "$(tail -1 "$WORK/time" | awk '{printf "%d", $3 / 1024}')" \
		"$(echo "scale=2; ($b1 - $b0) / $TICK" | bc)" "$(grep -c '"kind":"stats"' "$WORK/out.ndjson")" "$(grep '"kind":"stats"' "$WORK/out.ndjson" | tail -1 | jq .totals.groups)" "$(grep -c '"kind":"alert"' "$WORK/out.ndjson")" \
		"$(cut -d' ' -f1-3 /proc/loadavg)"
}

echo "watch_cpu: $(date -u +%FT%TZ), $(nproc) CPUs, $WATCH_SECONDS s per run, 4 topics x 6 partitions, 20 groups, 50 lag rules"
run "stats --watch (no rules)"
run "stats --watch --alerts (50 lag)" --alerts "$WORK/rules.yaml"
