// Backup → more writes → restore equals the backup's state; point-in-time recovery
// between two batches of writes; incremental bytes; verify; prune; bad input; a backup
// taken while writers run; a backup killed mid-way.
#include "systore/backup.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/file_util.h"
#include "core/test_util_internal.h"
#include "systore/operational_store.h"
#include "systore/reference_store.h"
#include "systore/timeseries_store.h"
#include "testing/test_util.h"

namespace systore {
namespace {
namespace fs = std::filesystem;
using testing::Days;
using testing::Doubles;
using testing::MakeSeries;
using testing::TempDir;

// Everything a test compares: every series of every dataset, positions, fills and the
// reference tables.
struct RootState {
  std::map<std::string, std::vector<double>> series;  // "dataset|key" -> PRICE column
  std::map<std::string, int64_t> positions;           // "strategy|instrument"
  int64_t fills = 0;
  std::map<std::string, std::string> reference;  // table -> csv
  bool operator==(const RootState&) const = default;
};

class Root {
 public:
  explicit Root(std::string path) : path_(std::move(path)) {
    TimeSeriesStoreOptions to;
    to.root = path_;
    to.wal.flush_age_ms = 3'600'000;  // WAL tails stay unflushed unless a test flushes
    ts = TimeSeriesStore::Open(to).MoveValueUnsafe();
    OperationalStoreOptions oo;
    oo.uri = "sqlite://" + path_ + "/operational/ops.sqlite";
    ops = OperationalStore::Open(oo).MoveValueUnsafe();
    ReferenceStoreOptions ro;
    ro.root = path_;
    ref = ReferenceStore::Open(ro).MoveValueUnsafe();
  }
  // A fill of `qty` lots in a new order.
  void Fill(const std::string& instrument, int64_t qty, double price) {
    auto id = ops->AddOrder({.strategy = "S",
                             .instrument = instrument,
                             .contract = "20250300",
                             .side = qty > 0 ? Side::kBuy : Side::kSell,
                             .quantity = std::abs(qty)});
    ASSERT_TRUE(id.ok()) << id.status().ToString();
    auto f = ops->ApplyFill({.order_id = *id, .quantity = std::abs(qty), .price = price, .exec_id = "E" + std::to_string(++exec_)});
    ASSERT_TRUE(f.ok()) << f.status().ToString();
  }
  void SetRef(const std::string& key, const std::string& cost) {
    auto v = ref->Set("spread_costs", key, {{"SpreadCost", cost}}, {.actor = "t", .reason = "test"});
    ASSERT_TRUE(v.ok()) << v.status().ToString();
  }
  const std::string& path() const { return path_; }
  std::unique_ptr<TimeSeriesStore> ts;
  std::unique_ptr<OperationalStore> ops;
  std::unique_ptr<ReferenceStore> ref;

 private:
  std::string path_;
  int exec_ = 0;
};

// `live`: read through the live writer's store, which alone sees its unflushed WAL rows.
RootState ReadState(const std::string& root, TimeSeriesStore* live = nullptr) {
  RootState s;
  TimeSeriesStoreOptions to;
  to.root = root;
  to.create_if_missing = false;
  std::unique_ptr<TimeSeriesStore> own;
  if (!live) {
    own = TimeSeriesStore::Open(to).ValueOrDie();
    live = own.get();
  }
  const auto datasets = live->ListDatasets().ValueOrDie();
  for (const auto& d : datasets) {
    const auto infos = live->List(d).ValueOrDie();
    for (const auto& info : infos) {
      auto t = live->Read(d, info.key);
      EXPECT_TRUE(t.ok()) << t.status().ToString();
      s.series[d + "|" + info.key] = Doubles(**t, "PRICE");
    }
  }
  OperationalStoreOptions oo;
  oo.uri = "sqlite://" + root + "/operational/ops.sqlite";
  auto ops = OperationalStore::Open(oo);
  EXPECT_TRUE(ops.ok()) << ops.status().ToString();
  EXPECT_TRUE((*ops)
                  ->Read([&](Transaction& txn) -> Status {
                    SYSTORE_ASSIGN_OR_RAISE(auto pos, txn.StrategyPositions());
                    for (const auto& p : pos) s.positions[p.strategy + "|" + p.instrument] = p.position;
                    SYSTORE_ASSIGN_OR_RAISE(auto trades, txn.Trades());
                    s.fills = static_cast<int64_t>(trades.size());
                    return Status::OK();
                  })
                  .ok());
  ReferenceStoreOptions ro;
  ro.root = root;
  ro.create_if_missing = false;
  if (auto ref = ReferenceStore::Open(ro); ref.ok()) {
    for (const auto& t : (*ref)->Current()->tables()) s.reference[t->name()] = t->ToCsv();
  }
  return s;
}

class BackupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    live_ = std::make_unique<Root>(dir_.path() + "/live");
    repo_ = BackupRepository::Open(dir_.path() + "/repo").MoveValueUnsafe();
    // Day one: two datasets, rows appended through the WAL (unflushed), fills, reference.
    auto days = Days("2024-01-01", 30);
    ASSERT_TRUE(live_->ts->Write("prices/adjusted", "GOLD", MakeSeries(days, {{"PRICE", std::vector<double>(30, 1900)}})).ok());
    ASSERT_TRUE(live_->ts->Write("prices/adjusted", "SOFR", MakeSeries(days, {{"PRICE", std::vector<double>(30, 95)}})).ok());
    ASSERT_TRUE(live_->ts->Write("fx/spot", "EURUSD", MakeSeries(days, {{"PRICE", std::vector<double>(30, 1.1)}})).ok());
    auto wal_days = Days("2024-01-31", 2);
    auto a = live_->ts->Append("prices/adjusted", "GOLD", MakeSeries(wal_days, {{"PRICE", {1901, 1902}}}));
    ASSERT_TRUE(a.ok()) << a.status().ToString();
    ASSERT_EQ(a->version, -1) << "the append should sit in the WAL";
    live_->Fill("GOLD", 3, 1900);
    live_->Fill("SOFR", -2, 95);
    live_->SetRef("GOLD", "0.1");
    std::ofstream(live_->path() + "/quality.json") << "{}\n";
  }
  std::string Path(const std::string& name) const { return dir_.path() + "/" + name; }
  static void Sleep() { std::this_thread::sleep_for(std::chrono::milliseconds(20)); }

  TempDir dir_;
  std::unique_ptr<Root> live_;
  std::unique_ptr<BackupRepository> repo_;
};

TEST_F(BackupTest, RestoreEqualsTheBackupNotWhatCameAfter) {
  const RootState before = ReadState(live_->path(), live_->ts.get());
  ASSERT_EQ(before.series.at("prices/adjusted|GOLD").size(), 32u) << "WAL rows are part of the state";
  auto info = repo_->Create({.root = live_->path(), .label = "day1"});
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->datasets, 2);
  EXPECT_EQ(info->files_copied, info->files) << "a first backup copies everything";

  live_->Fill("GOLD", 1, 1910);
  live_->SetRef("SOFR", "0.005");
  ASSERT_TRUE(live_->ts->Merge("prices/adjusted", "SOFR", MakeSeries(Days("2024-02-01", 1), {{"PRICE", {96}}}),
                               MergeMode::kNewerOnly)
                  .ok());
  ASSERT_NE(ReadState(live_->path(), live_->ts.get()), before);

  auto report = repo_->Restore({.backup_id = info->id, .target = Path("restored")});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->consistent());
  for (const auto& c : report->checks) EXPECT_EQ(c.rfind("ok", 0), 0u) << c;
  EXPECT_EQ(ReadState(Path("restored")), before);
  EXPECT_TRUE(fs::exists(Path("restored") + "/quality.json"));

  auto list = repo_->List();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].label, "day1");
}

TEST_F(BackupTest, SecondBackupCopiesOnlyTheNewParts) {
  ASSERT_TRUE(live_->ts->Flush("prices/adjusted").ok());
  auto first = repo_->Create({.root = live_->path()});
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  // The daily update: one new row per series.
  for (const char* key : {"GOLD", "SOFR"}) {
    ASSERT_TRUE(live_->ts->Merge("prices/adjusted", key, MakeSeries(Days("2024-03-01", 1), {{"PRICE", {1}}}),
                                 MergeMode::kNewerOnly)
                    .ok());
  }
  auto second = repo_->Create({.root = live_->path()});
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_LT(second->bytes_copied, second->bytes / 2);
  EXPECT_GT(second->files_copied, 0);

  // Exactly the files whose content the first backup lacks were copied: the two merged
  // partitions, the new commit, the changed SQLite copy — not fx/spot or older parts.
  auto manifest = [&](const std::string& id) {
    return nlohmann::json::parse(*ReadFileToString(Path("repo") + "/backups/" + id + ".json"));
  };
  const auto m1 = manifest(first->id), m2 = manifest(second->id);
  std::set<std::string> old_shas;
  for (const auto& f : m1["files"]) old_shas.insert(f["sha256"].get<std::string>());
  int64_t new_bytes = 0;
  std::set<std::string> new_shas;
  std::vector<std::string> new_data;
  for (const auto& f : m2["files"]) {
    const std::string sha = f["sha256"];
    if (old_shas.count(sha) || !new_shas.insert(sha).second) continue;
    new_bytes += f["size"].get<int64_t>();
    if (f["kind"] == "ts_data") new_data.push_back(f["path"]);
  }
  EXPECT_EQ(second->bytes_copied, new_bytes);
  ASSERT_EQ(new_data.size(), 2u);
  for (const auto& p : new_data) {
    EXPECT_EQ(p.rfind("prices/adjusted/key=", 0), 0u) << p;
  }
  auto all = repo_->Verify();
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->ok());
  EXPECT_EQ(all->backups, 2);
}

TEST_F(BackupTest, VerifyNamesTheFileOfAFlippedByte) {
  auto info = repo_->Create({.root = live_->path()});
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  auto ok = repo_->Verify(info->id);
  ASSERT_TRUE(ok.ok());
  EXPECT_TRUE(ok->ok());
  EXPECT_EQ(ok->files_checked, info->files);
  // Flip one byte in the middle of a Parquet file's object.
  auto manifest = nlohmann::json::parse(*ReadFileToString(Path("repo") + "/backups/" + info->id + ".json"));
  std::string biggest;
  for (const auto& f : manifest["files"]) {
    if (f["kind"] == "ts_data") {
      const std::string sha = f["sha256"];
      biggest = Path("repo") + "/objects/" + sha.substr(0, 2) + "/" + sha;
      break;
    }
  }
  const uintmax_t size = fs::file_size(biggest);
  {
    std::fstream f(biggest, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(size / 2));
    char c;
    f.seekg(static_cast<std::streamoff>(size / 2));
    f.get(c);
    f.seekp(static_cast<std::streamoff>(size / 2));
    f.put(static_cast<char>(c ^ 0x01));
  }
  auto bad = repo_->Verify(info->id);
  ASSERT_TRUE(bad.ok());
  ASSERT_EQ(bad->problems.size(), 1u);
  EXPECT_NE(bad->problems[0].path.find(".parquet"), std::string::npos) << bad->problems[0].path;
  EXPECT_NE(bad->problems[0].problem.find("SHA-256"), std::string::npos) << bad->problems[0].problem;
  // A restore of it fails and leaves nothing at the target.
  auto r = repo_->Restore({.backup_id = info->id, .target = Path("restored")});
  EXPECT_EQ(r.status().code(), StatusCode::kCorruption) << r.status().ToString();
  EXPECT_FALSE(fs::exists(Path("restored")));
  for (const auto& e : fs::directory_iterator(dir_.path()))
    EXPECT_EQ(e.path().filename().string().find(".restoring"), std::string::npos) << "staging left behind";
}

TEST_F(BackupTest, PointInTimeBetweenTwoBatches) {
  auto info = repo_->Create({.root = live_->path()});
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  Sleep();
  // Batch A.
  ASSERT_TRUE(live_->ts->Merge("prices/adjusted", "GOLD", MakeSeries(Days("2024-02-05", 2), {{"PRICE", {1950, 1951}}}),
                               MergeMode::kNewerOnly)
                  .ok());
  ASSERT_TRUE(live_->ts->Write("prices/hourly", "GOLD", MakeSeries(Days("2024-02-01", 3), {{"PRICE", {1, 2, 3}}})).ok());
  live_->Fill("GOLD", 5, 1950);
  live_->SetRef("SOFR", "0.004");
  const RootState at_a = ReadState(live_->path(), live_->ts.get());
  Sleep();
  const Timestamp t = Now();
  Sleep();
  // Batch B.
  ASSERT_TRUE(live_->ts->Merge("prices/adjusted", "GOLD", MakeSeries(Days("2024-02-09", 1), {{"PRICE", {1999}}}),
                               MergeMode::kNewerOnly)
                  .ok());
  ASSERT_TRUE(live_->ts->Delete("fx/spot", "EURUSD").ok());
  live_->Fill("GOLD", -8, 2000);
  live_->SetRef("GOLD", "0.2");
  ASSERT_NE(ReadState(live_->path(), live_->ts.get()), at_a);

  auto report = repo_->Restore({.time = t, .live_root = live_->path(), .target = Path("pitr")});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  for (const auto& c : report->checks) EXPECT_EQ(c.rfind("ok", 0), 0u) << c;
  EXPECT_EQ(ReadState(Path("pitr")), at_a);

  // The live root was only read.
  EXPECT_EQ(ReadState(live_->path(), live_->ts.get()).positions.at("S|GOLD"), 0);
}

TEST_F(BackupTest, PointInTimeIncludesRowsAppendedByThenAndFlushedAfter) {
  auto info = repo_->Create({.root = live_->path()});
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  auto before_t = Days("2024-02-05", 3), after_t = Days("2024-02-12", 2);
  ASSERT_TRUE(live_->ts->Append("prices/adjusted", "GOLD", MakeSeries(before_t, {{"PRICE", {1, 2, 3}}})).ok());
  const RootState at_t = ReadState(live_->path(), live_->ts.get());
  Sleep();
  const Timestamp t = Now();
  Sleep();
  // The rows acknowledged before t reach Parquet only after it; their segment is archived.
  ASSERT_TRUE(live_->ts->Flush("prices/adjusted").ok());
  ASSERT_TRUE(live_->ts->Append("prices/adjusted", "GOLD", MakeSeries(after_t, {{"PRICE", {4, 5}}})).ok());
  ASSERT_FALSE(fs::is_empty(live_->path() + "/prices/adjusted/_wal/archive"));

  auto r = repo_->Restore({.time = t, .live_root = live_->path(), .target = Path("pitr")});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  for (const auto& c : r->checks) EXPECT_EQ(c.rfind("ok", 0), 0u) << c;
  const RootState got = ReadState(Path("pitr"));
  EXPECT_EQ(got.series.at("prices/adjusted|GOLD").size(), 35u);  // 30 + 2 (in the backup's WAL) + 3
  EXPECT_EQ(got, at_t);

  // Trimming the journals drops the archived segments the kept backup does not need
  // only: a recovery to now still has every row.
  auto second = repo_->Create({.root = live_->path()});
  ASSERT_TRUE(second.ok());
  auto trimmed = repo_->Prune({.keep_daily = 1, .keep_weekly = 0, .keep_monthly = 0, .live_root = live_->path()});
  ASSERT_TRUE(trimmed.ok()) << trimmed.status().ToString();
  EXPECT_GT(trimmed->wal_segments_trimmed, 0);
  const RootState now = ReadState(live_->path(), live_->ts.get());
  auto latest = repo_->Restore({.time = Now(), .live_root = live_->path(), .target = Path("now")});
  ASSERT_TRUE(latest.ok()) << latest.status().ToString();
  EXPECT_EQ(ReadState(Path("now")), now);
}

TEST_F(BackupTest, PruneKeepsWhatKeptBackupsNeed) {
  auto a = repo_->Create({.root = live_->path()});
  ASSERT_TRUE(a.ok());
  live_->Fill("GOLD", 1, 1);
  ASSERT_TRUE(live_->ts->Write("prices/adjusted", "NEW", MakeSeries(Days("2024-01-01", 3), {{"PRICE", {1, 2, 3}}})).ok());
  auto b = repo_->Create({.root = live_->path()});
  ASSERT_TRUE(b.ok());
  // Both are from today: keep-daily 1 keeps the newest only.
  auto dry = repo_->Prune({.keep_daily = 1, .keep_weekly = 0, .keep_monthly = 0, .dry_run = true});
  ASSERT_TRUE(dry.ok()) << dry.status().ToString();
  ASSERT_EQ(dry->removed, std::vector<std::string>{a->id});
  EXPECT_EQ(repo_->List()->size(), 2u) << "a dry run removes nothing";
  auto pruned = repo_->Prune({.keep_daily = 1, .keep_weekly = 0, .keep_monthly = 0});
  ASSERT_TRUE(pruned.ok());
  EXPECT_GT(pruned->objects_removed, 0);  // a's SQLite copy and old log files
  auto v = repo_->Verify();
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(v->ok()) << v->problems[0].path << ": " << v->problems[0].problem;
  auto r = repo_->Restore({.backup_id = b->id, .target = Path("restored")});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(ReadState(Path("restored")), ReadState(live_->path(), live_->ts.get()));

  // Trimming the live journal keeps what follows the kept backup: PITR still works.
  auto trimmed = repo_->Prune({.keep_daily = 1, .keep_weekly = 0, .keep_monthly = 0, .live_root = live_->path()});
  ASSERT_TRUE(trimmed.ok()) << trimmed.status().ToString();
  EXPECT_GT(trimmed->journal_entries_trimmed, 0);
  live_->Fill("SOFR", 4, 96);
  const RootState now = ReadState(live_->path(), live_->ts.get());
  auto pitr = repo_->Restore({.time = Now(), .live_root = live_->path(), .target = Path("pitr")});
  ASSERT_TRUE(pitr.ok()) << pitr.status().ToString();
  EXPECT_EQ(ReadState(Path("pitr")), now);
}

TEST_F(BackupTest, BadInputIsAClearError) {
  auto info = repo_->Create({.root = live_->path()});
  ASSERT_TRUE(info.ok());
  // A non-empty target.
  fs::create_directories(Path("full"));
  std::ofstream(Path("full") + "/x") << "x";
  auto r = repo_->Restore({.backup_id = info->id, .target = Path("full")});
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("not empty"), std::string::npos);
  // A time before the first backup.
  r = repo_->Restore({.time = info->started_at - kNanosPerDay, .live_root = live_->path(), .target = Path("t")});
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("first was captured"), std::string::npos) << r.status().ToString();
  // An unknown id.
  r = repo_->Restore({.backup_id = "nope", .target = Path("t")});
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  // A corrupt manifest is named.
  const std::string manifest = Path("repo") + "/backups/" + info->id + ".json";
  std::ofstream(manifest, std::ios::trunc) << "{\"format\": 1, \"id\": 3";
  auto list = repo_->List();
  EXPECT_EQ(list.status().code(), StatusCode::kCorruption);
  EXPECT_NE(list.status().message().find(info->id), std::string::npos) << list.status().ToString();
  // A missing object.
  ASSERT_TRUE(WriteFileDurably(manifest, "").ok());
  fs::remove(manifest);
  auto again = repo_->Create({.root = live_->path()});
  ASSERT_TRUE(again.ok());
  for (const auto& e : fs::recursive_directory_iterator(Path("repo") + "/objects")) {
    if (e.is_regular_file()) {
      fs::remove(e.path());
      break;
    }
  }
  auto v = repo_->Verify(again->id);
  ASSERT_TRUE(v.ok());
  ASSERT_EQ(v->problems.size(), 1u);
  EXPECT_NE(v->problems[0].problem.find("missing"), std::string::npos) << v->problems[0].problem;
  EXPECT_FALSE(v->problems[0].path.empty());
  // A repository URI of an unknown kind.
  EXPECT_EQ(BackupRepository::Open("ftp://x/y").status().code(), StatusCode::kInvalidArgument);
}

TEST_F(BackupTest, ConsistentWhileWritersRun) {
  std::atomic<bool> stop{false};
  std::atomic<int> appended{0};
  std::thread appender([&] {
    auto t = *ParseTimestamp("2024-06-01");
    while (!stop) {
      auto r = live_->ts->Append("prices/live", "GOLD", MakeSeries({t}, {{"PRICE", {1.0 * appended}}}));
      if (!r.ok()) break;
      t += kNanosPerSecond;
      ++appended;
    }
  });
  std::thread filler([&] {
    for (int i = 0; !stop; ++i) live_->Fill(i % 2 ? "GOLD" : "SOFR", i % 3 - 1 ? 1 : -1, 100 + i);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    auto info = repo_->Create({.root = live_->path()});
    ASSERT_TRUE(info.ok()) << info.status().ToString();
    ids.push_back(info->id);
  }
  stop = true;
  appender.join();
  filler.join();
  ASSERT_GT(appended.load(), 0);
  for (const auto& id : ids) {
    auto r = repo_->Restore({.backup_id = id, .target = Path("r-" + id)});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    for (const auto& c : r->checks) EXPECT_EQ(c.rfind("ok", 0), 0u) << c;
    // Appends are a prefix of what was appended: 0, 1, 2, ... without a gap.
    auto s = ReadState(Path("r-" + id));
    auto it = s.series.find("prices/live|GOLD");
    if (it == s.series.end()) continue;
    for (size_t i = 0; i < it->second.size(); ++i) ASSERT_EQ(it->second[i], static_cast<double>(i));
  }
}

// The child of the kill test: backs up again and again until killed.
const bool kChild = [] {
  const char* live = std::getenv("BACKUP_TEST_CHILD_LIVE");
  if (!live) return false;
  auto repo = BackupRepository::Open(std::getenv("BACKUP_TEST_CHILD_REPO"));
  if (!repo.ok()) std::_Exit(3);
  for (;;) (void)(*repo)->Create({.root = live});
}();

TEST_F(BackupTest, KilledMidWayLeavesTheRepositoryValid) {
  ASSERT_TRUE(live_->ts->Write("big/series", "X", MakeSeries(Days("1990-01-01", 9000), {{"PRICE", std::vector<double>(9000, 3.0)}})).ok());
  live_.reset();  // the child opens the root itself
  for (int round = 0; round < 5; ++round) {
    pid_t pid = testing::SpawnSelf({{"BACKUP_TEST_CHILD_LIVE", dir_.path() + "/live"}, {"BACKUP_TEST_CHILD_REPO", Path("repo")}});
    ASSERT_GT(pid, 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(30 + 47 * round));
    ::kill(pid, SIGKILL);
    int status;
    ::waitpid(pid, &status, 0);
    auto list = repo_->List();
    ASSERT_TRUE(list.ok()) << list.status().ToString();
    auto v = repo_->Verify();
    ASSERT_TRUE(v.ok());
    EXPECT_TRUE(v->ok()) << "a listed backup lost an object: " << v->problems[0].path;
  }
  auto info = repo_->Create({.root = dir_.path() + "/live"});
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  auto r = repo_->Restore({.backup_id = info->id, .target = Path("restored")});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(ReadState(Path("restored")), ReadState(dir_.path() + "/live"));
}

}  // namespace
}  // namespace systore

namespace systore {
namespace {

TEST_F(BackupTest, RestoreStopsTheLiveProcessesAndGivesThemBack) {
  auto info = repo_->Create({.root = live_->path()});
  ASSERT_TRUE(info.ok());
  // A trading process that honours STOP: it finishes once told to.
  auto start = [&](const char* name) {
    return live_->ops->Transact([&](Transaction& t) { return t.StartProcess(name, ::getpid()); });
  };
  auto finish = [&](const char* name) {
    return live_->ops->Transact([&](Transaction& t) { return t.FinishProcess(name); });
  };
  ASSERT_TRUE(start("run_systems").ok());
  ASSERT_TRUE(start("run_stack_handler").ok());
  std::atomic<bool> saw_stop{false};
  std::thread process([&] {
    for (int i = 0; i < 200; ++i) {
      auto p = live_->ops->GetProcess("run_systems");
      if (p.ok() && p->control == ControlStatus::kStop) {
        saw_stop = true;
        (void)finish("run_systems");
        (void)finish("run_stack_handler");
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  });
  auto r = repo_->Restore({.backup_id = info->id, .live_root = live_->path(), .target = Path("r1"), .stop_processes = true});
  process.join();
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(saw_stop);
  bool reported = false;
  for (const auto& l : r->lines) reported |= l.find("stopped run_stack_handler, run_systems") != std::string::npos;
  EXPECT_TRUE(reported);
  EXPECT_EQ(live_->ops->GetProcess("run_systems")->control, ControlStatus::kGo) << "control given back";

  // One that never stops: the restore gives up, names it, and gives the control back.
  ASSERT_TRUE(start("run_systems").ok());
  auto stuck = repo_->Restore({.backup_id = info->id, .live_root = live_->path(), .target = Path("r2"),
                               .stop_processes = true, .stop_timeout_ms = 300});
  EXPECT_EQ(stuck.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(stuck.status().message().find("run_systems"), std::string::npos) << stuck.status().ToString();
  EXPECT_FALSE(fs::exists(Path("r2")));
  EXPECT_EQ(live_->ops->GetProcess("run_systems")->control, ControlStatus::kGo);
}

}  // namespace
}  // namespace systore

#include <sqlite3.h>
#include <utime.h>

namespace systore {
namespace {

TEST_F(BackupTest, JournalAndWalArchiveAgeOutOnTheirOwn) {
  auto info = repo_->Create({.root = live_->path()});
  ASSERT_TRUE(info.ok());
  for (int i = 0; i < 10; ++i) live_->Fill("GOLD", 1, 100 + i);
  // Make every entry so far look 8 days old; the next 256 commits age them out.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((live_->path() + "/operational/ops.sqlite").c_str(), &db), SQLITE_OK);
  sqlite3_busy_timeout(db, 10000);
  ASSERT_EQ(sqlite3_exec(db, "UPDATE pitr_journal SET committed_at = committed_at - 8 * 86400000000000", nullptr,
                         nullptr, nullptr),
            SQLITE_OK);
  auto count = [&](const char* sql) {
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db, sql, -1, &st, nullptr);
    sqlite3_step(st);
    const int64_t n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
  };
  const char* kOld = "SELECT count(*) FROM pitr_journal WHERE committed_at < strftime('%s','now') * 1000000000 - 7 * 86400000000000";
  ASSERT_GT(count(kOld), 20);
  for (int i = 0; i < 256; ++i) live_->Fill("SOFR", 1, 95);
  EXPECT_EQ(count(kOld), 0) << "the old entries went";
  EXPECT_EQ(count("SELECT count(*) FROM pitr_journal"), 512) << "the new ones stay (two transactions per fill)";
  sqlite3_close(db);
  // A recovery that needs them says what is missing.
  auto r = repo_->Restore({.time = Now(), .live_root = live_->path(), .target = Path("gap")});
  EXPECT_EQ(r.status().code(), StatusCode::kCorruption) << r.status().ToString();
  EXPECT_NE(r.status().message().find("trimmed past the backup"), std::string::npos) << r.status().ToString();
  EXPECT_FALSE(fs::exists(Path("gap")));

  // WAL archive: an archived segment older than the retention goes at the next archive.
  ASSERT_TRUE(live_->ts->Flush("prices/adjusted").ok());
  const std::string archive = live_->path() + "/prices/adjusted/_wal/archive";
  std::vector<std::string> old;
  for (const auto& e : fs::directory_iterator(archive)) {
    old.push_back(e.path().string());
    struct utimbuf t {static_cast<time_t>(Now() / kNanosPerSecond - 8 * 86400), static_cast<time_t>(Now() / kNanosPerSecond - 8 * 86400)};
    ASSERT_EQ(::utime(e.path().c_str(), &t), 0);
  }
  ASSERT_FALSE(old.empty());
  ASSERT_TRUE(live_->ts->Append("prices/adjusted", "SOFR", MakeSeries(Days("2024-03-01", 1), {{"PRICE", {1}}})).ok());
  ASSERT_TRUE(live_->ts->Flush("prices/adjusted").ok());
  for (const auto& p : old) EXPECT_FALSE(fs::exists(p)) << p;
  EXPECT_FALSE(fs::is_empty(archive)) << "the new segment is archived";
}

}  // namespace
}  // namespace systore
