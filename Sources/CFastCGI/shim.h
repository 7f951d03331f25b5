#ifndef LICENSE_SERVER_CFASTCGI_SHIM_H
#define LICENSE_SERVER_CFASTCGI_SHIM_H

#include <fcgiapp.h>

#endif
