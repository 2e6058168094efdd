#ifndef CLMDB_SHIM_H
#define CLMDB_SHIM_H
#include <lmdb.h>
#include <stdint.h>
#include <string.h>

/// The byte order of LMDB's default key comparison (`memcmp` over the shorter length, then the shorter key
/// first), eight bytes at a time and without the two calls of the default (`mdb_cmp_memn`, then `memcmp`
/// through the PLT). The order is identical, so files stay readable by any LMDB tool.
static inline int clmdb_compare_bytes(const MDB_val *a, const MDB_val *b) {
    const unsigned char *p = (const unsigned char *)a->mv_data;
    const unsigned char *q = (const unsigned char *)b->mv_data;
    size_t n = a->mv_size < b->mv_size ? a->mv_size : b->mv_size;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t x, y;
        memcpy(&x, p + i, 8);
        memcpy(&y, q + i, 8);
        if (x != y) {
            x = __builtin_bswap64(x);
            y = __builtin_bswap64(y);
            return x < y ? -1 : 1;
        }
    }
    for (; i < n; i++) {
        if (p[i] != q[i]) return p[i] < q[i] ? -1 : 1;
    }
    return a->mv_size < b->mv_size ? -1 : (a->mv_size > b->mv_size ? 1 : 0);
}

/// ``clmdb_compare_bytes`` as a function pointer, for `mdb_set_compare`.
static inline MDB_cmp_func *clmdb_byte_order(void) { return clmdb_compare_bytes; }
#endif
