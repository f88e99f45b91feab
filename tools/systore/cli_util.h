// Shared pieces of the systore command-line program.
#pragma once

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

#include "systore/data_blob.h"
#include "systore/timeseries_store.h"

namespace systore::cli {

/// Resolved store root: --root, else $SYSTORE_ROOT, else ./systore-data.
std::string ResolveRoot(const std::string& flag);

/// The stores of `root` as <root>/systore.yaml configures them (a DataBlob): every
/// command opens its stores here, so one configuration selects the backends for all of
/// them. Opened once per process (the first call's actor is recorded in operational
/// audit records); CloseStores() flushes and closes it (main does, and exits through
/// ExitOnError too).
DataBlob& StoresOrExit(const std::string& root, const std::string& actor = "");
/// The configuration's "timeseries" and "reference" stores.
TimeSeriesStore* TimeSeriesOrExit(const std::string& root);
ReferenceStore* ReferenceOrExit(const std::string& root);
/// Closes the stores StoresOrExit opened; prints the error and exits(1) if that fails.
void CloseStores();

/// Prints "error: <status>" to stderr and exits with code 1 when `st` is not OK.
void ExitOnError(const Status& st);
template <typename T>
T ValueOrExit(Result<T> r) {
  ExitOnError(r.status());
  return std::move(r).MoveValueUnsafe();
}

/// Parses a --start/--end argument: a date/time, or "" for unbounded.
Timestamp ParseTimeArg(const std::string& text, Timestamp unbounded);

/// A progress bar on stderr: redrawn in place on a terminal, a line every 10% otherwise.
class ProgressBar {
 public:
  ProgressBar(std::string label, int64_t total);
  void Advance(int64_t n = 1);
  void Finish();

 private:
  void Draw(bool force);
  std::string label_;
  int64_t total_;
  int64_t done_ = 0;
  int last_decile_ = -1;
  bool tty_;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

double SecondsSince(std::chrono::steady_clock::time_point t0);

/// Prints a series table as csv (pysystemtrade's form: opts' index name and aliases),
/// json (an array of row objects) or parquet (needs `output`); to `output` when given,
/// else stdout. Exits with a message on a bad format or an unwritable file.
void OutputTable(const std::shared_ptr<arrow::Table>& table, const DatasetOptions& opts, const std::string& format,
                 const std::string& output);

}  // namespace systore::cli
