/* rdkafka_mini.c: the smallest kcat -P: lines on stdin (key<TAB>value with
 * -K) to a topic with bench/run.sh's producer settings, delivery reports
 * served on the producing thread like kcat does. bench/rdkafka_versions.sh
 * links it against Debian's librdkafka (kcat's) and against the one
 * confluent-kafka-go bundles (kx's), to tell the library's share of a
 * difference from kx's.
 *
 *   rdkafka_mini BROKERS TOPIC CODEC [-K] < lines */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rdkafka.h"

static long failed;
static void dr(rd_kafka_t *rk, const rd_kafka_message_t *m, void *o) { if (m->err) failed++; }

int main(int argc, char **argv) {
	if (argc < 4) { fprintf(stderr, "usage: rdkafka_mini BROKERS TOPIC CODEC [-K]\n"); return 2; }
	int keyed = argc > 4 && !strcmp(argv[4], "-K");
	char err[512];
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	const char *kv[][2] = {{"bootstrap.servers", argv[1]}, {"enable.idempotence", "true"}, {"acks", "all"},
		{"compression.codec", argv[3]}, {"partitioner", "murmur2_random"}, {"linger.ms", "5"}};
	for (size_t i = 0; i < sizeof kv / sizeof kv[0]; i++)
		if (rd_kafka_conf_set(conf, kv[i][0], kv[i][1], err, sizeof err)) { fprintf(stderr, "%s\n", err); return 1; }
	rd_kafka_conf_set_dr_msg_cb(conf, dr);
	rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
	if (!rk) { fprintf(stderr, "%s\n", err); return 1; }
	rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, argv[2], NULL);
	char *line = NULL; size_t cap = 0; ssize_t n; long sent = 0;
	while ((n = getline(&line, &cap, stdin)) > 0) {
		if (line[n - 1] == '\n') n--;
		char *val = line, *key = NULL; size_t klen = 0, vlen = n;
		if (keyed) {
			char *t = memchr(line, '\t', n);
			if (t) { key = line; klen = t - line; val = t + 1; vlen = n - klen - 1; }
		}
		for (;;) {
			rd_kafka_resp_err_t e = rd_kafka_producev(rk, RD_KAFKA_V_RKT(rkt), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
				RD_KAFKA_V_VALUE(val, vlen), RD_KAFKA_V_KEY(key, klen), RD_KAFKA_V_END);
			if (!e) break;
			if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) { fprintf(stderr, "produce: %s\n", rd_kafka_err2str(e)); return 1; }
			rd_kafka_poll(rk, 5);
		}
		sent++;
		rd_kafka_poll(rk, 0);
	}
	rd_kafka_flush(rk, 30000);
	fprintf(stderr, "%s: %ld sent, %ld failed, %d left\n", rd_kafka_version_str(), sent, failed, rd_kafka_outq_len(rk));
	rd_kafka_topic_destroy(rkt);
	rd_kafka_destroy(rk);
	return failed != 0;
}
