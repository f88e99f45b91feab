// Write-ahead log record format (docs/formats/wal.md).
//
// A dataset's log is a sequence of segment files `_wal/<first-seq 20 digits>.wal`,
// preallocated (zero-filled) so that an fdatasync does not also journal a size change.
// Each segment is a sequence of records:
//
//   +----------+----------+----------+-----------------------------+
//   | crc32c   | length   | seq      | payload (length bytes)      |
//   | 4 bytes  | 4 bytes  | 8 bytes  |                             |
//   +----------+----------+----------+-----------------------------+
//   crc32c covers length, seq and payload (little-endian integers), masked as in LevelDB
//   so that a run of zero bytes never checksums to zero. length == 0 marks the end of the
//   written part of a preallocated segment.
//
//   payload: u32 key length | key bytes | Arrow IPC stream (schema + one record batch)
//
// A record whose header or payload runs past the end of the file, or whose checksum does
// not match, ends the log: it and everything after it were never acknowledged (an append
// returns only after its record is fsynced), so recovery cuts there and reports it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace systore {

inline constexpr size_t kWalHeaderSize = 16;
inline constexpr uint32_t kWalMaxRecordBytes = 256u << 20;  // refuse absurd lengths when reading
static_assert(kWalHeaderSize == 4 + 4 + 8, "crc + length + seq");

/// CRC-32C (Castagnoli) of `data`, continuing from `crc`.
uint32_t Crc32c(std::string_view data, uint32_t crc = 0);
/// LevelDB's mask: a checksum of data that itself contains checksums stays robust.
inline uint32_t MaskCrc(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + 0xa282ead8u; }

}  // namespace systore
