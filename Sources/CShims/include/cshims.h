#ifndef CSHIMS_H
#define CSHIMS_H
#include "ccurl_shim.h"
#include "ccrypto_shim.h"
#include "foreign_thread.h"
#include "process_shim.h"
#endif
