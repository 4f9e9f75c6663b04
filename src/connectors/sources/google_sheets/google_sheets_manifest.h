#pragma once
// The manifests source-google-sheets runs (pure functions of the config; no I/O here):
//   ListingManifest  — streams `sheets` (spreadsheets.get: every sheet's properties) and
//                      `headers` (spreadsheets.get with includeGridData over 'Title'!1:1 ranges)
//   SheetsManifest   — one stream per sheet title: values.get of the whole sheet, rows turned into
//                      records by sluice's HeaderRowsExtractor.
// Each is source-declarative-manifest's config: the manifest beside the config's values. The
// OAuth token is refreshed by the runtime's OAuthAuthenticator from config.credentials; a service
// account's key (parsed into the values as __service_account) signs JWTs (JwtAuthenticator).

#include <string>
#include <vector>

#include "base/json.h"
#include "base/status.h"

namespace sluice {

//! The JSON Schema of the config (Airbyte's source-google-sheets keys, plus sluice's
//! api_base_url and token_url).
Json GoogleSheetsSpec();

//! The spreadsheet id of `spreadsheet_id` (an id, or a docs.google.com/spreadsheets/d/<id>/… link).
std::string SpreadsheetIdOf(const std::string& spreadsheet_id);

//! The listing manifest's config (see above) for `titles` (empty: `headers` is left out).
Result<Json> ListingManifest(const Json& config, const std::vector<std::string>& titles);

//! The manifest's config with one stream per title in `titles`.
Result<Json> SheetsManifest(const Json& config, const std::vector<std::string>& titles);

//! The A1 range of a whole sheet, quoted and percent-encoded for a URL path: 'My Sheet' → %27My%20Sheet%27.
std::string SheetRangePath(const std::string& title, const std::string& suffix = "");

}  // namespace sluice
