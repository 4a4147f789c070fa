/*
 * httpd.c - the monitoring HTTP endpoint: /metrics, /healthz, /readyz served by
 * libmicrohttpd from its own thread (see httpd.h). The socket is bound here, so a refused
 * address is reported with its errno; libmicrohttpd then owns it.
 */
#include "httpd.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "util.h"

#define HTTPD_MAX_CONNECTIONS 16 /* a scraper or two, and a person with curl */
#define HTTPD_TIMEOUT_S       10 /* an idle connection is closed after this */

struct httpd {
    struct MHD_Daemon *daemon;
    struct metrics *metrics;
};

/* Queue a response with a text body (copied) and status. */
static enum MHD_Result httpd_reply(struct MHD_Connection *c, unsigned status, const char *type,
                                   const char *body)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result httpd_handle(void *cls, struct MHD_Connection *c, const char *url,
                                    const char *method, const char *version,
                                    const char *upload_data, size_t *upload_data_size,
                                    void **con_cls)
{
    struct httpd *h = cls;
    static const char *const plain = "text/plain; charset=utf-8";
    (void)version;
    (void)upload_data;
    (void)con_cls;

    if (*upload_data_size != 0) {
        *upload_data_size = 0; /* a body is never wanted: drop it */
        return MHD_YES;
    }
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
        return httpd_reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, plain, "method not allowed\n");
    if (strcmp(url, "/metrics") == 0) {
        size_t len = 0;
        char *text = metrics_render(h->metrics, &len);
        if (!text)
            return httpd_reply(c, MHD_HTTP_INTERNAL_SERVER_ERROR, plain, "out of memory\n");
        struct MHD_Response *r = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
        if (!r) {
            free(text);
            return MHD_NO;
        }
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
                                "text/plain; version=0.0.4; charset=utf-8");
        enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_OK, r);
        MHD_destroy_response(r);
        return ret;
    }
    if (strcmp(url, "/healthz") == 0)
        return httpd_reply(c, MHD_HTTP_OK, plain, "ok\n");
    if (strcmp(url, "/readyz") == 0) {
        char why[300], body[320];
        bool ready = metrics_ready(h->metrics, why, sizeof(why));
        snprintf(body, sizeof(body), "%s: %s\n", ready ? "ready" : "not ready", why);
        return httpd_reply(c, ready ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE, plain, body);
    }
    return httpd_reply(c, MHD_HTTP_NOT_FOUND, plain,
                       "not found: customsd serves /metrics, /healthz and /readyz\n");
}

/* A listening TCP socket on `listen` (HOST:PORT or [V6]:PORT), or -1 with err set. */
static int httpd_listen(const char *listen_at, char *err, size_t errlen)
{
    char host[256];
    const char *port = strrchr(listen_at, ':');
    const char *h = listen_at;
    size_t hlen = port ? (size_t)(port - listen_at) : 0;

    if (!port || hlen == 0)
        return util_errf(err, errlen, "metrics.listen '%s': expected HOST:PORT", listen_at);
    if (h[0] == '[' && hlen >= 2 && h[hlen - 1] == ']') {
        h++;
        hlen -= 2;
    }
    if (hlen >= sizeof(host))
        return util_errf(err, errlen, "metrics.listen '%s': host name too long", listen_at);
    memcpy(host, h, hlen);
    host[hlen] = '\0';

    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_NUMERICSERV | AI_PASSIVE};
    struct addrinfo *res = NULL;
    int gai = getaddrinfo(host, port + 1, &hints, &res);
    if (gai != 0)
        return util_errf(err, errlen, "metrics.listen '%s': cannot resolve %s: %s", listen_at, host,
                         gai_strerror(gai));
    int fd = -1, saved = 0;
    for (struct addrinfo *a = res; a && fd < 0; a = a->ai_next) {
        int one = 1;
        fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0) {
            saved = errno;
            continue;
        }
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(fd, a->ai_addr, a->ai_addrlen) < 0 || listen(fd, 16) < 0) {
            saved = errno;
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    if (fd < 0)
        return util_errf(err, errlen, "metrics.listen '%s': bind: %s", listen_at, strerror(saved));
    return fd;
}

int httpd_start(const char *listen_at, struct metrics *m, struct httpd **out, char *err,
                size_t errlen)
{
    *out = NULL;
    struct httpd *h = calloc(1, sizeof(*h));
    if (!h)
        return util_errf(err, errlen, "out of memory");
    h->metrics = m;
    int fd = httpd_listen(listen_at, err, errlen);
    if (fd < 0) {
        free(h);
        return -1;
    }
    h->daemon = MHD_start_daemon(MHD_USE_AUTO_INTERNAL_THREAD, 0, NULL, NULL, httpd_handle, h,
                                 MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_CONNECTION_LIMIT,
                                 (unsigned)HTTPD_MAX_CONNECTIONS, MHD_OPTION_CONNECTION_TIMEOUT,
                                 (unsigned)HTTPD_TIMEOUT_S, MHD_OPTION_END);
    if (!h->daemon) {
        close(fd);
        free(h);
        return util_errf(err, errlen, "metrics.listen '%s': cannot start the HTTP server",
                         listen_at);
    }
    /* ownership of fd moved to the daemon: MHD_stop_daemon closes it */
    *out = h;
    return 0;
}

void httpd_stop(struct httpd *h)
{
    if (!h)
        return;
    MHD_stop_daemon(h->daemon);
    free(h);
}
