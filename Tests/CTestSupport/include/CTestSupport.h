// What the tests need of the kernel that Swift cannot call (variadic syscall()).
#ifndef C_TEST_SUPPORT_H
#define C_TEST_SUPPORT_H

#include <sys/types.h>

/// Shuts down (SHUT_RDWR) the socket that process `pid` holds as descriptor `descriptor`, by
/// duplicating it (pidfd_getfd) as a test that plays "the listening socket broke" does.
/// Returns 0, or -errno.
int test_support_shutdown_socket_of(pid_t pid, int descriptor);

#endif
