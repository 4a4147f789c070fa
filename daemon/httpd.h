/*
 * httpd.h - the monitoring HTTP endpoint (libmicrohttpd, its own thread): GET or HEAD of
 *   /metrics  200, the metrics (metrics.h) in the Prometheus text format 0.0.4
 *             (Content-Type: text/plain; version=0.0.4; charset=utf-8)
 *   /healthz  200 "ok": the process answers
 *   /readyz   200 "ready: WHY" when metrics_ready() says so (the database answers at this
 *             release's schema and partitions are assigned), else 503 "not ready: WHY"
 * anything else 404, another method 405. Plain HTTP, no authentication: the address belongs
 * on loopback or a monitoring network (configuration key metrics.listen).
 */
#ifndef CUSTOMSD_HTTPD_H
#define CUSTOMSD_HTTPD_H

#include <stddef.h>

#include "metrics.h"

struct httpd;

/*
 * Listen on `listen` ("HOST:PORT", an IPv6 address in brackets; config.h metrics_listen)
 * and serve `m` (borrowed: it must outlive the endpoint) from a thread of libmicrohttpd.
 * Returns 0 and *out, or -1 with err set: "metrics.listen 'A': cannot resolve HOST: why",
 * "metrics.listen 'A': bind: Address already in use" (or another socket error), "metrics.listen
 * 'A': cannot start the HTTP server".
 */
int httpd_start(const char *listen, struct metrics *m, struct httpd **out, char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* Stop serving, close the socket, join the thread. Accepts NULL. */
void httpd_stop(struct httpd *h);

#endif
