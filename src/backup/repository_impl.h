// The BackupRepository implementation shared by backup_repository.cc (create, list,
// verify, prune) and restore.cc (restore, point-in-time recovery).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "backup/manifest.h"
#include "backup/repository_storage.h"
#include "systore/backup.h"

namespace systore::backup {

inline constexpr const char* kManifestDir = "backups";
inline constexpr const char* kObjectDir = "objects";

class RepositoryImpl final : public BackupRepository {
 public:
  RepositoryImpl(std::string uri, std::unique_ptr<RepositoryStorage> storage)
      : uri_(std::move(uri)), storage_(std::move(storage)) {}

  const std::string& uri() const override { return uri_; }
  Result<BackupInfo> Create(const BackupCreateOptions& options) override;
  Result<std::vector<BackupInfo>> List() override;
  Result<BackupVerifyReport> Verify(const std::string& id) override;
  Result<BackupPruneResult> Prune(const BackupPruneOptions& options) override;
  Result<RestoreReport> Restore(const RestoreOptions& options) override;

  /// Every complete backup's manifest, oldest first. A manifest that does not parse is
  /// Corruption naming it.
  Result<std::vector<Manifest>> Manifests();
  Result<Manifest> LoadManifest(const std::string& id);
  /// An object's bytes, checked against `file`'s size and SHA-256 (Corruption naming
  /// the backed-up path and the object when they differ).
  Result<std::string> ReadChecked(const ManifestFile& file);

  RepositoryStorage& storage() { return *storage_; }

 private:
  std::string uri_;
  std::unique_ptr<RepositoryStorage> storage_;
};

}  // namespace systore::backup
