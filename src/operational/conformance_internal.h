// The operational-store conformance suite: one set of TEST_Ps (conformance_test.cc,
// order_model_test.cc) that each backend's test binary instantiates with a factory of
// fresh, empty stores.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "core/test_util_internal.h"  // TempDir

#include "systore/operational_store.h"

namespace systore::testing {

/// An empty store location (a temp file, a PostgreSQL schema), removed on destruction.
class BackendInstance {
 public:
  virtual ~BackendInstance() = default;
  /// The URI to pass to OperationalStore::Open; may be opened many times.
  virtual std::string uri() const = 0;
};

struct ConformanceBackend {
  std::string name;
  std::function<std::unique_ptr<BackendInstance>()> make;
  /// Optional: why the backend cannot run here ("" when it can); the tests skip then.
  std::function<std::string()> unavailable;
};

inline std::string PrintToString(const ConformanceBackend& b) { return b.name; }

class OperationalConformance : public ::testing::TestWithParam<ConformanceBackend> {
 protected:
  void SetUp() override {
    if (GetParam().unavailable) {
      const std::string why = GetParam().unavailable();
      if (!why.empty()) GTEST_SKIP() << why;
    }
    instance_ = GetParam().make();
    ASSERT_NE(instance_, nullptr);
    store_ = OpenStore();
    ASSERT_NE(store_, nullptr);
  }
  void TearDown() override {
    store_.reset();
    instance_.reset();
  }
  std::unique_ptr<OperationalStore> OpenStore(std::string actor = "tester") {
    OperationalStoreOptions o;
    o.uri = instance_->uri();
    o.actor = std::move(actor);
    auto r = OperationalStore::Open(o);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok()) return nullptr;
    return std::move(r).MoveValueUnsafe();
  }

  std::unique_ptr<BackendInstance> instance_;
  std::unique_ptr<OperationalStore> store_;
};

inline std::string BackendName(const ::testing::TestParamInfo<ConformanceBackend>& info) { return info.param.name; }

}  // namespace systore::testing
