#include "io/tar_archive.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>

#include "base/file_util.h"

namespace sluice {

namespace {

constexpr size_t kBlock = 512;
constexpr uint64_t kMaxOctalSize = 077777777777ULL;  // 11 octal digits: 8 GiB − 1

std::string ErrnoText() { return std::strerror(errno); }

void PutOctal(char* field, size_t width, uint64_t value) {
  // width − 1 digits, zero-padded, then NUL.
  for (size_t i = width - 1; i-- > 0;) {
    field[i] = static_cast<char>('0' + (value & 7));
    value >>= 3;
  }
  field[width - 1] = '\0';
}

void PutSize(char* field, uint64_t size) {
  if (size <= kMaxOctalSize) {
    PutOctal(field, 12, size);
    return;
  }
  // GNU base-256: high bit set, big-endian in the rest of the field.
  std::memset(field, 0, 12);
  field[0] = static_cast<char>(0x80);
  for (int i = 11; i >= 4; --i) {
    field[i] = static_cast<char>(size & 0xff);
    size >>= 8;
  }
}

bool ParseNumber(const unsigned char* field, size_t width, uint64_t* out) {
  uint64_t value = 0;
  if (field[0] & 0x80) {  // base-256
    for (size_t i = 1; i < width; ++i) {
      if (value >> 56) return false;
      value = (value << 8) | field[i];
    }
    *out = value;
    return true;
  }
  size_t i = 0;
  while (i < width && field[i] == ' ') ++i;
  bool any = false;
  for (; i < width && field[i] >= '0' && field[i] <= '7'; ++i) {
    if (value >> 60) return false;
    value = value * 8 + (field[i] - '0');
    any = true;
  }
  for (; i < width; ++i) {
    if (field[i] != '\0' && field[i] != ' ') return false;
  }
  *out = value;
  return any;
}

unsigned Checksum(const unsigned char* header) {
  unsigned sum = 0;
  for (size_t i = 0; i < kBlock; ++i) sum += (i >= 148 && i < 156) ? ' ' : header[i];
  return sum;
}

}  // namespace

// --- TarWriter ---

Result<TarWriter> TarWriter::Create(const std::string& path) {
  TarWriter writer;
  writer.path_ = path;
  writer.tmp_path_ = path + ".tmp-" + std::to_string(getpid());
  const int fd = open(writer.tmp_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Status::ConfigError("cannot create " + path + ": " + ErrnoText());
  writer.file_ = fdopen(fd, "wb");
  if (writer.file_ == nullptr) {
    close(fd);
    return Status::SystemError("cannot open " + writer.tmp_path_ + ": " + ErrnoText());
  }
  return writer;
}

TarWriter::TarWriter(TarWriter&& other) noexcept
    : path_(std::move(other.path_)),
      tmp_path_(std::move(other.tmp_path_)),
      file_(other.file_),
      finished_(other.finished_) {
  other.file_ = nullptr;
  other.finished_ = true;
}

TarWriter::~TarWriter() {
  if (file_ != nullptr) std::fclose(file_);
  if (!finished_ && !tmp_path_.empty()) unlink(tmp_path_.c_str());
}

Status TarWriter::WriteRaw(const void* data, size_t size) {
  if (size > 0 && std::fwrite(data, 1, size, file_) != size) {
    return Status::SystemError("writing " + path_ + ": " + ErrnoText());
  }
  return Status::Ok();
}

Status TarWriter::Pad(uint64_t size) {
  static const std::array<char, kBlock> zeros{};
  const size_t rest = size % kBlock;
  return rest == 0 ? Status::Ok() : WriteRaw(zeros.data(), kBlock - rest);
}

Status TarWriter::WriteHeader(std::string_view name, uint64_t size, int mode) {
  if (name.empty() || name.size() > 100) {
    return Status::SystemError("tar member name must be 1 to 100 bytes: " + std::string(name));
  }
  std::array<unsigned char, kBlock> header{};
  char* h = reinterpret_cast<char*>(header.data());
  std::memcpy(h, name.data(), name.size());
  PutOctal(h + 100, 8, static_cast<uint64_t>(mode & 07777));
  PutOctal(h + 108, 8, 0);  // uid
  PutOctal(h + 116, 8, 0);  // gid
  PutSize(h + 124, size);
  PutOctal(h + 136, 12, static_cast<uint64_t>(std::time(nullptr)));
  h[156] = '0';  // regular file
  std::memcpy(h + 257, "ustar", 6);  // magic with its NUL
  std::memcpy(h + 263, "00", 2);
  std::memcpy(h + 265, "sluice", 6);  // uname
  std::memcpy(h + 297, "sluice", 6);  // gname
  PutOctal(h + 148, 7, Checksum(header.data()));  // 6 digits, NUL, then the space below
  h[155] = ' ';
  return WriteRaw(header.data(), header.size());
}

Status TarWriter::AddBytes(std::string_view name, std::string_view data, int mode) {
  SLUICE_RETURN_IF_ERROR(WriteHeader(name, data.size(), mode));
  SLUICE_RETURN_IF_ERROR(WriteRaw(data.data(), data.size()));
  return Pad(data.size());
}

Status TarWriter::AddFile(std::string_view name, const std::string& source_path, int mode) {
  std::FILE* in = std::fopen(source_path.c_str(), "rb");
  if (in == nullptr) return Status::SystemError("cannot read " + source_path + ": " + ErrnoText());
  struct stat st {};
  if (fstat(fileno(in), &st) != 0) {
    std::fclose(in);
    return Status::SystemError("cannot stat " + source_path + ": " + ErrnoText());
  }
  const uint64_t size = static_cast<uint64_t>(st.st_size);
  Status status = WriteHeader(name, size, mode);
  std::vector<char> buffer(1 << 20);
  uint64_t copied = 0;
  while (status.ok() && copied < size) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(buffer.size(), size - copied));
    const size_t got = std::fread(buffer.data(), 1, want, in);
    if (got == 0) {
      status = Status::SystemError(source_path + " shrank while it was archived");
      break;
    }
    status = WriteRaw(buffer.data(), got);
    copied += got;
  }
  std::fclose(in);
  SLUICE_RETURN_IF_ERROR(status);
  return Pad(size);
}

Status TarWriter::Finish() {
  static const std::array<char, 2 * kBlock> zeros{};
  SLUICE_RETURN_IF_ERROR(WriteRaw(zeros.data(), zeros.size()));
  if (std::fflush(file_) != 0 || fsync(fileno(file_)) != 0) {
    return Status::SystemError("writing " + path_ + ": " + ErrnoText());
  }
  std::fclose(file_);
  file_ = nullptr;
  if (std::rename(tmp_path_.c_str(), path_.c_str()) != 0) {
    return Status::SystemError("cannot rename " + tmp_path_ + " to " + path_ + ": " + ErrnoText());
  }
  finished_ = true;
  return Status::Ok();
}

// --- TarReader ---

Result<TarReader> TarReader::Open(const std::string& path) {
  TarReader reader;
  reader.path_ = path;
  reader.file_ = std::fopen(path.c_str(), "rb");
  if (reader.file_ == nullptr) return Status::ConfigError("cannot open " + path + ": " + ErrnoText());
  struct stat st {};
  if (fstat(fileno(reader.file_), &st) != 0) return Status::SystemError("cannot stat " + path + ": " + ErrnoText());
  const uint64_t file_size = static_cast<uint64_t>(st.st_size);
  auto bad = [&](const std::string& why) {
    return Status::ConfigError(path + " is not a sluice backup (a tar archive): " + why);
  };
  uint64_t offset = 0;
  std::array<unsigned char, kBlock> header{};
  bool ended = false;
  while (offset + kBlock <= file_size) {
    if (std::fseek(reader.file_, static_cast<long>(offset), SEEK_SET) != 0 ||
        std::fread(header.data(), 1, kBlock, reader.file_) != kBlock) {
      return Status::SystemError("reading " + path + ": " + ErrnoText());
    }
    offset += kBlock;
    bool zero = true;
    for (unsigned char c : header) zero = zero && c == 0;
    if (zero) {
      ended = true;
      break;
    }
    uint64_t stored_sum = 0, size = 0, mode = 0;
    if (!ParseNumber(header.data() + 148, 8, &stored_sum) || stored_sum != Checksum(header.data())) {
      return bad("bad header checksum at byte " + std::to_string(offset - kBlock));
    }
    if (std::memcmp(header.data() + 257, "ustar", 5) != 0) return bad("not a ustar header");
    if (!ParseNumber(header.data() + 124, 12, &size) || !ParseNumber(header.data() + 100, 8, &mode)) {
      return bad("bad size or mode field");
    }
    if (size > file_size - offset) return bad("truncated (a member runs past the end of the file)");
    const char type = static_cast<char>(header[156]);
    if (type == '0' || type == '\0') {
      TarEntry entry;
      const char* name = reinterpret_cast<const char*>(header.data());
      entry.name.assign(name, strnlen(name, 100));
      const char* prefix = reinterpret_cast<const char*>(header.data() + 345);
      if (const size_t n = strnlen(prefix, 155); n > 0) entry.name = std::string(prefix, n) + "/" + entry.name;
      entry.size = size;
      entry.offset = offset;
      entry.mode = static_cast<int>(mode);
      reader.entries_.push_back(std::move(entry));
    }
    offset += (size + kBlock - 1) / kBlock * kBlock;
  }
  if (!ended) return bad("truncated (no end-of-archive block)");
  return reader;
}

TarReader::TarReader(TarReader&& other) noexcept
    : path_(std::move(other.path_)), file_(other.file_), entries_(std::move(other.entries_)) {
  other.file_ = nullptr;
}

TarReader::~TarReader() {
  if (file_ != nullptr) std::fclose(file_);
}

const TarEntry* TarReader::Find(std::string_view name) const {
  for (const auto& e : entries_) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

Result<std::string> TarReader::ReadSmall(const TarEntry& entry, size_t max_bytes) {
  if (entry.size > max_bytes) {
    return Status::ConfigError(path_ + ": member " + entry.name + " is larger than expected");
  }
  std::string data(static_cast<size_t>(entry.size), '\0');
  if (std::fseek(file_, static_cast<long>(entry.offset), SEEK_SET) != 0 ||
      std::fread(data.data(), 1, data.size(), file_) != data.size()) {
    return Status::SystemError("reading " + path_ + ": " + ErrnoText());
  }
  return data;
}

Status TarReader::ExtractTo(const TarEntry& entry, const std::string& dest_path) {
  const int fd = open(dest_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Status::ConfigError("cannot create " + dest_path + ": " + ErrnoText());
  if (std::fseek(file_, static_cast<long>(entry.offset), SEEK_SET) != 0) {
    close(fd);
    return Status::SystemError("reading " + path_ + ": " + ErrnoText());
  }
  std::vector<char> buffer(1 << 20);
  uint64_t left = entry.size;
  Status status;
  while (status.ok() && left > 0) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(buffer.size(), left));
    const size_t got = std::fread(buffer.data(), 1, want, file_);
    if (got != want) {
      status = Status::SystemError("reading " + path_ + ": " + ErrnoText());
      break;
    }
    if (WriteAll(fd, std::string_view(buffer.data(), got)) != 0) {
      status = Status::SystemError("writing " + dest_path + ": " + ErrnoText());
    }
    left -= got;
  }
  if (status.ok() && fsync(fd) != 0) status = Status::SystemError("writing " + dest_path + ": " + ErrnoText());
  close(fd);
  return status;
}

}  // namespace sluice
