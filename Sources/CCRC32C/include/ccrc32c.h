#ifndef CCRC32C_H
#define CCRC32C_H
#include <stddef.h>
#include <stdint.h>

/// CRC-32C (Castagnoli) of `n` bytes, continuing from `crc` (0 to start). Uses the CPU's CRC32
/// instruction when it has one (x86-64 SSE4.2, ARMv8 CRC), else a table.
uint32_t ccrc32c(uint32_t crc, const void *data, size_t n);

/// The same CRC-32C computed with a table, one byte at a time, whatever the CPU (the reference that
/// tests hold `ccrc32c` to).
uint32_t ccrc32c_portable(uint32_t crc, const void *data, size_t n);

#endif
