#pragma once
// The output format options every file destination shares (destination-local, destination-s3):
// the format, JSONL/CSV flattening and compression, the CSV delimiter, the Parquet writer
// options, and when a data file is rolled. Each destination keeps its own config keys for
// where the bytes go; the format keys are read here once. Pure (no I/O).

#include <cstdint>
#include <string>
#include <string_view>

#include "connectors/kit/config_reader.h"
#include "formats/parquet/parquet_writer.h"
#include "io/input_stream.h"  // Compression

namespace sluice {

enum class FileFormat { kJsonl, kCsv, kParquet };
//! JSONL/CSV: the record under _airbyte_data, or its top-level fields as columns. Parquet files
//! are always root-level flattened (typed columns).
enum class Flattening { kNone, kRootLevel };

struct FileFormatOptions {
  FileFormat format = FileFormat::kJsonl;
  Flattening flattening = Flattening::kNone;     //!< JSONL/CSV
  Compression compression = Compression::kNone;  //!< JSONL/CSV: kNone or kGzip (level 1)
  char csv_delimiter = ',';                      //!< CSV
  ParquetWriterOptions parquet;                  //!< Parquet: codec, row group, page, dictionary
  uint64_t file_size_bytes = 256ull << 20;       //!< a data file is rolled at about this size
  //! `normalization: basic` (file destinations' config key, set by a connection's setting): one
  //! dataset per flat table (normalize/file_normalization.h). Read by ReadFileDestinationConfig.
  bool normalization = false;
};

//! The extension of data files, without a leading dot: "jsonl", "csv.gz", "parquet".
std::string FileExtension(const FileFormatOptions& options);

//! `format_type` of the format object: JSONL, CSV or Parquet (any case). Absent: `fallback`;
//! anything else is a problem naming its path and the three names.
FileFormat ReadFormatType(ConfigReader& format, FileFormat fallback);

//! The Parquet keys of the format object, into `out`: compression_codec (UNCOMPRESSED, SNAPPY,
//! GZIP, ZSTD; absent: `default_codec`), block_size_mb (1..4096, default 128: the row group),
//! page_size_kb and dictionary_page_size_kb (1..1048576, default 1024), dictionary_encoding
//! (default true). Problems name the path of the key.
void ReadParquetOptions(ConfigReader& format, std::string_view default_codec, ParquetWriterOptions& out);

//! `file_size_mb` of the config (1..1048576; absent: `default_mb`), in bytes.
uint64_t ReadFileSizeMb(ConfigReader& config, int64_t default_mb);

//! Case-insensitive ASCII comparison (format names are matched so).
bool EqualsIgnoreCase(std::string_view a, std::string_view b);

}  // namespace sluice
