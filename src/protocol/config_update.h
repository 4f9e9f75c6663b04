#pragma once
// A connector's updated config: Airbyte's CONTROL message of type CONNECTOR_CONFIG
// ({"type":"CONTROL","control":{"type":"CONNECTOR_CONFIG","emitted_at":ms,
// "connectorConfig":{"config":{...the whole config...}}}}), emitted when a connector changed its
// own config while running (an OAuth token endpoint rotated a single-use refresh token), and the
// small algebra the platform and the CLI use to persist it: the changes between the config a run
// started with and the one it reported, applied later onto a stored config.
//
// Keys starting with `__injected` are the runner's (source-declarative-manifest's manifest and
// its directory): never part of the changes. Pure functions, any thread.

#include <optional>
#include <string>
#include <vector>

#include "base/json.h"

namespace sluice {

//! The CONTROL message carrying `config` (emitted_at = now).
Json ConnectorConfigControlMessage(const Json& config);
//! The config of a CONTROL CONNECTOR_CONFIG message; nullopt for any other message.
std::optional<Json> ConnectorConfigOfControl(const Json& message);

//! Writes `value` at `path` (object keys) in `config`, creating objects on the way (a non-object
//! on the way is replaced by one).
void SetConfigPath(Json& config, const std::vector<std::string>& path, Json value);
//! The value at `path`, or null when absent.
const Json* FindConfigPath(const Json& config, const std::vector<std::string>& path);

//! What `after` changes in `before`: a JSON merge patch (RFC 7386) without deletions — the
//! members of `after` whose value differs from `before`'s, recursing into objects present in both;
//! `__injected*` keys left out. An empty object when nothing changed.
Json ConfigChanges(const Json& before, const Json& after);
//! `config` with `changes` (ConfigChanges' form) merged in.
Json ApplyConfigChanges(Json config, const Json& changes);
//! The JSON pointers (RFC 6901, escaped) of the leaves `changes` sets
//! ("/credentials/refresh_token"): for messages, never the values (they are secrets).
std::vector<std::string> ConfigChangePaths(const Json& changes);

}  // namespace sluice
