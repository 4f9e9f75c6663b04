#pragma once
// source-declarative-manifest: REST API sources from Airbyte's declarative (low-code) YAML
// manifests, configured as Airbyte's connector of that name is — the parsed manifest under the
// config key `__injected_declarative_manifest`, beside the manifest's own config values.

#include <memory>
#include <string>
#include <vector>

#include "base/json.h"
#include "base/status.h"
#include "connectors/sdk/source.h"

namespace sluice {

//! The config key holding the manifest (Airbyte's).
inline constexpr const char* kInjectedManifestKey = "__injected_declarative_manifest";
//! sluice's config key for the directory relative JsonFileSchemaLoader paths start from
//! (pipeline files set it to the manifest file's directory).
inline constexpr const char* kManifestDirectoryKey = "__injected_manifest_directory";

std::unique_ptr<Source> MakeDeclarativeManifestSource();

//! The records of stream `stream` of the manifest in `config` (source-declarative-manifest's
//! config shape), read in full (or `max_pages` pages, 0 = all) without state: what connectors
//! that build manifests from their config use to look around first (Google Sheets' sheet names).
//! I/O; errors as Read's.
Result<std::vector<Json>> ReadManifestStream(const Json& config, const std::string& stream, int64_t max_pages = 0);

//! The manifest's own spec (its `spec.connection_specification`), for `spec` with a config
//! that carries a manifest.
Result<ConnectorSpec> DeclarativeManifestSpec(const Json& manifest);

//! Checks a manifest without sending a request: references resolve, it has streams and a
//! `spec.connection_specification`, and every component is one this runtime supports (each
//! stream is built with an empty config). A ConfigError naming the path in the manifest
//! ("manifest $.streams[0].retriever.requester.authenticator.type: …"). Pure apart from
//! creating (not using) an HTTP transport.
Status ValidateDeclarativeManifest(const Json& manifest);

//! Limits of a test read (Airbyte's connector builder: record_limit, page_limit, slice_limit).
struct TestReadLimits {
  int64_t records = 100;
  int64_t pages = 5;
  int64_t slices = 5;
};

//! The connector builder's "test a stream" (its `POST /v1/stream/read` answer): reads stream
//! `stream` of the manifest in `config` (source-declarative-manifest's config shape) until a
//! limit, watching every HTTP exchange through an observing transport (nothing else of the read
//! loop changes). Answers {logs: [{level, message}], slices: [{slice_descriptor, state, pages:
//! [{request: {url, http_method, headers, body}, response: {status, headers, body}, records}]}],
//! test_read_limit_reached, inferred_schema}. Slices are cut where an incremental read
//! checkpoints (a full-refresh read is one slice); each record belongs to the page requested
//! last. Credentials are redacted here by name (Authorization, Cookie, *key*, *token*, *secret*,
//! *password* headers and query parameters; access/refresh/id tokens in response bodies); the
//! caller also redacts the config's secret values. A failed read is a log line, not an error;
//! errors are only a bad config or an unknown stream (ConfigError).
Result<Json> TestReadManifestStream(const Json& config, const std::string& stream, const TestReadLimits& limits);

}  // namespace sluice
