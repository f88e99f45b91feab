// POSIX file helpers with the durability rules systore relies on (fsync of files and of
// the directories that name them). Errors name the path and the OS error.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "systore/result.h"

namespace systore {

/// Reads a whole file. NotFound if it does not exist.
Result<std::string> ReadFileToString(const std::string& path);

/// Writes `data` to `path` (truncating), fsyncs it, then fsyncs the parent directory.
Status WriteFileDurably(const std::string& path, std::string_view data);

/// Atomically creates `path` with `data` only if `path` does not exist yet:
/// the data goes to a temporary file that is fsynced and then hard-linked to `path`
/// (link(2) fails if the name exists). AlreadyExists when another writer won.
Status CreateFileExclusive(const std::string& path, std::string_view data);

/// Atomically replaces `path` with `data` (temp file, fsync, rename, fsync dir).
Status ReplaceFileAtomically(const std::string& path, std::string_view data);

Status FsyncPath(const std::string& path);
Status CreateDirectories(const std::string& path);
bool PathExists(const std::string& path);
/// Entries (names, not paths) of a directory; NotFound if it does not exist.
Result<std::vector<std::string>> ListDirectory(const std::string& path);
Status RemoveFile(const std::string& path);

/// 32 random hex characters, for unique file names.
std::string RandomHexId();

/// Lowercase hex SHA-256 of `data`.
std::string Sha256Hex(std::string_view data);

}  // namespace systore
