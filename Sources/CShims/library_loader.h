#ifndef CSHIMS_LIBRARY_LOADER_H
#define CSHIMS_LIBRARY_LOADER_H
#include <stddef.h>

/* One symbol to resolve: its name and where to store its address. */
typedef struct shim_symbol {
    const char *name;
    void **slot;
} shim_symbol;

/* Opens the first loadable library of the NULL-terminated `names` (lazy binding, local scope)
   and resolves every symbol. Returns the handle, or NULL after writing the reason to `error`:
   "cannot load <what> (install <package>): …" or "<what> lacks <symbol>". */
void *shim_open(const char *what, const char *package, const char *const *names,
                const shim_symbol *symbols, size_t count, char *error, size_t error_len);

#endif
