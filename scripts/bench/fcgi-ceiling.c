/* The plumbing ceiling of make bench: the least a libfcgi program can do behind the same nginx,
 * FastCGI socket and worker count as license-server. Each thread accepts a request, reads its
 * body and answers one fixed line. Not part of the product. */
#include <fcgiapp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static int listening;

static void *serve(void *unused) {
    (void)unused;
    FCGX_Request request;
    char body[16384];
    FCGX_InitRequest(&request, listening, 0);
    while (FCGX_Accept_r(&request) == 0) {
        while (FCGX_GetStr(body, sizeof body, request.in) > 0) {}
        FCGX_FPrintF(request.out, "Status: 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 6\r\n\r\nvalid\n");
        FCGX_Finish_r(&request);
    }
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: fcgi-ceiling SOCKET THREADS\n");
        return 2;
    }
    int threads = atoi(argv[2]);
    FCGX_Init();
    unlink(argv[1]);
    listening = FCGX_OpenSocket(argv[1], 128);
    if (listening < 0) {
        perror("FCGX_OpenSocket");
        return 1;
    }
    chmod(argv[1], 0666);
    pthread_t thread;
    for (int index = 1; index < threads; index++) pthread_create(&thread, NULL, serve, NULL);
    serve(NULL);
    return 0;
}
