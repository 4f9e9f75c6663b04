#include "security/secret_key.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>
#include <sodium.h>

#include "base/file_util.h"
#include "security/sodium_util.h"

namespace sluice {

namespace {

std::string_view TrimWhitespace(std::string_view s) {
  const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// Reads the whole key file, refusing one that group or others can access.
Result<std::string> ReadKeyFile(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    if (err == ENOENT) return Status::ConfigError(fmt::format("key file '{}' does not exist", path));
    return Status::ConfigError(fmt::format("cannot open key file '{}': {}", path, std::strerror(err)));
  }
  struct stat st{};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return Status::ConfigError(fmt::format("key file '{}' is not a regular file", path));
  }
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    close(fd);
    return Status::ConfigError(
        fmt::format("key file '{}' has permissions {:04o}: it must be accessible by its owner only "
                    "(run: chmod 600 '{}')",
                    path, st.st_mode & 07777, path));
  }
  std::string content;
  char buf[512];
  for (;;) {
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      close(fd);
      return Status::ConfigError(fmt::format("cannot read key file '{}': {}", path, std::strerror(err)));
    }
    if (n == 0) break;
    content.append(buf, static_cast<size_t>(n));
    if (content.size() > 4096) break;  // a key is 44 characters; do not slurp a wrong file
  }
  sodium_memzero(buf, sizeof buf);
  close(fd);
  return content;
}

// Writes a new random key to `path` unless a file is there already (then leaves it alone).
Status CreateKeyFile(const std::string& path) {
  namespace fs = std::filesystem;
  const fs::path p(path);
  std::error_code ec;
  if (p.has_parent_path()) fs::create_directories(p.parent_path(), ec);
  SLUICE_ASSIGN_OR_RETURN(SecretBox box, SecretBox::WithRandomKey());
  std::string text = Base64Encode(box.key(), Base64Variant::kStandard) + "\n";
  const std::string tmp = fmt::format("{}.tmp.{}", path, getpid());
  unlink(tmp.c_str());
  const int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    return Status::ConfigError(fmt::format("cannot create key file '{}': {}", path, std::strerror(errno)));
  }
  int err = WriteAll(fd, text);
  sodium_memzero(text.data(), text.size());
  if (err == 0 && fsync(fd) != 0) err = errno;
  if (close(fd) != 0 && err == 0) err = errno;
  if (err == 0 && link(tmp.c_str(), path.c_str()) != 0 && errno != EEXIST) err = errno;  // EEXIST: lost a race
  unlink(tmp.c_str());
  if (err != 0) return Status::ConfigError(fmt::format("cannot create key file '{}': {}", path, std::strerror(err)));
  const std::string dir = p.has_parent_path() ? p.parent_path().string() : ".";
  if (const int dfd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dfd >= 0) {
    fsync(dfd);
    close(dfd);
  }
  return Status::Ok();
}

}  // namespace

Result<SecretBox> SecretBoxFromBase64Key(std::string_view base64_key, std::string_view origin) {
  SLUICE_RETURN_IF_ERROR(EnsureSodium());
  Result<std::string> key = Base64Decode(TrimWhitespace(base64_key), Base64Variant::kStandard);
  if (!key.ok() || key->size() != SecretBox::kKeyBytes) {
    if (key.ok()) sodium_memzero(key->data(), key->size());
    return Status::ConfigError(fmt::format("{} must hold the base64 of {} random bytes (e.g. `openssl rand -base64 {}`)",
                                           origin, SecretBox::kKeyBytes, SecretBox::kKeyBytes));
  }
  Result<SecretBox> box = SecretBox::FromKey(*key);
  sodium_memzero(key->data(), key->size());
  return box;
}

Result<SecretBox> SecretBoxFromKeyFile(const std::string& path, bool create_if_missing) {
  if (create_if_missing && access(path.c_str(), F_OK) != 0 && errno == ENOENT) {
    SLUICE_RETURN_IF_ERROR(CreateKeyFile(path));
  }
  SLUICE_ASSIGN_OR_RETURN(std::string text, ReadKeyFile(path));
  Result<SecretBox> box = SecretBoxFromBase64Key(text, fmt::format("key file '{}'", path));
  sodium_memzero(text.data(), text.size());
  return box;
}

Result<LoadedSecretKey> LoadSecretKey(const std::string& data_dir) {
  const char* env = std::getenv(std::string(kSecretKeyEnvVar).c_str());
  if (env != nullptr && *env != '\0') {
    SLUICE_ASSIGN_OR_RETURN(SecretBox box, SecretBoxFromBase64Key(env, kSecretKeyEnvVar));
    return LoadedSecretKey{std::move(box), std::string(kSecretKeyEnvVar), false};
  }
  const std::string path = (std::filesystem::path(data_dir) / kSecretKeyFileName).string();
  const bool existed = access(path.c_str(), F_OK) == 0;
  SLUICE_ASSIGN_OR_RETURN(SecretBox box, SecretBoxFromKeyFile(path, /*create_if_missing=*/true));
  return LoadedSecretKey{std::move(box), path, !existed};
}

}  // namespace sluice
