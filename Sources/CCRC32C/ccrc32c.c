#include "ccrc32c.h"
#include <string.h>

#define POLY 0x82F63B78u

static uint32_t table[256];

/* Interleaved hardware CRC: three lanes of LONG (or SHORT) bytes each are computed at once (the CRC32
   instruction has a latency of 3 cycles and a throughput of 1), then combined by "shifting" a lane's CRC
   over the bytes that follow it: the CRC register after n zero bytes is a linear function of the
   register, applied with four 256-entry tables per length. */
#define LONG 1024
#define SHORT 128
static uint32_t shift_long[4][256];
static uint32_t shift_short[4][256];

/* The raw register after `n` zero bytes, starting from `crc` (bitwise; only used to build tables). */
static uint32_t zeros_bitwise(uint32_t crc, size_t n) {
    while (n--) {
        for (int k = 0; k < 8; k++) crc = (crc & 1) ? (crc >> 1) ^ POLY : crc >> 1;
    }
    return crc;
}

static void make_shift_table(uint32_t shift[4][256], size_t n) {
    uint32_t basis[32];
    for (int j = 0; j < 32; j++) basis[j] = zeros_bitwise(1u << j, n);
    for (int k = 0; k < 4; k++) {
        for (uint32_t b = 0; b < 256; b++) {
            uint32_t v = 0;
            for (int i = 0; i < 8; i++) {
                if (b & (1u << i)) v ^= basis[8 * k + i];
            }
            shift[k][b] = v;
        }
    }
}

__attribute__((constructor)) static void make_tables(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = (c & 1) ? (c >> 1) ^ POLY : c >> 1;
        table[i] = c;
    }
    make_shift_table(shift_long, LONG);
    make_shift_table(shift_short, SHORT);
}

static inline uint32_t shift_by(uint32_t shift[4][256], uint32_t crc) {
    return shift[0][crc & 0xFF] ^ shift[1][(crc >> 8) & 0xFF] ^ shift[2][(crc >> 16) & 0xFF] ^ shift[3][crc >> 24];
}

static uint32_t crc_table(uint32_t crc, const uint8_t *p, size_t n) {
    while (n--) crc = (crc >> 8) ^ table[(crc ^ *p++) & 0xFF];
    return crc;
}

uint32_t ccrc32c_portable(uint32_t crc, const void *data, size_t n) {
    return ~crc_table(~crc, data, n);
}

#if defined(__x86_64__)
__attribute__((target("sse4.2")))
static inline uint64_t word_crc(uint64_t c, const uint8_t *p) {
    uint64_t w;
    memcpy(&w, p, 8);
    return __builtin_ia32_crc32di(c, w);
}

/* Three lanes of `lane` bytes from `p`: the register after all 3 * lane bytes, starting from `crc`. */
__attribute__((target("sse4.2")))
static inline uint32_t crc_hw_lanes(uint32_t crc, const uint8_t *p, size_t lane, uint32_t shift[4][256]) {
    uint64_t c0 = crc, c1 = 0, c2 = 0;
    const uint8_t *end = p + lane;
    while (p < end) {
        c0 = word_crc(c0, p);
        c1 = word_crc(c1, p + lane);
        c2 = word_crc(c2, p + 2 * lane);
        p += 8;
    }
    uint32_t c = shift_by(shift, (uint32_t)c0) ^ (uint32_t)c1;
    return shift_by(shift, c) ^ (uint32_t)c2;
}

__attribute__((target("sse4.2")))
static uint32_t crc_hw(uint32_t crc, const uint8_t *p, size_t n) {
    while (n >= 3 * LONG) {
        crc = crc_hw_lanes(crc, p, LONG, shift_long);
        p += 3 * LONG;
        n -= 3 * LONG;
    }
    while (n >= 3 * SHORT) {
        crc = crc_hw_lanes(crc, p, SHORT, shift_short);
        p += 3 * SHORT;
        n -= 3 * SHORT;
    }
    uint64_t c = crc;
    while (n >= 8) {
        c = word_crc(c, p);
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
