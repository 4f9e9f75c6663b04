#pragma once
// source-google-sheets: one stream per sheet of a spreadsheet, the header row as columns (all
// strings, as Airbyte's), through the Sheets API v4 — run as declarative manifests made from the
// config (google_sheets_manifest.h) by source-declarative-manifest's runtime. OAuth (refresh
// token) or a service account's self-signed JWT (RS256).

#include <memory>

#include "connectors/sdk/source.h"

namespace sluice {

std::unique_ptr<Source> MakeGoogleSheetsSource();

}  // namespace sluice
