#include "systore/batch_ingest.h"

#include <arrow/api.h>
#include <arrow/io/file.h>
#include <parquet/arrow/writer.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "quality/quality_test_util.h"
#include "systore/quality_gate.h"
#include "systore/reference_store.h"

namespace systore {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

std::string SharedData() {
  const char* src = std::getenv("SYSTORE_SOURCE_DIR");
  if (!src) return "";
  std::string d = std::string(src) + "/../shared/data";
  return fs::is_directory(d + "/adjusted_prices_csv") ? d : "";
}

// Copies `n` files of each price folder, dropping the last `drop_last` data lines.
void CopySubset(const std::string& from, const std::string& to, size_t n, int drop_last) {
  for (const char* sub : {"adjusted_prices_csv", "multiple_prices_csv", "fx_prices_csv"}) {
    fs::create_directories(to + "/" + sub);
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(from + "/" + sub)) files.push_back(e.path());
    std::sort(files.begin(), files.end());
    for (size_t i = 0; i < files.size() && i < n; ++i) {
      std::ifstream in(files[i]);
      std::vector<std::string> lines;
      for (std::string l; std::getline(in, l);) lines.push_back(l);
      std::ofstream out(to + "/" + sub + "/" + files[i].filename().string());
      for (size_t j = 0; j + drop_last < lines.size(); ++j) out << lines[j] << "\n";
    }
  }
  fs::copy(from + "/csvconfig", to + "/csvconfig");
}

std::unique_ptr<BatchIngest> Open(const std::string& root) {
  BatchIngestOptions o;
  o.root = root;
  o.threads = 2;
  auto b = BatchIngest::Open(o);
  EXPECT_TRUE(b.ok()) << b.status().ToString();
  return std::move(*b);
}

std::map<std::string, int64_t> Rows(TimeSeriesStore* s, const std::string& ds) {
  std::map<std::string, int64_t> out;
  auto list = s->List(ds).MoveValueUnsafe();
  for (const auto& i : list) out[i.key] = i.rows;
  return out;
}

TEST(BatchIngest, PysystemtradeFolderIsIdempotentAndAddsExactlyTheNewDay) {
  std::string data = SharedData();
  if (data.empty()) GTEST_SKIP() << "../shared/data not available";
  TempDir src_old, src_new, root;
  CopySubset(data, src_old.path(), 6, 1);
  CopySubset(data, src_new.path(), 6, 0);

  auto ingest = Open(root.path());
  auto first = ingest->ImportPysystemtrade(src_old.path());
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_EQ(first->datasets.size(), 3u);
  EXPECT_GT(first->reference_version, 0) << first->reference_error;
  for (const auto& d : first->datasets) {
    EXPECT_EQ(d.rejected.size(), 0u) << d.dataset << ": " << (d.rejected.empty() ? "" : d.rejected[0]);
    EXPECT_EQ(d.rows_added + d.rows_quarantined, d.rows_read) << d.dataset;
    EXPECT_GE(d.version, 0);
  }
  std::map<std::string, std::map<std::string, int64_t>> before;
  std::map<std::string, int64_t> versions;
  for (const char* ds : {"prices/adjusted", "prices/multiple", "fx/spot"}) {
    before[ds] = Rows(ingest->store(), ds);
    versions[ds] = *ingest->store()->CurrentVersion(ds);
  }
  // Same folder again: nothing added, no new version, no new quarantine entries.
  size_t entries = ingest->gate()->quarantine()->List()->size();
  auto again = ingest->ImportPysystemtrade(src_old.path());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->rows_added(), 0);
  for (const char* ds : {"prices/adjusted", "prices/multiple", "fx/spot"})
    EXPECT_EQ(*ingest->store()->CurrentVersion(ds), versions[ds]) << ds;
  EXPECT_EQ(ingest->gate()->quarantine()->List()->size(), entries);

  // One more day per file: exactly one row per series.
  auto next = ingest->ImportPysystemtrade(src_new.path());
  ASSERT_TRUE(next.ok());
  for (const auto& d : next->datasets) {
    EXPECT_EQ(d.rows_added, d.files) << d.dataset;
    EXPECT_EQ(d.rows_quarantined, 0) << d.dataset;
    for (const auto& [key, n] : Rows(ingest->store(), d.dataset)) EXPECT_EQ(n, before[d.dataset][key] + 1) << key;
  }
}

TEST(BatchIngest, PerContractPricesGetContractKeys) {
  TempDir src, root;
  std::filesystem::create_directories(src.path() + "/contract_prices_csv");
  {
    std::ofstream f(src.path() + "/contract_prices_csv/SOFR_20240300.csv");
    f << "DATETIME,OPEN,HIGH,LOW,FINAL,VOLUME\n";
    for (int d = 1; d <= 5; ++d)
      f << "2024-01-0" << d << " 23:00:00," << 95 << "," << 95.5 << "," << 94.5 << "," << 95.1 << ",10\n";
    f << "2024-01-08 23:00:00,95,94,96,95,10\n";  // low > high
  }
  auto ingest = Open(root.path());
  auto r = ingest->ImportPysystemtrade(src.path());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->datasets.size(), 1u);
  EXPECT_EQ(r->datasets[0].dataset, "prices/contract_daily");
  // A first import is reported, not withheld: the bad bar is stored with a warning.
  EXPECT_EQ(r->datasets[0].rows_added, 6);
  EXPECT_EQ(r->datasets[0].rows_quarantined, 0);
  EXPECT_EQ(r->datasets[0].findings_by_rule.at("ohlc"), 1);
  auto t = ingest->store()->Read("prices/contract_daily", "SOFR/20240300");
  ASSERT_TRUE(t.ok()) << t.status().ToString();
  EXPECT_EQ((*t)->num_rows(), 6);
  // A bad bar merged after the stored history is judged and quarantined.
  {
    std::ofstream f(src.path() + "/contract_prices_csv/SOFR_20240300.csv", std::ios::app);
    f << "2024-01-09 23:00:00,95,95.5,94.5,95.1,10\n";
    f << "2024-01-10 23:00:00,95,94,96,95,10\n";  // low > high
  }
  auto next = ingest->ImportPysystemtrade(src.path());
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  EXPECT_EQ(next->datasets[0].rows_added, 1);
  EXPECT_EQ(next->datasets[0].rows_quarantined, 1);
  EXPECT_EQ(ingest->store()->Read("prices/contract_daily", "SOFR/20240300").ValueOrDie()->num_rows(), 7);
  EXPECT_TRUE(ingest->ImportPysystemtrade(src.path() + "/nothing").status().IsInvalidArgument());
}

TEST(BatchIngest, GenericCsvAndParquetDropsWithMapping) {
  TempDir dir, root;
  {
    std::ofstream f(dir.path() + "/X.csv");
    f << "sym,time,Last,Bid\n";
    for (int d = 1; d <= 9; ++d) f << "X,2024-01-0" << d << " 10:00:00," << 100 + d << ",1\n";
  }
  auto ingest = Open(root.path());
  ColumnMapping m;
  m.timestamp_column = "time";
  m.rename = {{"Last", "price"}};
  m.columns = {"price"};
  m.string_columns = {"sym"};
  auto r = ingest->ImportFiles("drops/generic", {dir.path() + "/X.csv"}, m);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->rows_added, 9);
  auto t = *ingest->store()->Read("drops/generic", "X");
  EXPECT_EQ(t->num_columns(), 2);
  EXPECT_EQ(t->field(1)->name(), "price");
  // Re-import: idempotent.
  EXPECT_EQ(ingest->ImportFiles("drops/generic", {dir.path() + "/X.csv"}, m)->rows_added, 0);

  // Parquet: pandas-style millisecond timestamps, renamed value column.
  arrow::TimestampBuilder tb(arrow::timestamp(arrow::TimeUnit::MILLI), arrow::default_memory_pool());
  arrow::DoubleBuilder vb;
  for (int d = 0; d < 5; ++d) {
    ASSERT_TRUE(tb.Append((19723 + d) * 86400000LL).ok());
    ASSERT_TRUE(vb.Append(10 + d).ok());
  }
  auto pt = arrow::Table::Make(arrow::schema({arrow::field("time", tb.type()), arrow::field("Last", arrow::float64())}),
                               {tb.Finish().ValueOrDie(), vb.Finish().ValueOrDie()});
  auto out = arrow::io::FileOutputStream::Open(dir.path() + "/Y.parquet").ValueOrDie();
  ASSERT_TRUE(parquet::arrow::WriteTable(*pt, arrow::default_memory_pool(), out, 1024).ok());
  ASSERT_TRUE(out->Close().ok());
  ColumnMapping pm;
  pm.rename = {{"Last", "price"}};
  auto pr = ingest->ImportFiles("drops/generic", {dir.path() + "/Y.parquet"}, pm);
  ASSERT_TRUE(pr.ok()) << pr.status().ToString();
  EXPECT_EQ(pr->rows_added, 5);
  auto yt = *ingest->store()->Read("drops/generic", "Y");
  EXPECT_EQ(yt->num_rows(), 5);
  EXPECT_EQ(yt->column(0)->chunk(0)->data()->GetValues<int64_t>(1)[0], 19723LL * 86400 * kNanosPerSecond);
}

TEST(BatchIngest, TablesTakeTheSamePathAsFilesIntoAStoreTheCallerOwns) {
  TempDir root;
  TimeSeriesStoreOptions so;
  so.root = root.path();
  auto store = TimeSeriesStore::Open(so).MoveValueUnsafe();
  BatchIngestOptions o;
  o.root = root.path();
  o.store = store.get();  // the caller's store: no second writer for the dataset
  auto ingest = BatchIngest::Open(o).MoveValueUnsafe();
  ASSERT_EQ(ingest->store(), store.get());

  std::vector<Timestamp> ts;
  std::vector<double> p;
  auto history = testing::WeekdayWalk(testing::Day(2024, 1, 2), 300, 100, 7, &ts, &p);
  auto first = ingest->ImportTables("prices/adjusted", {{"X", history, ""}});
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->rows_added, 300);
  EXPECT_GE(first->version, 0);

  // Next day: a 50x spike is judged against the stored history and quarantined, with the
  // table's source name and row number; the ordinary day after it is stored.
  Timestamp d1 = ts.back() + kNanosPerDay * 3, d2 = d1 + kNanosPerDay;
  auto next = testing::PriceTable({d1, d2}, {p.back() * 50, p.back() + 0.1});
  auto r = ingest->ImportTables("prices/adjusted", {{"X", next, "feed.py"}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->rows_quarantined, 1);
  EXPECT_EQ(r->rows_added, 1);
  ASSERT_FALSE(r->serious_findings.empty());
  EXPECT_EQ(r->serious_findings[0].rule, "spike");
  EXPECT_EQ(r->serious_findings[0].source, "feed.py:1");
  EXPECT_EQ((*store->Read("prices/adjusted", "X"))->num_rows(), 301);
  // A re-run adds nothing and re-quarantines nothing.
  auto again = ingest->ImportTables("prices/adjusted", {{"X", next, "feed.py"}});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->rows_added, 0);
  EXPECT_EQ(again->rows_quarantined, 0);

  EXPECT_EQ(ingest->ImportTables("prices/adjusted", {}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ingest->ImportTables("prices/adjusted", {{"X", next, ""}, {"X", next, ""}}).status().code(),
            StatusCode::kInvalidArgument);
}

// `ts import`'s modes take the same path: the gate judges every row handed over, with the
// stored rows before them as the seam; the store applies them as asked.
TEST(BatchIngest, ImportModesReplaceAppendOverwriteAndOverrideDuplicates) {
  TempDir root;
  auto ingest = Open(root.path());
  std::vector<Timestamp> ts;
  std::vector<double> p;
  auto history = testing::WeekdayWalk(testing::Day(2024, 1, 2), 200, 100, 3, &ts, &p);
  ASSERT_EQ(ingest->ImportTables("prices/adjusted", {{"X", history, ""}})->rows_added, 200);

  // Merge overwrite in the middle of the history: judged against the rows before it, so a
  // spike there is quarantined and the ordinary correction replaces the stored row.
  ImportMode overwrite;
  overwrite.merge_mode = MergeMode::kOverwrite;
  auto mid = testing::PriceTable({ts[100], ts[101]}, {p[100] + 0.01, p[99] * 40});
  auto r = ingest->ImportTables("prices/adjusted", {{"X", mid, "fix.csv"}}, overwrite);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->rows_quarantined, 1);
  EXPECT_EQ(r->rows_removed + r->rows_added, 1) << r->rows_removed << " " << r->rows_added;
  auto stored = *ingest->store()->Read("prices/adjusted", "X");
  ASSERT_EQ(stored->num_rows(), 200);
  auto col = std::static_pointer_cast<arrow::DoubleArray>(stored->column(1)->chunk(0));
  EXPECT_DOUBLE_EQ(col->Value(100), p[100] + 0.01);
  EXPECT_DOUBLE_EQ(col->Value(101), p[101]);

  // Append: rows after the last stored row; one before it makes the store refuse the batch.
  ImportMode append;
  append.op = SeriesUpdate::Op::kAppend;
  Timestamp next = ts.back() + kNanosPerDay;
  EXPECT_EQ(
      ingest->ImportTables("prices/adjusted", {{"X", testing::PriceTable({next}, {p.back()}), ""}}, append)->rows_added,
      1);
  EXPECT_FALSE(ingest->ImportTables("prices/adjusted", {{"X", testing::PriceTable({ts[5]}, {p[5]}), ""}}, append).ok());

  // Replace: a new history (no seam; value findings of a first import are warnings).
  ImportMode write;
  write.op = SeriesUpdate::Op::kWrite;
  auto w = ingest->ImportTables("prices/adjusted", {{"X", testing::PriceTable({ts[0], ts[1], ts[2]}, {1, 50, 1}), ""}},
                                write);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_EQ(w->rows_quarantined, 0);
  EXPECT_EQ((*ingest->store()->Read("prices/adjusted", "X"))->num_rows(), 3);

  // The duplicates policy of the import overrides quality.json's (keep-last): keep-first
  // stores the first row of a repeated timestamp and quarantines the other.
  ImportMode first;
  first.duplicates = DuplicatePolicy::kKeepFirst;
  auto dup = testing::PriceTable({ts[3], ts[3]}, {7, 8});
  auto d = ingest->ImportTables("prices/adjusted", {{"X", dup, ""}}, first);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->rows_added, 1);
  EXPECT_EQ(d->rows_quarantined, 1);
  auto last = *ingest->store()->Latest("prices/adjusted", "X", 1);
  EXPECT_DOUBLE_EQ(std::static_pointer_cast<arrow::DoubleArray>(last->column(1)->chunk(0))->Value(0), 7);

  // A new dataset takes the import's kind and partitioning.
  ImportMode create;
  create.partition = PartitionGranularity::kNone;
  ASSERT_TRUE(ingest->ImportTables("drops/flat", {{"Y", history, ""}}, create).ok());
  EXPECT_EQ(ingest->store()->GetDatasetOptions("drops/flat")->partition, PartitionGranularity::kNone);
}

}  // namespace
}  // namespace systore
