// The write-ahead log under damage: a torn or corrupt tail is cut at the last good
// record and reported; nothing after it is replayed.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "systore/timeseries_store.h"
#include "testing/test_util.h"
#include "timeseries/wal.h"
#include "timeseries/wal_format.h"

namespace systore {
namespace {

namespace fs = std::filesystem;

// Leaves `n` single-row appends in the log of dataset "a" (no flush), after a seed row.
std::string MakeStoreWithLog(const std::string& root, int n) {
  TimeSeriesStoreOptions o;
  o.root = root;
  o.wal.flush_on_close = false;
  o.wal.flush_age_ms = 1'000'000'000;
  auto s = std::move(TimeSeriesStore::Open(o)).MoveValueUnsafe();
  EXPECT_TRUE(s->Write("a", "K", testing::MakeSeries({0}, {{"price", {0}}})).ok());
  for (int i = 1; i <= n; ++i) {
    EXPECT_TRUE(s->Append("a", "K", testing::MakeSeries({i}, {{"price", {double(i)}}})).ok());
  }
  s.reset();
  for (const auto& e : fs::directory_iterator(root + "/a/_wal")) {
    if (e.path().extension() == ".wal" && fs::file_size(e.path()) > 0) {
      auto r = ReadWal(root + "/a/_wal");
      if (r.ok() && !r->records.empty()) return e.path().string();
    }
  }
  return "";
}

// Byte offset where record `i` (0-based) ends.
int64_t EndOfRecord(const std::string& segment, int i) {
  std::ifstream in(segment, std::ios::binary);
  int64_t off = 0;
  for (int r = 0; r <= i; ++r) {
    char h[kWalHeaderSize];
    in.seekg(off);
    in.read(h, kWalHeaderSize);
    uint32_t len = static_cast<unsigned char>(h[4]) | static_cast<unsigned char>(h[5]) << 8 |
                   static_cast<unsigned char>(h[6]) << 16 |
                   static_cast<uint32_t>(static_cast<unsigned char>(h[7])) << 24;
    off += kWalHeaderSize + len;
  }
  return off;
}

std::vector<double> ReadBack(const std::string& root, std::vector<RecoveryReport>* reports) {
  TimeSeriesStoreOptions o;
  o.root = root;
  auto s = std::move(TimeSeriesStore::Open(o)).MoveValueUnsafe();
  auto t = s->Read("a", "K");
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  *reports = s->RecoveryReports();
  return testing::Doubles(**t, "price");
}

TEST(WalTest, CleanLogIsReplayedCompletely) {
  testing::TempDir dir;
  ASSERT_FALSE(MakeStoreWithLog(dir.path(), 20).empty());
  std::vector<RecoveryReport> reports;
  auto prices = ReadBack(dir.path(), &reports);
  EXPECT_EQ(prices.size(), 21u);
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_EQ(reports[0].records_replayed, 20);
  EXPECT_EQ(reports[0].bytes_cut, 0);
  // Replayed rows were flushed: a second open replays nothing.
  std::vector<RecoveryReport> again;
  EXPECT_EQ(ReadBack(dir.path(), &again).size(), 21u);
  EXPECT_TRUE(again.empty());
}

TEST(WalTest, TruncatedTailIsCutAtTheLastWholeRecord) {
  testing::TempDir dir;
  std::string seg = MakeStoreWithLog(dir.path(), 20);
  ASSERT_FALSE(seg.empty());
  fs::resize_file(seg, EndOfRecord(seg, 14) + 7);  // 15 whole records + 7 bytes of the 16th
  std::vector<RecoveryReport> reports;
  auto prices = ReadBack(dir.path(), &reports);
  ASSERT_EQ(prices.size(), 16u);
  EXPECT_EQ(prices.back(), 15);
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_GT(reports[0].bytes_cut, 0);  // the 7 torn bytes, less trailing zero bytes
  EXPECT_LE(reports[0].bytes_cut, 7);
  EXPECT_NE(reports[0].cut_reason.find("truncated record header"), std::string::npos) << reports[0].cut_reason;
}

TEST(WalTest, CorruptRecordEndsTheLog) {
  testing::TempDir dir;
  std::string seg = MakeStoreWithLog(dir.path(), 20);
  ASSERT_FALSE(seg.empty());
  int64_t at = EndOfRecord(seg, 16) + kWalHeaderSize + 3;  // inside record 18's payload
  {
    std::fstream f(seg, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(at);
    char c;
    f.get(c);
    f.seekp(at);
    f.put(static_cast<char>(c ^ 0x5a));
  }
  std::vector<RecoveryReport> reports;
  auto prices = ReadBack(dir.path(), &reports);
  ASSERT_EQ(prices.size(), 18u);  // seed + 17 good records
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_NE(reports[0].cut_reason.find("checksum mismatch"), std::string::npos);
  EXPECT_GT(reports[0].bytes_cut, 0);
}

TEST(WalTest, LengthFieldPastEndOfFileIsCut) {
  testing::TempDir dir;
  std::string seg = MakeStoreWithLog(dir.path(), 5);
  ASSERT_FALSE(seg.empty());
  fs::resize_file(seg, EndOfRecord(seg, 4) - 1);  // last record loses its final byte
  std::vector<RecoveryReport> reports;
  EXPECT_EQ(ReadBack(dir.path(), &reports).size(), 5u);
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_NE(reports[0].cut_reason.find("runs past the end"), std::string::npos);
}

TEST(WalTest, Crc32cKnownValue) {
  EXPECT_EQ(Crc32c("123456789"), 0xe3069283u);  // the standard CRC-32C check value
}

}  // namespace
}  // namespace systore
