// The fill crash test, shared by every backend's test binary (see crash_harness.cc).
#pragma once

#include <string>

namespace systore::testing {

/// Kills a child applying fills (this binary, re-executed) with SIGKILL `kills` times
/// ($SYSTORE_CRASH_KILLS overrides), reopening `uri` after each kill, and asserts that
/// every acknowledged fill is stored and positions always equal the sum of the fills.
void RunFillCrashTest(const std::string& uri, int kills);

}  // namespace systore::testing
