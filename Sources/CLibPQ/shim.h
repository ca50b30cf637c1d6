#ifndef CHOKEPOINT_CLIBPQ_SHIM_H
#define CHOKEPOINT_CLIBPQ_SHIM_H
#include <libpq-fe.h>
#include <poll.h>
#endif
