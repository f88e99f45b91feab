// Crash safety of the SQLite backend: SIGKILL a process applying fills, many times.
#include <gtest/gtest.h>

#include "operational/conformance_internal.h"
#include "operational/crash_harness_internal.h"

namespace systore::testing {
namespace {

TEST(OperationalCrashTest, AcknowledgedFillsSurviveSigkillAndPositionsMatchFills) {
  TempDir dir("systore-ops-");
  RunFillCrashTest("sqlite://" + dir.path() + "/ops.sqlite", 50);
}

}  // namespace
}  // namespace systore::testing
