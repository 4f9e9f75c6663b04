#pragma once
// destination-local: its spec, its parsed config, and the stream-folder template (path_format).
// Everything here is pure (no I/O).

#include <cstdint>
#include <string>
#include <string_view>

#include "base/json.h"
#include "base/status.h"
#include "connectors/sdk/spec.h"
#include "io/input_stream.h"  // Compression
#include "formats/parquet/parquet_writer.h"
#include "protocol/catalog.h"

namespace sluice {

enum class LocalFileFormat { kJsonl, kCsv, kParquet };

struct LocalConfig {
  std::string destination_path;                       //!< root folder; relative to the working directory
  std::string path_format = "${NAMESPACE}/${STREAM_NAME}";  //!< a stream's folder under the root
  LocalFileFormat format = LocalFileFormat::kJsonl;
  Compression compression = Compression::kNone;       //!< kNone or kGzip (JSONL, CSV)
  char csv_delimiter = ',';
  //! Parquet: codec, row group (block_size_mb), page (page_size_kb), dictionary options.
  ParquetWriterOptions parquet;
  uint64_t file_size_bytes = 256ull << 20;            //!< a part is rolled at about this size
};

//! The spec `destination-local spec` prints.
ConnectorSpec LocalDestinationSpec();

//! Reads a config (validated against the spec, defaults applied; missing keys still get their
//! defaults here). Errors are ConfigErrors naming the field.
Result<LocalConfig> ParseLocalConfig(const Json& config);

//! Expands `path_format` for one stream into a relative folder ("public/users"): variables
//! ${NAMESPACE} ${STREAM_NAME} ${YEAR} ${MONTH} ${DAY} ${HOUR} ${MINUTE} ${SECOND} (UTC, zero
//! padded) and ${EPOCH} (milliseconds) of `sync_start_micros`. Names have '/' and NUL replaced
//! by '_' ("." and ".." become "_" and "__"); empty segments (no namespace) are dropped.
//! Errors (ConfigError): an unknown or unterminated variable, a ".." segment, an absolute
//! format, or an empty result.
Result<std::string> ExpandPathFormat(std::string_view path_format, const StreamDescriptor& stream,
                                     int64_t sync_start_micros);

//! The extension of data files: "jsonl", "csv", plus ".gz" when gzip-compressed, or "parquet".
std::string DataFileExtension(const LocalConfig& config);

}  // namespace sluice
