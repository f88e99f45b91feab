#include "timeseries/parquet_io.h"

#include <arrow/io/file.h>
#include <arrow/io/memory.h>
#include <arrow/table.h>
#include <arrow/type.h>
#include <parquet/arrow/reader.h>
#include <parquet/arrow/writer.h>
#include <parquet/properties.h>
#include <parquet/statistics.h>

#include "core/arrow_status_internal.h"
#include "core/file_util.h"
#include "timeseries/series_table.h"

namespace systore {
namespace {

// Files up to this size are read with a single read(2); larger ones are mapped.
constexpr int64_t kWholeFileReadBytes = 4ll << 20;

}  // namespace

Result<int64_t> WriteParquetFile(const std::string& path, const arrow::Table& table, const DatasetOptions& options) {
  parquet::WriterProperties::Builder b;
  if (options.compression == DatasetOptions::Compression::kLz4) {
    b.compression(parquet::Compression::LZ4);  // written as LZ4_RAW
  } else {
    b.compression(parquet::Compression::ZSTD)->compression_level(options.zstd_level);
  }
  b.version(parquet::ParquetVersion::PARQUET_2_6)->enable_statistics();
  for (const auto& field : table.schema()->fields()) {
    const std::string& name = field->name();
    switch (field->type()->id()) {
      case arrow::Type::TIMESTAMP:
      case arrow::Type::INT64:
        b.disable_dictionary(name)->encoding(name, parquet::Encoding::DELTA_BINARY_PACKED);
        break;
      case arrow::Type::DOUBLE:
        // PLAIN, not BYTE_STREAM_SPLIT: measured on the real adjusted prices, zstd finds
        // the repeats of tick-rounded prices better in whole 8-byte values (1.9 vs 2.7
        // bytes/row; docs/benchmarks.md).
        b.disable_dictionary(name)->encoding(name, parquet::Encoding::PLAIN);
        break;
      default:
        break;  // strings: dictionary (contract ids repeat)
    }
  }
  auto props = b.build();
  // No stored Arrow schema: TIMESTAMP(NANOS, isAdjustedToUTC) already reads back as
  // timestamp[ns, UTC], and the base64 schema would add ~300 bytes to every file.
  auto arrow_props = parquet::ArrowWriterProperties::Builder().build();
  SYSTORE_ASSIGN_OR_RAISE_ARROW(auto out, arrow::io::FileOutputStream::Open(path), path);
  SYSTORE_RETURN_NOT_OK_ARROW(
      parquet::arrow::WriteTable(table, arrow::default_memory_pool(), out, options.row_group_rows, props, arrow_props),
      "write " + path);
  SYSTORE_RETURN_NOT_OK_ARROW(out->Close(), path);
  SYSTORE_RETURN_NOT_OK(FsyncPath(path));
  SYSTORE_ASSIGN_OR_RAISE_ARROW(auto in, arrow::io::ReadableFile::Open(path), path);
  SYSTORE_ASSIGN_OR_RAISE_ARROW(int64_t size, in->GetSize(), path);
  return size;
}

Result<std::shared_ptr<arrow::Table>> ReadParquetFile(const std::string& path, const std::vector<std::string>* columns,
                                                      Timestamp start, Timestamp end) {
  SYSTORE_ASSIGN_OR_RAISE_ARROW(auto file, arrow::io::ReadableFile::Open(path), path);
  SYSTORE_ASSIGN_OR_RAISE_ARROW(int64_t size, file->GetSize(), path);
  std::shared_ptr<arrow::io::RandomAccessFile> in = file;
  if (size <= kWholeFileReadBytes) {
    // Small files (most series): one read instead of a footer read plus one per column.
    SYSTORE_ASSIGN_OR_RAISE_ARROW(auto bytes, file->ReadAt(0, size), path);
    in = std::make_shared<arrow::io::BufferReader>(bytes);
  } else {
    // Large files (a day of ticks): memory-mapped, so the decoder reads the page cache in
    // place instead of a copy in fresh memory (which cost more than decoding). Data
    // files are immutable once committed, and an unlinked file stays mapped.
    SYSTORE_ASSIGN_OR_RAISE_ARROW(in, arrow::io::MemoryMappedFile::Open(path, arrow::io::FileMode::READ), path);
  }
  std::unique_ptr<parquet::arrow::FileReader> reader;
  try {
    SYSTORE_ASSIGN_OR_RAISE_ARROW(reader, parquet::arrow::OpenFile(in, arrow::default_memory_pool()), path);
  } catch (const std::exception& e) {
    return Status::Corruption(path + ": " + e.what());
  }
  std::shared_ptr<arrow::Schema> schema;
  SYSTORE_RETURN_NOT_OK_ARROW(reader->GetSchema(&schema), path);
  int ts_index = schema->GetFieldIndex(kTimestampColumn);
  if (ts_index < 0) return Status::Corruption(path + ": no '" + std::string(kTimestampColumn) + "' column");

  std::vector<int> col_indices;
  if (columns) {
    col_indices.push_back(ts_index);
    for (const auto& c : *columns) {
      int i = schema->GetFieldIndex(c);
      if (i < 0) return Status::InvalidArgument("no column '" + c + "' in the series");
      if (i != ts_index) col_indices.push_back(i);
    }
  } else {
    for (int i = 0; i < schema->num_fields(); ++i) col_indices.push_back(i);
  }

  // Row-group pruning on the ts column's statistics (leaf index == field index: flat schema).
  auto meta = reader->parquet_reader()->metadata();
  std::vector<int> groups;
  for (int g = 0; g < meta->num_row_groups(); ++g) {
    auto rg = meta->RowGroup(g);
    auto stats = rg->ColumnChunk(ts_index)->statistics();
    if (stats && stats->HasMinMax()) {
      auto typed = std::static_pointer_cast<parquet::Int64Statistics>(stats);
      if (typed->max() < start || typed->min() > end) continue;
    }
    groups.push_back(g);
  }
  std::shared_ptr<arrow::Table> table;
  if (groups.empty()) {
    std::vector<std::shared_ptr<arrow::Field>> fields;
    for (int i : col_indices) fields.push_back(schema->field(i));
    SYSTORE_ASSIGN_OR_RAISE_ARROW(table, arrow::Table::MakeEmpty(arrow::schema(fields)), path);
    return table;
  }
  try {
    if (static_cast<int>(groups.size()) == meta->num_row_groups()) {
      SYSTORE_RETURN_NOT_OK_ARROW(reader->ReadTable(col_indices, &table), path);
    } else {
      SYSTORE_RETURN_NOT_OK_ARROW(reader->ReadRowGroups(groups, col_indices, &table), path);
    }
  } catch (const std::exception& e) {
    return Status::Corruption(path + ": " + e.what());
  }
  if (start != kMinTimestamp || end != kMaxTimestamp) return SliceByTime(table, start, end);
  return table;
}

std::shared_ptr<arrow::Table> FileCache::Get(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = index_.find(path);
  if (it == index_.end()) return nullptr;
  lru_.splice(lru_.begin(), lru_, it->second);
  return it->second->table;
}

void FileCache::Put(const std::string& path, std::shared_ptr<arrow::Table> table, int64_t bytes) {
  if (bytes > capacity_ / 4) return;  // one huge file must not flush everything else
  std::lock_guard<std::mutex> lock(mu_);
  if (index_.count(path)) return;
  lru_.push_front(Entry{path, std::move(table), bytes});
  index_[path] = lru_.begin();
  used_ += bytes;
  while (used_ > capacity_ && !lru_.empty()) {
    used_ -= lru_.back().bytes;
    index_.erase(lru_.back().path);
    lru_.pop_back();
  }
}

}  // namespace systore
