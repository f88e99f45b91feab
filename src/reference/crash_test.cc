// Crash safety of the reference store: a child process (this test binary, re-executed)
// loops on Set and acknowledges each committed version through a pipe; the parent kills it
// with SIGKILL at random moments. Afterwards Verify passes and every acknowledged change
// is in the store. SYSTORE_CRASH_KILLS sets the number of kills (default 30).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "core/test_util_internal.h"

#include <cstdlib>
#include <map>
#include <random>

#include "reference/reference_test_util.h"

namespace systore {
namespace {

constexpr const char* kChildEnv = "SYSTORE_REF_CRASH_CHILD";  // "<root>:<fd>"

struct Ack {
  int64_t version;
  int64_t value;
};

// Runs before main() in the re-executed child: set forever, acknowledging each version.
[[maybe_unused]] const bool kChildRan = [] {
  const char* spec = std::getenv(kChildEnv);
  if (!spec) return false;
  std::string s(spec);
  std::string root = s.substr(0, s.rfind(':'));
  int fd = std::atoi(s.substr(s.rfind(':') + 1).c_str());
  ReferenceStoreOptions o;
  o.root = root;
  auto opened = ReferenceStore::Open(o);
  if (!opened.ok()) std::_Exit(2);
  auto store = std::move(opened).MoveValueUnsafe();
  int64_t next = store->Current()->version() * 1000;
  for (int64_t i = next;; ++i) {
    // Alternate between two tables so the kill also lands between different files.
    std::string key = "K" + std::to_string(i % 7);
    auto v = i % 2 ? store->Set("spread_costs", key, {{"SpreadCost", std::to_string(i)}}, {"child", "crash test"})
                   : store->Set("config", key, {{"Value", std::to_string(i)}}, {"child", "crash test"});
    if (!v.ok()) std::_Exit(3);
    Ack ack{*v, i};
    if (::write(fd, &ack, sizeof ack) != sizeof ack) std::_Exit(4);
  }
}();

TEST(ReferenceCrashTest, AcknowledgedChangesSurviveSigkill) {
  reference_test::TempDir dir;
  int kills = 30;
  if (const char* k = std::getenv("SYSTORE_CRASH_KILLS")) kills = std::atoi(k);
  std::mt19937 rng(4242);
  std::map<int64_t, int64_t> acked;  // version -> value
  for (int round = 0; round < kills; ++round) {
    std::uniform_int_distribution<int> delay_ms(5, 60);
    auto acks = testing::KillChildMidWrite(
        [&](int fd) {
          return std::vector<std::pair<std::string, std::string>>{{kChildEnv, dir.path() + ":" + std::to_string(fd)},
                                                                  {"ARROW_DEFAULT_MEMORY_POOL", "system"}};
        },
        0, delay_ms(rng) * 1000 + (round == 0 ? 300000 : 0));
    ASSERT_TRUE(acks.ok()) << "round " << round << ": " << acks.status().ToString();
    for (const Ack& ack : testing::DecodeAcks<Ack>(*acks)) acked[ack.version] = ack.value;
  }
  ASSERT_GT(acked.size(), 0u);

  auto store = reference_test::OpenStore(dir.path());
  auto report = store->Verify();
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok) << report->problems[0];
  EXPECT_GE(store->Current()->version(), acked.rbegin()->first);
  // Each acknowledged version holds its value.
  for (const auto& [version, value] : acked) {
    auto snap = store->AsOfVersion(version);
    ASSERT_TRUE(snap.ok()) << snap.status().ToString();
    std::string key = "K" + std::to_string(value % 7);
    const ReferenceTable* t = (*snap)->table(value % 2 ? "spread_costs" : "config");
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(*t->Get(key, value % 2 ? "SpreadCost" : "Value"), std::to_string(value)) << "version " << version;
  }
}

}  // namespace
}  // namespace systore
