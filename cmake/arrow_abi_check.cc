// Configure-time probe: links libarrow and checks that the library the build will load
// is the one the headers describe. A C++ ABI mismatch (old vs new std::string) fails to
// link here; a version mismatch returns non-zero.
#include <arrow/config.h>
#include <arrow/util/config.h>
#include <cstdio>
#include <cstring>

int main() {
  const arrow::BuildInfo& info = arrow::GetBuildInfo();
  if (info.version != ARROW_VERSION) {
    std::printf("header version %s but library version %s", ARROW_VERSION_STRING, info.version_string.c_str());
    return 1;
  }
  std::printf("ok (library %s, headers %s)", info.version_string.c_str(), ARROW_VERSION_STRING);
  return 0;
}
