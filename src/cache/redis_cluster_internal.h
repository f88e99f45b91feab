// Redis Cluster routing pieces shared by redis_cluster.cc and its tests.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace systore::cache_internal {

/// Number of hash slots of a Redis Cluster.
inline constexpr int kClusterSlots = 16384;

/// CRC16/XMODEM (poly 0x1021, init 0), the checksum Redis Cluster hashes keys with.
uint16_t Crc16(std::string_view data);

/// The hash slot of a key: CRC16 of the key, or of its hash tag (the text between the
/// first '{' and the next '}', when not empty), modulo 16384.
int KeySlot(std::string_view key);

/// A -MOVED or -ASK error reply: "MOVED 3999 127.0.0.1:6381".
struct ClusterRedirect {
  bool ask = false;  // ASK (one-off, send ASKING first) rather than MOVED (slot moved)
  int slot = 0;
  std::string address;  // host:port
};
/// nullopt when the error is not a redirect.
std::optional<ClusterRedirect> ParseRedirect(std::string_view error);

}  // namespace systore::cache_internal
