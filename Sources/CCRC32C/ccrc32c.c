#include "ccrc32c.h"
#include <string.h>

static uint32_t table[256];

__attribute__((constructor)) static void make_table(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
        table[i] = c;
    }
}

static uint32_t crc_table(uint32_t crc, const uint8_t *p, size_t n) {
    while (n--) crc = (crc >> 8) ^ table[(crc ^ *p++) & 0xFF];
    return crc;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2")))
static uint32_t crc_hw(uint32_t crc, const uint8_t *p, size_t n) {
    uint64_t c = crc;
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        c = __builtin_ia32_crc32di(c, w);
        p += 8;
        n -= 8;
    }
    uint32_t c32 = (uint32_t)c;
    while (n--) c32 = __builtin_ia32_crc32qi(c32, *p++);
    return c32;
}

uint32_t ccrc32c(uint32_t crc, const void *data, size_t n) {
    uint32_t c = ~crc;
    c = __builtin_cpu_supports("sse4.2") ? crc_hw(c, data, n) : crc_table(c, data, n);
    return ~c;
}
#else
uint32_t ccrc32c(uint32_t crc, const void *data, size_t n) {
    return ~crc_table(~crc, data, n);
}
#endif
