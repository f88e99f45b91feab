// Where a backup repository keeps its objects: a local directory or S3-compatible object
// storage (Arrow's S3 filesystem). Keys are '/'-separated paths under the repository.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "systore/result.h"

namespace systore::backup {

struct StoredObject {
  std::string key;
  int64_t size = 0;
  int64_t mtime_ns = 0;  // when it was written (0: unknown)
};

class RepositoryStorage {
 public:
  /// "/dir", "file:///dir" or "s3://bucket/prefix[?endpoint_override=host:port&scheme=http]".
  static Result<std::unique_ptr<RepositoryStorage>> Open(const std::string& uri);
  virtual ~RepositoryStorage() = default;

  /// NotFound when absent.
  virtual Result<std::string> Read(const std::string& key) = 0;
  /// All or nothing: a reader never sees a partial object (local: temp file, fsync,
  /// rename; S3: an object appears only when its upload completes).
  virtual Status Write(const std::string& key, std::string_view data) = 0;
  virtual Result<bool> Exists(const std::string& key) = 0;
  /// Every object under `prefix` (a directory-like key), recursively.
  virtual Result<std::vector<StoredObject>> List(const std::string& prefix) = 0;
  virtual Status Delete(const std::string& key) = 0;
  /// For messages: the full location of a key.
  virtual std::string Describe(const std::string& key) const = 0;
};

}  // namespace systore::backup
