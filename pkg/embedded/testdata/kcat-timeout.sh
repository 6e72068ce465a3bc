#!/bin/bash
# timeout(1) for kcat's test scripts (TestKcatSuite puts it first in PATH).
# `timeout N kcat … -e` runs as timeout(1) does. `timeout N kcat …` without
# -e is a consumer the script expects to still run after N seconds: here it
# runs until it has reached the end of every partition ($KCAT_PARTITIONS
# "% Reached end of topic" lines on stderr), then one second more, and ends
# with 124 like timeout(1) if it still runs. That checks what the N seconds
# check, that the consumer does not stop at the end of the topic, without
# waiting them out. Not reaching every end within N seconds returns 0, which
# makes the script fail.
limit=$1
shift
for a in "$@"; do
	if [[ $a == -e ]]; then
		exec /usr/bin/timeout "$limit" "$@"
	fi
done
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# A background job reads /dev/null unless told: kcat picks its mode by stdin.
"$@" <&0 2> >(tee "$log" >&2) &
pid=$!
ends() {
	grep -o '^% Reached end of topic .* \[[0-9]*\]' "$log" | sort -u | wc -l
}
deadline=$((SECONDS + ${limit%s}))
while (($(ends) < KCAT_PARTITIONS)); do
	if ! kill -0 "$pid" 2>/dev/null; then
		wait "$pid"
		rc=$?
		echo "timeout: $* ended by itself ($rc) before the end of every partition" >&2
		exit $rc
	fi
	if ((SECONDS >= deadline)); then
		kill "$pid"
		wait "$pid"
		echo "timeout: $* reached the end of $(ends) of $KCAT_PARTITIONS partitions in $limit s" >&2
		exit 0
	fi
	sleep 0.1
done
sleep 1
if kill -0 "$pid" 2>/dev/null; then
	kill "$pid"
	wait "$pid"
	exit 124
fi
wait "$pid"
rc=$?
echo "timeout: $* ended by itself ($rc) after the end of every partition" >&2
exit $rc
