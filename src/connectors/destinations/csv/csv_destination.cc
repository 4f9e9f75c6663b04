// destination-csv: Airbyte's Local CSV connector's config (destination_path, delimiter_type),
// written by destination-local's writer as CSV. Only the config shape is this folder's.

#include "connectors/destinations/local/local_config.h"
#include "connectors/destinations/local/local_destination.h"
#include "connectors/kit/config_reader.h"
#include "connectors/sdk/registry.h"

namespace sluice {
namespace {

// Airbyte's Local CSV keys (destination_path, delimiter_type) plus the folder template and file
// size of destination-local, whose writer it is.
constexpr const char* kCsvSpec = R"json({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "title": "Local CSV Destination Spec",
  "description": "Airbyte's destination-csv config, written by destination-local as CSV: the _airbyte_* columns, then one column per top-level field (nested values as JSON text). Unlike Airbyte's (which writes under /tmp/airbyte_local), destination_path is used as given.",
  "type": "object",
  "required": ["destination_path"],
  "additionalProperties": false,
  "properties": {
    "destination_path": {
      "type": "string",
      "title": "Destination Path",
      "description": "Root folder of the output; created if missing. A relative path is relative to the working directory of sluice.",
      "examples": ["/data/csv"],
      "order": 0
    },
    "delimiter_type": {
      "type": "object",
      "title": "Delimiter",
      "description": "The character between cells (Airbyte's choices; the value is also accepted as the character itself).",
      "default": {"delimiter": "\\u002c"},
      "order": 1,
      "oneOf": [
        {"title": "Comma", "type": "object", "required": ["delimiter"], "properties": {"delimiter": {"type": "string", "enum": ["\\u002c", ","]}}},
        {"title": "Semicolon", "type": "object", "required": ["delimiter"], "properties": {"delimiter": {"type": "string", "enum": ["\\u003b", ";"]}}},
        {"title": "Pipe", "type": "object", "required": ["delimiter"], "properties": {"delimiter": {"type": "string", "enum": ["\\u007c", "|"]}}},
        {"title": "Tab", "type": "object", "required": ["delimiter"], "properties": {"delimiter": {"type": "string", "enum": ["\\u0009", "\t"]}}},
        {"title": "Space", "type": "object", "required": ["delimiter"], "properties": {"delimiter": {"type": "string", "enum": ["\\u0020", " "]}}}
      ]
    },
    "path_format": {
      "type": "string",
      "title": "Stream Folder Format (sluice)",
      "description": "Folder of a stream under the root; the variables of destination-local's path_format.",
      "default": "${NAMESPACE}/${STREAM_NAME}",
      "order": 2
    },
    "file_size_mb": {
      "type": "integer",
      "title": "File Size (MB) (sluice)",
      "description": "A data file is closed and the next one started at about this size.",
      "default": 256,
      "minimum": 1,
      "maximum": 1048576,
      "order": 3
    }
  }
})json";

void ReadLocalCsvConfig(ConfigReader& r, LocalConfig& c) {
  ReadLocalFolderKeys(r, c);
  c.format = FileFormat::kCsv;
  c.flattening = Flattening::kRootLevel;
  ConfigReader delimiter_type = r.Object("delimiter_type");
  ReadCsvDelimiter(delimiter_type, "delimiter", delimiter_type.String("delimiter", ","), c);
}

ConnectorSpec CsvDestinationSpec() { return FileDestinationSpec(kCsvSpec, "csv"); }

Result<LocalConfig> ParseCsvDestinationConfig(const Json& config) {
  return ReadFileDestinationConfig<LocalConfig>(config, ReadLocalCsvConfig);
}

std::unique_ptr<Destination> MakeCsvDestination() {
  return MakeLocalDestinationWithConfig(CsvDestinationSpec, ParseCsvDestinationConfig);
}

}  // namespace

SLUICE_REGISTER_DESTINATION("destination-csv", "Local CSV",
                            "CSV files under a folder, configured as Airbyte's Local CSV (destination-local's writer)",
                            MakeCsvDestination);

}  // namespace sluice
