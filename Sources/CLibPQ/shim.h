#ifndef JESTRY_CLIBPQ_SHIM_H
#define JESTRY_CLIBPQ_SHIM_H
#include <libpq-fe.h>
#endif
