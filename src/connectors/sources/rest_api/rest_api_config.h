#pragma once
// source-rest-api's config (the seed's simple "REST API" source) and its translation into a
// declarative manifest that source-declarative-manifest runs — no second HTTP or pagination code.
//
//   spec (RestApiSpec, snake_case keys)      config as written ("URL Base", "Authentication": …)
//        │                                          │
//        └──── SpellSpecLike(spec, config) ─────────┤  the spec in the config's own spelling:
//                                                   │  what it is validated and masked by
//                                  NormalizeRestApiConfig(config)
//                                                   │  keys by spelling, labels → canonical values
//                                   RestApiManifest(normalized)
//                                                   ▼
//                 {__injected_declarative_manifest: manifest, …normalized values}
//
// Spelling: a key matches a spec property when both are equal after lower-casing and turning
// spaces and hyphens into underscores ("URL Base" → url_base, "HTTP Method" → http_method).
// Labels: an enum value matches when equal ignoring case and non-alphanumerics ("GET" / "get",
// "API Key" / api_key), or by the aliases listed in README.md ("Bearer Token" → bearer, "Basic
// Auth" → basic, "Page Number" → page …). Keys the spec does not know are kept as written (free
// values such as start_date, visible to templates as config['start_date']); a top-level one is
// also visible under its normalized spelling. The keys inside params / headers / body are the
// API's and never renamed. All functions are pure.

#include <string>
#include <string_view>

#include "base/json.h"
#include "base/status.h"

namespace sluice {

//! The JSON Schema of source-rest-api's config, in the canonical (snake_case) keys.
Json RestApiSpec();

//! "URL Base" → "url_base": lower case, runs of spaces / hyphens / underscores → one underscore.
std::string NormalizeKeySpelling(std::string_view key);

//! `schema` with its property names (and `required` entries, and enum values) spelled as in
//! `config`, so the config as written validates against it and its secrets are found.
Json SpellSpecLike(const Json& schema, const Json& config);

//! The config with every key the spec knows in its canonical spelling and every enum label as the
//! canonical value. Never fails (what it cannot map is left for validation to name).
Json NormalizeRestApiConfig(const Json& config);

//! The declarative manifest for a normalized, validated config (defaults applied). Secrets stay
//! in the config: the manifest reads them through templates (`config['authentication']['token']`),
//! so it can be shown or logged. Config errors name the config path ($.endpoints[1].pagination…).
Result<Json> RestApiManifest(const Json& config);

}  // namespace sluice
