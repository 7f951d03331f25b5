#ifndef LICENSE_SERVER_CLIBPQ_SHIM_H
#define LICENSE_SERVER_CLIBPQ_SHIM_H

#include <libpq-fe.h>

/* PG_DIAG_SQLSTATE is a character-literal macro, which Swift does not import. */
static const int CLibPQ_DIAG_SQLSTATE = PG_DIAG_SQLSTATE;

#endif
