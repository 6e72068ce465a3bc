#!/usr/bin/env bash
# bench/memory.sh N [KX]: the peak RSS (and wall and CPU time) of kx's
# reading commands and of unpaced play at N records, for issue 16's "flat
# from 100,000 to 10,000,000 records". It starts its own `kx broker` on a
# free port, produces N payments (the same lines as bench/run.sh) and plays
# the demo scenario for about N records, then measures tail, tail --jq,
# export, trace, flow and stats --by, and unpaced play again with a longer
# black-friday phase instead of a higher rate. N=10000000 takes about 16
# minutes and 15 GB of the broker's memory. KX defaults to a kx built from this tree.
set -euo pipefail
N=${1:?usage: bench/memory.sh N [KX]}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d)
trap 'kill "${BP:-}" 2>/dev/null || true; rm -rf "$WORK"' EXIT
KX=${2:-}
if [[ -z $KX ]]; then
	# A copy: the file the linker wrote shows about 8 MB more peak RSS
	# than the same bytes written by cp, for minutes (docs/speed.md).
	(cd "$ROOT" && go build -o "$WORK/kx.linked" ./cmd/kx) && cp "$WORK/kx.linked" "$WORK/kx"
	KX=$WORK/kx
fi
cd "$WORK"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$KX" broker --port "$PORT" >broker.log 2>&1 &
BP=$!
export KX_BROKERS=127.0.0.1:$PORT
for _ in $(seq 100); do "$KX" topics -o ndjson >/dev/null 2>&1 && break; sleep 0.1; done
echo "bench/memory.sh: $(date -u +%FT%TZ), $N records, load average $(cut -d' ' -f1-3 /proc/loadavg)"
awk -v n="$N" -v every=50 'BEGIN { split("card paypal transfer wallet", methods, " ")
  for (i = 0; i < n; i++) { status = (i % every == 0) ? "ERROR" : "APPROVED"
    printf "{\"transactionId\":\"tx-%09d\",\"orderId\":\"ord-%07d\",\"customerId\":\"cust-%05d\",\"amount\":%d.%02d,\"currency\":\"EUR\",\"method\":\"%s\",\"channel\":\"web\",\"status\":\"%s\"}\n", i, 1000000 + i % 7919, i % 4099, 10 + i % 990, i % 100, methods[1 + i % 4], status } }' |
	"$KX" produce pay --create --partitions 6 --key-jq .orderId 2>/dev/null
scale1=$("$KX" play ecommerce-demo --dry-run -q --seed 42 | wc -l)
scale=$(echo "scale=4; $N / $scale1" | bc)
line() { printf '%-28s N=%-9s %7.2f s %7.2f CPU-s %5d MB%s\n' "$1" "$N" "$2" "$(echo "$3 + $4" | bc)" $(($5 / 1024)) "${6:-}"; }
/usr/bin/time -f '%e %U %S %M' -o play.time "$KX" play ecommerce-demo --start "$(date -u -d '-2 hours' +%Y-%m-%dT%H:%M:%SZ)" \
	--rate-scale "$scale" --seed 42 -o json -q >eco.json
read -r w u s r <play.time
line "play unpaced (demo)" "$w" "$u" "$s" "$r" " ($(jq '[.topics[].acked] | add' eco.json) records)"
orders=$(jq '.topics[] | select(.topic == "orders.created") | .acked' eco.json)
order=$(printf 'ORD-%06d' $((orders / 2)))
m() {
	local label=$1
	shift
	/usr/bin/time -f "%e %U %S %M" -o t.time "$@" >out.txt 2>err.txt
	read -r w u s r <t.time
	line "$label" "$w" "$u" "$s" "$r" " ($(wc -l <out.txt) lines)"
}
m "tail -e -o ndjson" "$KX" tail -e -o ndjson pay
m "tail -e --jq select" "$KX" tail -e -o ndjson pay --jq '.status=="ERROR"'
m "export -o csv" "$KX" export pay -o csv
m "trace $order" "$KX" trace "$order" -o ndjson
m "flow (whole log)" "$KX" flow -o ndjson
m "stats --by .status" "$KX" stats --topic pay --by .status --from beginning --idle 2s -o ndjson
# Play's memory follows the flows in progress, not the records: the demo
# with its black-friday phase N/1,000,000 times as long, at the rate of a
# 1,000,000-record run, plays about N records (the other phases add about
# 100,000 at that rate) with that run's number of flows in progress; the
# first play reaches N by the rate instead, with N/1,000,000 times as
# many in progress at once.
awk -v k="$N" '/- name: black-friday/ { bf = 1 }
	bf && /duration: 60s/ { sub("60s", (60 * k / 1000000) "s"); bf = 0 } { print }' \
	"$ROOT/scenarios/ecommerce-demo.yaml" >long.yaml
long_scale=$(echo "scale=4; 1000000 / $scale1" | bc)
/usr/bin/time -f '%e %U %S %M' -o play.time "$KX" play long.yaml --start "$(date -u -d '-3 hours' +%Y-%m-%dT%H:%M:%SZ)" \
	--rate-scale "$long_scale" --seed 42 -o json -q >long.json
read -r w u s r <play.time
line "play unpaced (longer phase)" "$w" "$u" "$s" "$r" " ($(jq '[.topics[].acked] | add' long.json) records)"
