#pragma once
// destination-local: its spec, its parsed config, and the stream-folder template (path_format).
// The format options and the path template are the kit's (connectors/kit/), shared with destination-s3.
// Everything here is pure (no I/O).

#include <cstdint>
#include <string>
#include <string_view>

#include "base/json.h"
#include "base/status.h"
#include "connectors/kit/config_reader.h"
#include "connectors/sdk/spec.h"
#include "connectors/kit/file_format.h"
#include "protocol/catalog.h"

namespace sluice {

using LocalFileFormat = FileFormat;

//! The format options (connectors/kit/file_format.h; JSONL keeps the record under _airbyte_data,
//! CSV has a column per top-level field) and where the files go.
struct LocalConfig : FileFormatOptions {
  std::string destination_path;                             //!< root folder; relative to the working directory
  std::string path_format = "${NAMESPACE}/${STREAM_NAME}";  //!< a stream's folder under the root
};

//! The spec `destination-local spec` prints.
ConnectorSpec LocalDestinationSpec();

//! Reads a config (validated against the spec, defaults applied; missing keys still get their
//! defaults here). Errors are ConfigErrors naming the JSON path of each bad value.
Result<LocalConfig> ParseLocalConfig(const Json& config);

//! Reads destination_path and path_format into `c` (also used by destination-csv, whose config
//! shares these keys). Failures are recorded on `r` under the key's path.
void ReadLocalFolderKeys(ConfigReader& r, LocalConfig& c);

//! Sets c.csv_delimiter from `text`: one character other than a quote or a line break; "\\t" and
//! a JSON escape written as text ("\\u002c", Airbyte's destination-csv enum) are accepted too.
//! Otherwise fails `key` on `r`.
void ReadCsvDelimiter(ConfigReader& r, std::string_view key, std::string text, LocalConfig& c);

//! Expands `path_format` (a path template, connectors/kit/path_template.h) for one stream into
//! a relative folder ("public/users"); `uuid` is ${UUID}. Empty segments (no namespace) and "."
//! segments are dropped. Errors (ConfigError): an unknown or unterminated variable, a ".."
//! segment, an absolute format, or an empty result.
Result<std::string> ExpandPathFormat(std::string_view path_format, const StreamDescriptor& stream,
                                     int64_t sync_start_micros, std::string_view uuid = {});

//! The extension of data files: "jsonl", "csv", plus ".gz" when gzip-compressed, or "parquet".
inline std::string DataFileExtension(const LocalConfig& config) { return FileExtension(config); }

}  // namespace sluice
