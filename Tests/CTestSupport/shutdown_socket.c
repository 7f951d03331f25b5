#define _GNU_SOURCE
#include "CTestSupport.h"

#include <errno.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

int test_support_shutdown_socket_of(pid_t pid, int descriptor) {
    int process = (int)syscall(SYS_pidfd_open, pid, 0);
    if (process < 0) return -errno;
    int copy = (int)syscall(SYS_pidfd_getfd, process, descriptor, 0);
    int saved = errno;
    close(process);
    if (copy < 0) return -saved;
    int result = shutdown(copy, SHUT_RDWR);
    saved = errno;
    close(copy);
    return result == 0 ? 0 : -saved;
}
