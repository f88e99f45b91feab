// Helpers for the reference store tests.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "core/file_util.h"
#include "core/test_util_internal.h"
#include "systore/reference_store.h"

namespace systore::reference_test {

/// Temp directories named for the reference tests.
class TempDir : public systore::testing::TempDir {
 public:
  TempDir() : systore::testing::TempDir("systore-ref-test-") {}
};

inline void WriteText(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

inline std::string ReadText(const std::string& path) {
  auto r = ReadFileToString(path);
  return r.ok() ? *r : std::string();
}

inline std::unique_ptr<ReferenceStore> OpenStore(const std::string& root, Timestamp refresh_interval = 0) {
  ReferenceStoreOptions o;
  o.root = root;
  o.refresh_interval = refresh_interval;
  return std::move(ReferenceStore::Open(o)).MoveValueUnsafe();
}

/// The csvconfig folder of the shared pysystemtrade data, or "" when absent.
inline std::string CsvConfigDir() {
  const char* src = std::getenv("SYSTORE_SOURCE_DIR");
  std::string dir = std::string(src ? src : ".") + "/../shared/data/csvconfig";
  return std::filesystem::exists(dir + "/instrumentconfig.csv") ? dir : "";
}

}  // namespace systore::reference_test
