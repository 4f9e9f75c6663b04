#include "connectors/sources/google_sheets/google_sheets_source.h"

#include <fmt/format.h>

#include "connectors/kit/schema_inference.h"
#include "connectors/sdk/registry.h"
#include "connectors/sources/declarative_manifest/declarative_manifest_source.h"
#include "connectors/sources/google_sheets/google_sheets_manifest.h"

namespace sluice {
namespace {

class GoogleSheetsSource final : public Source {
 public:
  ConnectorSpec Spec() const override {
    return ConnectorSpec::ForSource("https://developers.google.com/sheets/api/reference/rest", GoogleSheetsSpec(),
                                    false);
  }

  //! Reads the spreadsheet's sheet list (one request).
  Status Check(const Json& config) override { return Titles(config).status(); }

  //! One stream per grid sheet; its columns are the header row's cells (strings).
  Result<Catalog> Discover(const Json& config) override {
    SLUICE_ASSIGN_OR_RETURN(std::vector<std::string> titles, Titles(config));
    Catalog catalog;
    if (titles.empty()) return catalog;
    SLUICE_ASSIGN_OR_RETURN(Json listing, ListingManifest(config, titles));
    SLUICE_ASSIGN_OR_RETURN(std::vector<Json> headers, ReadManifestStream(listing, "headers"));
    for (const Json& sheet : headers) {
      AirbyteStream stream;
      stream.name = sheet.value("properties", Json::object()).value("title", "");
      std::vector<std::string> cells;
      const Json data = sheet.value("data", Json::array());
      if (!data.empty()) {
        const Json rows = data[0].value("rowData", Json::array());
        if (!rows.empty()) {
          for (const Json& cell : rows[0].value("values", Json::array())) cells.push_back(cell.value("formattedValue", ""));
        }
      }
      Json properties = Json::object();
      for (const std::string& name : HeaderFieldNames(cells, config.value("names_conversion", false))) {
        if (!name.empty()) properties[name] = {{"type", Json::array({"null", "string"})}};
      }
      stream.json_schema = {{"$schema", "http://json-schema.org/draft-07/schema#"}, {"type", "object"}, {"properties", properties}};
      stream.supported_sync_modes = {SyncMode::kFullRefresh};
      catalog.streams.push_back(std::move(stream));
    }
    return catalog;
  }

  Status Read(const Json& config, const ConfiguredCatalog& catalog, const StateStore& state, Emitter& out) override {
    std::vector<std::string> titles;
    for (const ConfiguredStream& s : catalog.streams) titles.push_back(s.stream.name);
    SLUICE_ASSIGN_OR_RETURN(Json manifest_config, SheetsManifest(config, titles));
    return MakeDeclarativeManifestSource()->Read(manifest_config, catalog, state, out);
  }

 private:
  static Result<std::vector<std::string>> Titles(const Json& config) {
    SLUICE_ASSIGN_OR_RETURN(Json listing, ListingManifest(config, {}));
    SLUICE_ASSIGN_OR_RETURN(std::vector<Json> sheets, ReadManifestStream(listing, "sheets"));
    std::vector<std::string> titles;
    for (const Json& s : sheets) {
      const Json p = s.value("properties", Json::object());
      if (p.value("sheetType", "GRID") != "GRID") continue;  // charts and object sheets hold no rows
      titles.push_back(p.value("title", ""));
    }
    return titles;
  }
};

}  // namespace

std::unique_ptr<Source> MakeGoogleSheetsSource() { return std::make_unique<GoogleSheetsSource>(); }

SLUICE_REGISTER_SOURCE("source-google-sheets", "Google Sheets",
                       "one stream per sheet of a spreadsheet, the header row as columns; OAuth (Sheets API v4, run as a "
                       "declarative manifest)",
                       MakeGoogleSheetsSource);

}  // namespace sluice
