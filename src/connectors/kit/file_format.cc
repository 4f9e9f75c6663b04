#include "connectors/kit/file_format.h"

#include <fmt/format.h>

#include <cctype>

namespace sluice {

std::string FileExtension(const FileFormatOptions& options) {
  if (options.format == FileFormat::kParquet) return "parquet";
  std::string ext = options.format == FileFormat::kCsv ? "csv" : "jsonl";
  if (options.compression == Compression::kGzip) ext += ".gz";
  return ext;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

FileFormat ReadFormatType(ConfigReader& format, FileFormat fallback) {
  if (!format.Has("format_type")) return fallback;
  if (!format.Raw("format_type").is_string()) {
    format.String("format_type", "");  // records "must be a string"
    return fallback;
  }
  const std::string type = format.String("format_type", "");
  if (EqualsIgnoreCase(type, "JSONL")) return FileFormat::kJsonl;
  if (EqualsIgnoreCase(type, "CSV")) return FileFormat::kCsv;
  if (EqualsIgnoreCase(type, "Parquet")) return FileFormat::kParquet;
  format.Fail("format_type", fmt::format("'{}' is not one of JSONL, CSV, Parquet", type));
  return fallback;
}

void ReadParquetOptions(ConfigReader& format, std::string_view default_codec, ParquetWriterOptions& out) {
  const std::string codec = format.String("compression_codec", std::string(default_codec));
  if (!ParseParquetCodec(codec, out.codec)) {
    format.Fail("compression_codec", fmt::format("'{}' is not one of UNCOMPRESSED, SNAPPY, GZIP, ZSTD", codec));
  }
  out.row_group_bytes = format.Integer("block_size_mb", 128, 1, 4096) << 20;
  out.page_bytes = format.Integer("page_size_kb", 1024, 1, 1 << 20) << 10;
  out.max_dictionary_bytes = format.Integer("dictionary_page_size_kb", 1024, 1, 1 << 20) << 10;
  out.dictionary = format.Bool("dictionary_encoding", true);
}

uint64_t ReadFileSizeMb(ConfigReader& config, int64_t default_mb) {
  return static_cast<uint64_t>(config.Integer("file_size_mb", default_mb, 1, 1 << 20)) << 20;
}

}  // namespace sluice
