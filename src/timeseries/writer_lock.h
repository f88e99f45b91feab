// WriterLock: one writer process per dataset, enforced with flock(2) on
// `<dataset>/_wal/LOCK`. The holder's pid is written into the file so that a second
// writer gets an error naming it. The kernel drops the lock when the holder dies
// (SIGKILL included), so a crashed writer never leaves a stale lock.
#pragma once

#include <memory>
#include <string>

#include "systore/result.h"

namespace systore {

class WriterLock {
 public:
  /// Takes the lock without waiting. Unavailable (naming the holder's pid) if another
  /// process (or another store object in this process) holds it.
  static Result<std::unique_ptr<WriterLock>> Acquire(const std::string& dir, const std::string& what);
  ~WriterLock();

 private:
  explicit WriterLock(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace systore
