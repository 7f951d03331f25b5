/*
 * license-client.h: the license server's client library for C and every language that loads
 * a C library (SPEC §6-8). It checks a start over HTTPS, verifies the server's signed answer,
 * keeps the answer cache, fails closed when asked to, and runs heartbeats while the program
 * runs. The Swift runtime is linked into liblicense-client.so: a program needs nothing else.
 *
 *     license_client *client;
 *     if (license_client_create("server=https://licenses.example.com\n"
 *                               "key-file=/etc/x-meta-x/license.txt\n"
 *                               "revision=7.1\ndomain=localhost\n", &client) != LICENSE_OK) {
 *         fprintf(stderr, "license: %s\n", license_last_error());
 *         return 2;
 *     }
 *     license_result *result;
 *     if (license_check(client, &result) == LICENSE_OK && !license_result_allows_running(result))
 *         ... refuse, telling the user license_result_text(result) ...
 *
 * Rules of the ABI:
 * - Every call that can fail returns a license_status; on anything but LICENSE_OK its out
 *   pointer is set to NULL and license_last_error() says what went wrong, in English, for the
 *   calling thread, until that thread's next call into the library.
 * - Strings in are NUL-terminated UTF-8; strings out belong to the object they came from and
 *   live as long as it does. Objects are freed by their own _free function (NULL is allowed).
 * - A client may be used from several threads at once.
 * - Values are only ever added to the enums, never renumbered.
 */
#ifndef LICENSE_CLIENT_H
#define LICENSE_CLIENT_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What a call came to. */
typedef enum license_status {
    LICENSE_OK = 0,
    /* A NULL pointer, text that is not UTF-8, a settings line that is unknown, repeated or
       out of form, or a required setting missing. */
    LICENSE_ERROR_ARGUMENT = 1,
    /* Settings the library cannot use: a key file that cannot be read, a server URL, a field
       of the startup code, an answer key that does not load. */
    LICENSE_ERROR_CONFIGURATION = 2,
    /* The user ID file cannot be read or written. */
    LICENSE_ERROR_USER_ID_FILE = 3,
    /* The server's certificate did not verify, or the CA file cannot be loaded. */
    LICENSE_ERROR_TLS = 4,
    /* The server answered 400: the message names what is wrong with the startup code. */
    LICENSE_ERROR_REJECTED = 5,
    /* An answer the library does not understand (another status, another body). */
    LICENSE_ERROR_UNEXPECTED_ANSWER = 6,
    /* The server cannot be reached, for a request that is not a startup check (a release is
       never an error: it is skipped). */
    LICENSE_ERROR_UNAVAILABLE = 7
} license_status;

/* What a check decided (license_result_verdict). */
typedef enum license_verdict {
    LICENSE_VALID = 0,         /* the license allows this start */
    LICENSE_VALID_OFFLINE = 1, /* no server, but the kept signed answer holds (answer-cache) */
    LICENSE_SKIPPED = 2,       /* no server: run, and check at the next start (SPEC §6) */
    LICENSE_INVALID = 3,       /* refused; license_result_reason says why */
    LICENSE_FORGED = 4,        /* an answer the answer key does not vouch for: do not run */
    LICENSE_OFFLINE = 5,       /* no server and no kept answer, with fail-closed: do not run */
    LICENSE_CLOCK = 6,         /* this computer's clock is behind a time the server signed: do not run */
    LICENSE_RELEASED = 7       /* license_release: the seat is ended (or was not there) */
} license_verdict;

typedef struct license_client license_client;
typedef struct license_result license_result;
typedef struct license_session license_session;

/*
 * Makes a client from settings, one "name=value" per line (blank lines and lines starting with
 * '#' are ignored):
 *   server=https://HOST[:PORT][/PATH]   required
 *   key-file=FILE or key=KEY LINE       required, one of them
 *   revision=R, domain=D                required
 *   system=S, options=A,B, product=P, rights=N
 *   user-id-file=FILE                   default $XDG_CONFIG_HOME/license-client/user-id
 *   cacert=FILE                         PEM certificates to trust instead of the system's
 *   timeout=SECONDS                     the longest a check may take, 1 to 600 (default 5)
 *   answer-key=FILE.pem                 verify signed answers (SPEC §7)
 *   answer-cache=FILE                   keep the last verified valid answer (needs answer-key)
 *   fail-closed=yes|no                  no server and no kept answer: LICENSE_OFFLINE
 */
license_status license_client_create(const char *settings, license_client **client);
void license_client_free(license_client *client);

/* One startup check (SPEC §3): *result tells the verdict. */
license_status license_check(license_client *client, license_result **result);
/* Ends this client's seat (credits its rights): LICENSE_RELEASED, LICENSE_INVALID (the key
   itself is refused) or LICENSE_SKIPPED. */
license_status license_release(license_client *client, license_result **result);

/* Called on the heartbeat thread, at most once, when a heartbeat finds that the license no
   longer holds (revoked, expired, a forged answer, offline past the last signed until): the
   program should stop. `result` lives until the callback returns. */
typedef void (*license_invalid_callback)(const license_result *result, void *context);

/*
 * A running program's seat (SPEC §8): checks under a new instance ID and, when the start may
 * run, sends heartbeats at the interval the server gives while the session is open. *result is
 * the start's check; *session is set even when the start may not run (close it all the same).
 */
license_status license_session_start(license_client *client, license_invalid_callback on_invalid, void *context,
                                     license_session **session, license_result **result);
/* Stops the heartbeats, releases the seat and frees the session. */
void license_session_close(license_session *session);

/* The verdict; whether the program may run on it (valid, valid offline or skipped). A NULL
   result is LICENSE_INVALID and may not run; its strings are NULL. */
license_verdict license_result_verdict(const license_result *result);
int license_result_allows_running(const license_result *result);
/* The reason token of an invalid verdict ("users", "expired", "forged-answer", "offline",
   "clock", ...), else NULL. */
const char *license_result_reason(const license_result *result);
/* The line licensectl prints: "valid", "invalid users", "valid (offline until 2026-12-11T22:22:17Z)". */
const char *license_result_text(const license_result *result);
/* Why, when the text alone does not say it (a skipped or forged answer), else NULL. */
const char *license_result_explanation(const license_result *result);
void license_result_free(license_result *result);

/* What went wrong in this thread's last failing call; "" when nothing has. */
const char *license_last_error(void);
/* The library's version, "MAJOR.MINOR.PATCH". */
const char *license_library_version(void);

#ifdef __cplusplus
}
#endif

#endif
