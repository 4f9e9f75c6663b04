#pragma once
// The manifests shipped inside the binary (manifests/*.yaml, embedded at build time): each is a
// built-in source named source-<file name> (source-stripe, source-salesforce,
// source-google-sheets) whose spec is the manifest's and whose config is only the manifest's
// values; in a pipeline file also `source: {manifest: stripe}`.

#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"
#include "base/status.h"

namespace sluice {

struct ShippedManifestText {
  std::string_view name;  //!< the file name without .yaml: "stripe"
  std::string_view yaml;
};

//! Every shipped manifest, by name (generated from manifests/*.yaml).
const std::vector<ShippedManifestText>& ShippedManifestTexts();

//! The shipped manifest `name`, parsed. ConfigError listing the names when there is none.
Result<Json> ShippedManifest(std::string_view name);

}  // namespace sluice
