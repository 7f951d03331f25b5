/*
 * make bench's open-loop load: POST /check at a fixed rate, whatever the answers' latency, and
 * each answer's latency measured from the moment its request was due (not from when a free
 * connection sent it), so that a stall shows as the latency every request behind it saw
 * (no coordinated omission, as wrk2 measures). wrk and its closed loop measure throughput;
 * this measures latency at a given load.
 *
 *   open-loop PORT CONNECTIONS RATE SECONDS BODIES_FILE
 *
 * HTTPS to 127.0.0.1:PORT (server name localhost, the certificate not verified: the bench's own
 * stack), HTTP/1.1 keep-alive on CONNECTIONS connections opened before the clock starts. Request
 * i is due at i / RATE seconds; BODIES_FILE holds one form body per line (code=…), used in turn.
 * Prints one JSON object: the rate asked and achieved, answers by status, and the latency
 * percentiles in milliseconds.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

typedef struct {
    int fd;
    SSL *tls;
    int busy;             /* a request is in flight */
    double due;           /* when its request was due */
    char buffer[16384];
    size_t filled;
} connection;

static double now_seconds(void) {
    struct timespec time;
    clock_gettime(CLOCK_MONOTONIC, &time);
    return time.tv_sec + time.tv_nsec / 1e9;
}

static void fail(const char *what) {
    fprintf(stderr, "open-loop: %s: %s\n", what, strerror(errno));
    exit(2);
}

static int compare(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The answer in the buffer, when it is whole: its status, and the bytes it takes; else 0. */
static size_t complete_answer(const connection *c, int *status) {
    const char *end = memmem(c->buffer, c->filled, "\r\n\r\n", 4);
    if (end == NULL) return 0;
    size_t head = (size_t)(end - c->buffer) + 4;
    long length = 0;
    const char *field = memmem(c->buffer, head, "\r\ncontent-length:", 17);
    if (field == NULL) field = memmem(c->buffer, head, "\r\nContent-Length:", 17);
    if (field != NULL) length = strtol(field + 17, NULL, 10);
    if (c->filled < head + (size_t)length) return 0;
    *status = atoi(c->buffer + 9);
    return head + (size_t)length;
}

/* A TLS connection to the stack, handshaken while blocking, then non-blocking under epoll. nginx
   closes a keep-alive connection after keepalive_requests answers: then this opens another. */
static void open_connection(connection *c, int index, SSL_CTX *context, int poller, int port) {
    struct sockaddr_in address = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&address, sizeof address) != 0) fail("connect");
    int on = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    c->tls = SSL_new(context);
    SSL_set_fd(c->tls, c->fd);
    SSL_set_tlsext_host_name(c->tls, "localhost");
    if (SSL_connect(c->tls) != 1) { ERR_print_errors_fp(stderr); exit(2); }
    fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
    struct epoll_event event = { .events = EPOLLIN, .data.u32 = (uint32_t)index };
    epoll_ctl(poller, EPOLL_CTL_ADD, c->fd, &event);
    c->busy = 0;
    c->filled = 0;
}

static void close_connection(connection *c, int poller) {
    epoll_ctl(poller, EPOLL_CTL_DEL, c->fd, NULL);
    SSL_free(c->tls);
    close(c->fd);
    c->fd = -1;
    c->busy = 0;
}

int main(int argc, char **argv) {
    if (argc != 6) {
        fprintf(stderr, "usage: open-loop PORT CONNECTIONS RATE SECONDS BODIES_FILE\n");
        return 2;
    }
    int port = atoi(argv[1]), count = atoi(argv[2]);
    double rate = atof(argv[3]), seconds = atof(argv[4]);
    if (count < 1 || count > 4096 || rate <= 0 || seconds <= 0) {
        fprintf(stderr, "open-loop: bad arguments\n");
        return 2;
    }

    /* The bodies, one per line. */
    FILE *file = fopen(argv[5], "r");
    if (file == NULL) fail(argv[5]);
    size_t body_count = 0, body_capacity = 1024;
    char **bodies = malloc(body_capacity * sizeof *bodies);
    char *line = NULL;
    size_t line_capacity = 0;
    ssize_t length;
    while ((length = getline(&line, &line_capacity, file)) > 0) {
        while (length > 0 && (line[length - 1] == '\n' || line[length - 1] == '\r')) line[--length] = '\0';
        if (length == 0) continue;
        if (body_count == body_capacity) bodies = realloc(bodies, (body_capacity *= 2) * sizeof *bodies);
        bodies[body_count++] = strdup(line);
    }
    fclose(file);
    free(line);
    if (body_count == 0) { fprintf(stderr, "open-loop: no bodies in %s\n", argv[5]); return 2; }

    SSL_CTX *context = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_verify(context, SSL_VERIFY_NONE, NULL);
    static const unsigned char alpn[] = "\x08http/1.1";
    SSL_CTX_set_alpn_protos(context, alpn, sizeof alpn - 1);

    int poller = epoll_create1(0);
    connection *connections = calloc((size_t)count, sizeof *connections);
    for (int index = 0; index < count; index++) open_connection(&connections[index], index, context, poller, port);

    size_t planned = (size_t)(rate * seconds);
    double *latencies = malloc(planned * sizeof *latencies);
    size_t completed = 0, sent = 0, errors = 0, statuses[6] = { 0 };
    char request[8192];
    double start = now_seconds(), deadline = start + seconds + 10;

    while (completed + errors < planned && now_seconds() < deadline) {
        double now = now_seconds();
        /* Every request that is due goes out on an idle connection; one that finds none waits,
           its latency counting from when it was due. */
        for (int index = 0; index < count && sent < planned && start + sent / rate <= now; index++) {
            connection *c = &connections[index];
            if (c->fd < 0) open_connection(c, index, context, poller, port);
            if (c->busy) continue;
            const char *body = bodies[sent % body_count];
            int size = snprintf(request, sizeof request,
                                "POST /check HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                                "Content-Length: %zu\r\n\r\n%s", strlen(body), body);
            if (size <= 0 || (size_t)size >= sizeof request || SSL_write(c->tls, request, size) != size) {
                errors++;
                sent++;
                continue;
            }
            c->busy = 1;
            c->due = start + sent / rate;
            c->filled = 0;
            sent++;
        }
        /* Sleep until the next request is due (to the microsecond: epoll_pwait2), or, when one is
           due already and no connection is idle, until an answer frees one; never spin. */
        double wait = 0.05;
        if (sent < planned) {
            double until_due = start + sent / rate - now_seconds();
            if (until_due > 0 && until_due < wait) wait = until_due;
            if (until_due <= 0)
                for (int index = 0; index < count; index++)
                    if (!connections[index].busy) { wait = 0; break; }
        }
        struct timespec timeout = { .tv_sec = 0, .tv_nsec = (long)(wait * 1e9) };
        struct epoll_event events[256];
        int ready = epoll_pwait2(poller, events, 256, &timeout, NULL);
        for (int event = 0; event < ready; event++) {
            connection *c = &connections[events[event].data.u32];
            for (;;) {
                int got = SSL_read(c->tls, c->buffer + c->filled, (int)(sizeof c->buffer - c->filled));
                if (got <= 0) {
                    int reason = SSL_get_error(c->tls, got);
                    if (reason == SSL_ERROR_WANT_READ || reason == SSL_ERROR_WANT_WRITE) break;
                    /* The server closed it (or it broke): its request counts as an error. */
                    if (c->busy) errors++;
                    close_connection(c, poller);
                    break;
                }
                c->filled += (size_t)got;
                int status = 0;
                size_t used = complete_answer(c, &status);
                if (used > 0 && c->busy) {
                    if (completed < planned) latencies[completed++] = now_seconds() - c->due;
                    statuses[status >= 100 && status < 600 ? status / 100 : 0]++;
                    c->busy = 0;
                    int closing = memmem(c->buffer, used, "\r\nConnection: close", 19) != NULL
                                  || memmem(c->buffer, used, "\r\nconnection: close", 19) != NULL;
                    memmove(c->buffer, c->buffer + used, c->filled - used);
                    c->filled -= used;
                    if (closing) {
                        close_connection(c, poller);
                        break;
                    }
                }
                if (c->filled == sizeof c->buffer) c->filled = 0;
            }
        }
    }
    double elapsed = now_seconds() - start;
    qsort(latencies, completed, sizeof *latencies, compare);
#define PERCENTILE(p) (completed ? latencies[(size_t)((p) * (completed - 1))] * 1000 : 0)
    printf("{\"rate\": %.0f, \"achieved\": %.1f, \"sent\": %zu, \"answered\": %zu, \"errors\": %zu, "
           "\"status_2xx\": %zu, \"status_4xx\": %zu, \"status_5xx\": %zu, "
           "\"p50_ms\": %.2f, \"p99_ms\": %.2f, \"p999_ms\": %.2f, \"max_ms\": %.2f}\n",
           rate, completed / elapsed, sent, completed, errors, statuses[2], statuses[4], statuses[5],
           PERCENTILE(0.50), PERCENTILE(0.99), PERCENTILE(0.999), completed ? latencies[completed - 1] * 1000 : 0);
    return 0;
}
