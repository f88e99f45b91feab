#include "backup/repository_storage.h"

#include <arrow/filesystem/localfs.h>
#include <arrow/filesystem/s3fs.h>
#include <arrow/buffer.h>
#include <arrow/io/interfaces.h>

#include <sys/stat.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <mutex>

#include "core/arrow_status_internal.h"
#include "core/file_util.h"

namespace systore::backup {
namespace {
namespace fs = std::filesystem;

class LocalStorage final : public RepositoryStorage {
 public:
  explicit LocalStorage(std::string dir) : dir_(std::move(dir)) {}

  Result<std::string> Read(const std::string& key) override { return ReadFileToString(dir_ + "/" + key); }

  Status Write(const std::string& key, std::string_view data) override {
    const std::string path = dir_ + "/" + key;
    SYSTORE_RETURN_NOT_OK(CreateDirectories(fs::path(path).parent_path().string()));
    return ReplaceFileAtomically(path, data);
  }

  Result<bool> Exists(const std::string& key) override { return PathExists(dir_ + "/" + key); }

  Result<std::vector<StoredObject>> List(const std::string& prefix) override {
    std::vector<StoredObject> out;
    const fs::path base = fs::path(dir_) / prefix;
    std::error_code ec;
    if (!fs::exists(base, ec)) return out;
    for (fs::recursive_directory_iterator it(base, ec), end; !ec && it != end; it.increment(ec)) {
      if (!it->is_regular_file(ec)) continue;
      const std::string name = it->path().filename().string();
      if (name.find(".tmp") != std::string::npos) continue;  // an interrupted Write's temp file
      struct stat st;
      const int64_t mtime =
          ::stat(it->path().c_str(), &st) == 0 ? st.st_mtim.tv_sec * 1'000'000'000LL + st.st_mtim.tv_nsec : 0;
      out.push_back({fs::relative(it->path(), dir_).generic_string(), static_cast<int64_t>(it->file_size(ec)), mtime});
    }
    if (ec) return Status::IOError("listing " + base.string() + ": " + ec.message());
    return out;
  }

  Status Delete(const std::string& key) override { return RemoveFile(dir_ + "/" + key); }
  std::string Describe(const std::string& key) const override { return dir_ + "/" + key; }

 private:
  std::string dir_;
};

// Arrow's S3 client needs a process-wide init, and FinalizeS3 before Arrow's own statics
// go at exit. Registered after the first client exists: atexit handlers run in reverse,
// so ours runs before the destructor of the finalizer that client creation set up.
// In Python, pyarrow may have initialized (and will finalize) S3 in this process already.
bool g_we_initialized_s3 = false;
Status EnsureS3() {
  static std::once_flag once;
  static arrow::Status status;
  std::call_once(once, [] {
    if (arrow::fs::IsS3Initialized()) return;
    status = arrow::fs::InitializeS3(arrow::fs::S3GlobalOptions::Defaults());
    g_we_initialized_s3 = status.ok();
  });
  return FromArrow(status);
}
void FinalizeS3AtExit() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (g_we_initialized_s3) std::atexit([] { (void)arrow::fs::FinalizeS3(); });
  });
}

class S3Storage final : public RepositoryStorage {
 public:
  S3Storage(std::shared_ptr<arrow::fs::FileSystem> fs, std::string base, std::string uri)
      : fs_(std::move(fs)), base_(std::move(base)), uri_(std::move(uri)) {}

  Result<std::string> Read(const std::string& key) override {
    auto in = fs_->OpenInputStream(Path(key));
    if (!in.ok()) {
      if (in.status().IsIOError() && NotFound(key)) return Status::NotFound(Describe(key) + " does not exist");
      return FromArrow(in.status()).WithContext("reading " + Describe(key));
    }
    std::string out;
    for (;;) {
      auto buf = (*in)->Read(8 << 20);
      if (!buf.ok()) return FromArrow(buf.status()).WithContext("reading " + Describe(key));
      if ((*buf)->size() == 0) break;
      out.append(reinterpret_cast<const char*>((*buf)->data()), (*buf)->size());
    }
    return out;
  }

  Status Write(const std::string& key, std::string_view data) override {
    auto out = fs_->OpenOutputStream(Path(key));
    if (!out.ok()) return FromArrow(out.status()).WithContext("writing " + Describe(key));
    arrow::Status st = (*out)->Write(data.data(), static_cast<int64_t>(data.size()));
    if (st.ok()) st = (*out)->Close();  // the object exists only once the upload completes
    if (!st.ok()) {
      (void)(*out)->Abort();
      return FromArrow(st).WithContext("writing " + Describe(key));
    }
    return Status::OK();
  }

  Result<bool> Exists(const std::string& key) override {
    auto info = fs_->GetFileInfo(Path(key));
    if (!info.ok()) return FromArrow(info.status()).WithContext("checking " + Describe(key));
    return info->type() == arrow::fs::FileType::File;
  }

  Result<std::vector<StoredObject>> List(const std::string& prefix) override {
    arrow::fs::FileSelector sel;
    sel.base_dir = Path(prefix);
    sel.recursive = true;
    sel.allow_not_found = true;
    auto infos = fs_->GetFileInfo(sel);
    if (!infos.ok()) return FromArrow(infos.status()).WithContext("listing " + Describe(prefix));
    std::vector<StoredObject> out;
    for (const auto& i : *infos) {
      if (i.type() != arrow::fs::FileType::File) continue;
      out.push_back({i.path().substr(base_.size() + 1), i.size(),
                     std::chrono::duration_cast<std::chrono::nanoseconds>(i.mtime().time_since_epoch()).count()});
    }
    return out;
  }

  Status Delete(const std::string& key) override {
    return FromArrow(fs_->DeleteFile(Path(key))).WithContext("deleting " + Describe(key));
  }

  std::string Describe(const std::string& key) const override { return uri_ + "/" + key; }

 private:
  std::string Path(const std::string& key) const { return base_ + "/" + key; }
  bool NotFound(const std::string& key) {
    auto info = fs_->GetFileInfo(Path(key));
    return info.ok() && info->type() == arrow::fs::FileType::NotFound;
  }
  std::shared_ptr<arrow::fs::FileSystem> fs_;
  std::string base_;  // bucket/prefix
  std::string uri_;   // without query
};

const char* Env(const char* name) {
  const char* v = std::getenv(name);
  return v && *v ? v : nullptr;
}

Result<std::unique_ptr<RepositoryStorage>> OpenS3(const std::string& uri) {
  SYSTORE_RETURN_NOT_OK(EnsureS3());
  std::string path;
  auto opts = arrow::fs::S3Options::FromUri(uri, &path);
  if (!opts.ok()) return FromArrow(opts.status()).WithContext("backup repository " + uri);
  arrow::fs::S3Options o = *opts;
  // The standard variables, unless the URI set them.
  if (o.endpoint_override.empty()) {
    if (const char* ep = Env("AWS_ENDPOINT_URL")) {
      std::string e = ep;
      if (e.rfind("http://", 0) == 0) {
        o.scheme = "http";
        e = e.substr(7);
      } else if (e.rfind("https://", 0) == 0) {
        o.scheme = "https";
        e = e.substr(8);
      }
      o.endpoint_override = e;
    }
  }
  if (const char* allow = Env("AWS_ALLOW_HTTP"); allow && std::string(allow) == "true" && uri.find("scheme=") == std::string::npos &&
                                                   !o.endpoint_override.empty() && !Env("AWS_ENDPOINT_URL")) {
    o.scheme = "http";
  }
  if (const char* region = Env("AWS_REGION"); region && uri.find("region=") == std::string::npos) o.region = region;
  const char* key = Env("AWS_ACCESS_KEY_ID");
  const char* secret = Env("AWS_SECRET_ACCESS_KEY");
  if (key && secret) o.ConfigureAccessKey(key, secret, Env("AWS_SESSION_TOKEN") ? Env("AWS_SESSION_TOKEN") : "");
  o.allow_bucket_creation = true;
  o.connect_timeout = 5;
  o.request_timeout = 60;
  // An unreachable endpoint fails in seconds, not after the SDK's long default retries.
  o.retry_strategy = arrow::fs::S3RetryStrategy::GetAwsStandardRetryStrategy(3);
  auto fs = arrow::fs::S3FileSystem::Make(o);
  if (!fs.ok()) return FromArrow(fs.status()).WithContext("backup repository " + uri);
  FinalizeS3AtExit();
  while (!path.empty() && path.back() == '/') path.pop_back();
  if (path.empty()) return Status::InvalidArgument("backup repository " + uri + " names no bucket");
  // Fail now, with the endpoint named, when the server cannot be reached.
  const std::string bucket = path.substr(0, path.find('/'));
  auto info = (*fs)->GetFileInfo(bucket);
  if (!info.ok()) {
    return Status::IOError("backup repository " + uri + ": cannot reach S3 endpoint " +
                           (o.endpoint_override.empty() ? std::string("(AWS default)") : o.endpoint_override) + ": " +
                           info.status().message());
  }
  if (info->type() == arrow::fs::FileType::NotFound) {
    auto st = (*fs)->CreateDir(bucket);
    if (!st.ok()) return FromArrow(st).WithContext("creating bucket " + bucket + " for " + uri);
  }
  std::string plain = uri.substr(0, uri.find('?'));
  while (!plain.empty() && plain.back() == '/') plain.pop_back();
  return std::unique_ptr<RepositoryStorage>(new S3Storage(*fs, path, plain));
}

}  // namespace

Result<std::unique_ptr<RepositoryStorage>> RepositoryStorage::Open(const std::string& uri) {
  if (uri.empty()) return Status::InvalidArgument("no backup repository given (--repo DIR or s3://bucket/prefix)");
  if (uri.rfind("s3://", 0) == 0) return OpenS3(uri);
  std::string dir = uri.rfind("file://", 0) == 0 ? uri.substr(7) : uri;
  if (dir.find("://") != std::string::npos)
    return Status::InvalidArgument("backup repository " + uri + ": only a directory or s3://bucket/prefix is supported");
  std::error_code ec;
  dir = fs::absolute(dir, ec).lexically_normal().string();
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  SYSTORE_RETURN_NOT_OK(CreateDirectories(dir).WithContext("backup repository"));
  return std::unique_ptr<RepositoryStorage>(new LocalStorage(dir));
}

}  // namespace systore::backup
