#ifndef LICENSE_SERVER_CLIBPQ_SHIM_H
#define LICENSE_SERVER_CLIBPQ_SHIM_H

#include <libpq-fe.h>

#endif
