/*
 * The C library's test program (Tests/ServiceTests/CLibraryTests.swift builds it against the
 * packaged header and library, under AddressSanitizer).
 *
 *   license-check SETTINGS check          one check: prints the result, exit 0 when it may run
 *   license-check SETTINGS release        ends the seat
 *   license-check SETTINGS threads N      N threads checking at once on one client; prints
 *                                         "threads: N, M may run"; exit 0 when all may
 *   license-check SETTINGS session N      a session for N seconds with heartbeats; prints
 *                                         "stopped: TEXT" if a heartbeat found the license gone
 *   license-check SETTINGS abuse CASE     bad input at the ABI (null-pointers, not-utf8,
 *                                         missing-key-file, garbage-server): prints "ok CASE"
 *                                         when every call answered with the expected status
 *
 * SETTINGS is a file of license_client_create's settings. Exit 2: the client could not be made
 * or a call failed (the status and license_last_error() printed).
 */
#include <license-client.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char *read_file(const char *path) {
    FILE *file = fopen(path, "rb");
    if (file == NULL) { perror(path); exit(2); }
    static char text[65536];
    size_t length = fread(text, 1, sizeof text - 1, file);
    fclose(file);
    text[length] = '\0';
    return text;
}

static void print_result(const char *what, const license_result *result) {
    const char *reason = license_result_reason(result);
    const char *explanation = license_result_explanation(result);
    printf("%s: %s\n", what, license_result_text(result));
    printf("verdict=%d allows=%d reason=%s\n", (int)license_result_verdict(result), license_result_allows_running(result),
           reason ? reason : "(none)");
    if (explanation != NULL) printf("explanation: %s\n", explanation);
}

static int failed(const char *call, license_status status) {
    printf("error %d in %s: %s\n", (int)status, call, license_last_error());
    return 2;
}

static volatile int stopped = 0;

static void on_invalid(const license_result *result, void *context) {
    printf("stopped: %s (context %s)\n", license_result_text(result), (const char *)context);
    fflush(stdout);
    stopped = 1;
}

static void *check_in_thread(void *client) {
    license_result *result;
    if (license_check(client, &result) != LICENSE_OK) {
        printf("error in a thread: %s\n", license_last_error());
        return (void *)0;
    }
    intptr_t allowed = license_result_allows_running(result);
    license_result_free(result);
    return (void *)allowed;
}

static int problems = 0;

static void expect(int condition, const char *what) {
    if (!condition) {
        printf("FAILED: %s (last error: %s)\n", what, license_last_error());
        problems++;
    }
}

static int abuse(const char *name, const char *settings) {
    license_client *client = (license_client *)0x1;
    license_result *result = (license_result *)0x1;
    license_session *session = (license_session *)0x1;
    if (strcmp(name, "null-pointers") == 0) {
        expect(license_client_create(NULL, &client) == LICENSE_ERROR_ARGUMENT && client == NULL, "create(NULL settings)");
        expect(strstr(license_last_error(), "settings is NULL") != NULL, "the message names the NULL");
        expect(license_client_create(settings, NULL) == LICENSE_ERROR_ARGUMENT, "create(NULL out)");
        expect(license_check(NULL, &result) == LICENSE_ERROR_ARGUMENT && result == NULL, "check(NULL client)");
        expect(license_release(NULL, &result) == LICENSE_ERROR_ARGUMENT && result == NULL, "release(NULL client)");
        expect(license_session_start(NULL, NULL, NULL, &session, &result) == LICENSE_ERROR_ARGUMENT && session == NULL,
               "session_start(NULL client)");
        expect(license_client_create(settings, &client) == LICENSE_OK && client != NULL, "create");
        expect(license_check(client, NULL) == LICENSE_ERROR_ARGUMENT, "check(NULL out)");
        expect(license_release(client, NULL) == LICENSE_ERROR_ARGUMENT, "release(NULL out)");
        expect(license_session_start(client, NULL, NULL, NULL, NULL) == LICENSE_ERROR_ARGUMENT, "session_start(NULL outs)");
        expect(license_result_verdict(NULL) == LICENSE_INVALID, "verdict(NULL)");
        expect(license_result_allows_running(NULL) == 0, "allows_running(NULL)");
        expect(license_result_text(NULL) == NULL && license_result_reason(NULL) == NULL
               && license_result_explanation(NULL) == NULL, "strings of NULL");
        license_result_free(NULL);
        license_session_close(NULL);
        license_client_free(NULL);
        license_client_free(client);
        expect(strcmp(license_library_version(), "") != 0, "a version");
    } else if (strcmp(name, "not-utf8") == 0) {
        expect(license_client_create("server=https://licenses.example.com\nrevision=7.1\xff\xfe\n", &client)
               == LICENSE_ERROR_ARGUMENT && client == NULL, "settings that are not UTF-8");
        expect(strstr(license_last_error(), "not UTF-8") != NULL, "the message says not UTF-8");
        expect(license_client_create("colour=blue\n", &client) == LICENSE_ERROR_ARGUMENT, "an unknown setting");
        expect(strstr(license_last_error(), "colour") != NULL, "the message names it");
        expect(license_client_create("server=https://x.example\nserver=https://y.example\n", &client) == LICENSE_ERROR_ARGUMENT,
               "a setting twice");
        expect(license_client_create("", &client) == LICENSE_ERROR_ARGUMENT, "no settings");
        expect(strstr(license_last_error(), "server is missing") != NULL, "the message names the missing setting");
        char long_settings[200000];
        memset(long_settings, 'a', sizeof long_settings - 1);
        long_settings[sizeof long_settings - 1] = '\0';
        expect(license_client_create(long_settings, &client) == LICENSE_ERROR_ARGUMENT, "a line without =");
    } else if (strcmp(name, "missing-key-file") == 0) {
        expect(license_client_create(settings, &client) == LICENSE_ERROR_CONFIGURATION && client == NULL, "a key file that does not exist");
        expect(strlen(license_last_error()) > 0, "a message");
        printf("message: %s\n", license_last_error());
    } else if (strcmp(name, "garbage-server") == 0) {
        expect(license_client_create(settings, &client) == LICENSE_OK, "create");
        license_status status = license_check(client, &result);
        expect(status == LICENSE_ERROR_UNEXPECTED_ANSWER && result == NULL, "a server that answers garbage");
        printf("message: %s\n", license_last_error());
        license_client_free(client);
    } else {
        printf("unknown case %s\n", name);
        return 2;
    }
    if (problems == 0) printf("ok %s\n", name);
    return problems == 0 ? 0 : 1;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s SETTINGS check|release|session SECONDS|abuse CASE\n", argv[0]);
        return 2;
    }
    const char *settings = read_file(argv[1]);
    if (strcmp(argv[2], "abuse") == 0 && argc == 4) return abuse(argv[3], settings);

    license_client *client;
    license_status status = license_client_create(settings, &client);
    if (status != LICENSE_OK) return failed("license_client_create", status);
    license_result *result;
    int exit_status = 0;
    if (strcmp(argv[2], "check") == 0) {
        status = license_check(client, &result);
        if (status != LICENSE_OK) return failed("license_check", status);
        print_result("check", result);
        exit_status = license_result_allows_running(result) ? 0 : 1;
        license_result_free(result);
    } else if (strcmp(argv[2], "release") == 0) {
        status = license_release(client, &result);
        if (status != LICENSE_OK) return failed("license_release", status);
        print_result("release", result);
        license_result_free(result);
    } else if (strcmp(argv[2], "threads") == 0 && argc == 4) {
        int count = atoi(argv[3]), allowed = 0;
        pthread_t threads[64];
        if (count < 1 || count > 64) return 2;
        for (int index = 0; index < count; index++) pthread_create(&threads[index], NULL, check_in_thread, client);
        for (int index = 0; index < count; index++) {
            void *outcome;
            pthread_join(threads[index], &outcome);
            allowed += outcome != NULL;
        }
        printf("threads: %d, %d may run\n", count, allowed);
        exit_status = allowed == count ? 0 : 1;
    } else if (strcmp(argv[2], "session") == 0 && argc == 4) {
        license_session *session;
        status = license_session_start(client, on_invalid, "from-c", &session, &result);
        if (status != LICENSE_OK) return failed("license_session_start", status);
        print_result("start", result);
        fflush(stdout);
        exit_status = license_result_allows_running(result) ? 0 : 1;
        license_result_free(result);
        for (int second = 0; second < atoi(argv[3]) && !stopped; second++) sleep(1);
        license_session_close(session);
        printf("closed\n");
    } else {
        fprintf(stderr, "unknown command %s\n", argv[2]);
        return 2;
    }
    license_client_free(client);
    return exit_status;
}
