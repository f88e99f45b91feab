// ParallelFor: runs fn(0..n-1) on up to `threads` threads and returns the first error.
#pragma once

#include <functional>

#include "systore/status.h"

namespace systore {

/// threads <= 0 means one per core. Work is handed out dynamically (an atomic counter),
/// so uneven items balance. fn must be thread-safe. Stops handing out work after an error.
Status ParallelFor(int n, int threads, const std::function<Status(int)>& fn);

}  // namespace systore
