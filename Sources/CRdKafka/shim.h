#ifndef CHOREO_CRDKAFKA_SHIM_H
#define CHOREO_CRDKAFKA_SHIM_H
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <string.h>

/* Swift cannot call C variadic functions, so the calls that need them are wrapped here. */

/* Produces one message (payloads copied). key_len / value_len < 0 mean a null key / value.
 * On success librdkafka owns `headers` (may be NULL); on failure the caller still owns them. */
static inline rd_kafka_resp_err_t choreo_produce(rd_kafka_t *rk, const char *topic, int32_t partition,
                                                 const void *key, long key_len,
                                                 const void *value, long value_len,
                                                 rd_kafka_headers_t *headers, void *opaque) {
    static const char empty = 0;
    const void *k = key_len < 0 ? NULL : (key ? key : (const void *)&empty);
    const void *v = value_len < 0 ? NULL : (value ? value : (const void *)&empty);
    size_t kl = key_len < 0 ? 0 : (size_t)key_len;
    size_t vl = value_len < 0 ? 0 : (size_t)value_len;
    if (headers) {
        return rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
                                 RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY(k, kl),
                                 RD_KAFKA_V_VALUE((void *)v, vl), RD_KAFKA_V_HEADERS(headers),
                                 RD_KAFKA_V_OPAQUE(opaque), RD_KAFKA_V_END);
    }
    return rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(partition),
                             RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY(k, kl),
                             RD_KAFKA_V_VALUE((void *)v, vl), RD_KAFKA_V_OPAQUE(opaque), RD_KAFKA_V_END);
}

/* The offset of the next message constant (RD_KAFKA_OFFSET_* are macros Swift may not import). */
static inline int64_t choreo_offset_invalid(void) { return RD_KAFKA_OFFSET_INVALID; }
static inline int32_t choreo_partition_ua(void) { return RD_KAFKA_PARTITION_UA; }

/* 1 when the rebalance protocol in use is cooperative. */
static inline int choreo_rebalance_is_cooperative(rd_kafka_t *rk) {
    const char *p = rd_kafka_rebalance_protocol(rk);
    return p != NULL && strcmp(p, "COOPERATIVE") == 0;
}
#endif
