#include "connection/connection_settings.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <string_view>

#include "base/text.h"

namespace sluice {

namespace {

bool Supports(const AirbyteStream& s, SyncMode mode) {
  if (s.supported_sync_modes.empty()) return mode == SyncMode::kFullRefresh;
  return std::find(s.supported_sync_modes.begin(), s.supported_sync_modes.end(), mode) != s.supported_sync_modes.end();
}

std::string ModesText(const AirbyteStream& s) {
  std::vector<std::string> names;
  for (auto m : s.supported_sync_modes) names.emplace_back(SyncModeName(m));
  return names.empty() ? "full_refresh" : JoinText(names);
}

std::string DestModesText(const ConnectorSpec& spec) {
  std::vector<std::string> names;
  for (auto m : spec.supported_destination_sync_modes) names.emplace_back(DestinationSyncModeName(m));
  return JoinText(names);
}

//! The top-level field names of a stream's schema, for messages.
std::string FieldNames(const AirbyteStream& s) {
  std::vector<std::string> names;
  auto props = s.json_schema.find("properties");
  if (props != s.json_schema.end() && props->is_object()) {
    for (const auto& [name, unused] : props->items()) names.push_back(name);
  }
  return JoinText(names);
}

//! False only when the schema lists properties and `path` is not among them (schemas without
//! `properties` at some level accept anything below it).
bool HasField(const Json& schema, const FieldPath& path) {
  const Json* node = &schema;
  for (const auto& part : path) {
    if (!node->is_object()) return true;
    auto props = node->find("properties");
    if (props == node->end() || !props->is_object()) return true;
    auto it = props->find(part);
    if (it == props->end()) return false;
    node = &*it;
  }
  return true;
}

std::string StreamList(const Catalog& catalog) {
  std::vector<std::string> names;
  for (const auto& s : catalog.streams) names.push_back(s.descriptor().ToString());
  return names.empty() ? "none" : JoinText(names);
}

class CatalogBuilder {
 public:
  CatalogBuilder(const ConnectionSettings& p, const Catalog& discovered, const ConnectorSpec& dest)
      : pipeline_(p), discovered_(discovered), dest_(dest) {}

  Result<ConfiguredCatalog> Build() {
    ConfiguredCatalog out;
    if (!pipeline_.streams) {
      for (const auto& stream : discovered_.streams) {
        StreamSelection defaults;
        defaults.name = stream.name;
        defaults.location = pipeline_.origin;
        Configure(defaults, stream, out);
      }
    } else {
      std::set<size_t> used;
      for (const auto& ps : *pipeline_.streams) {
        if (!ps.selected) continue;
        const AirbyteStream* stream = Match(ps);
        if (stream == nullptr) continue;
        if (!used.insert(static_cast<size_t>(stream - discovered_.streams.data())).second) {
          Fail(ps, fmt::format("stream '{}' is selected twice", stream->descriptor().ToString()));
          continue;
        }
        Configure(ps, *stream, out);
      }
    }
    if (errors_.empty() && out.streams.empty()) {
      Fail(pipeline_.origin, fmt::format("no stream selected (the source has: {})", StreamList(discovered_)));
    }
    if (!errors_.empty()) return Status::ConfigError(JoinText(errors_, "\n"));
    SLUICE_RETURN_IF_ERROR(out.Bind());
    return out;
  }

 private:
  void Fail(const std::string& location, std::string_view message) {
    errors_.push_back(fmt::format("{}: {}", location, message));
  }
  void Fail(const StreamSelection& ps, std::string_view message) { Fail(ps.location, message); }

  const AirbyteStream* Match(const StreamSelection& ps) {
    std::vector<const AirbyteStream*> found;
    std::vector<std::string> names;
    for (const auto& s : discovered_.streams) {
      names.push_back(s.name);
      if (s.name == ps.name && (!ps.namespace_ || s.namespace_ == ps.namespace_)) found.push_back(&s);
    }
    if (found.size() == 1) return found[0];
    const std::string wanted = StreamDescriptor{ps.name, ps.namespace_}.ToString();
    std::vector<std::string> other_namespaces;
    for (const auto& s : discovered_.streams) {
      if (s.name == ps.name) other_namespaces.push_back(s.namespace_.value_or("(none)"));
    }
    if (found.empty() && !other_namespaces.empty()) {
      Fail(ps, fmt::format("stream '{}' is not in the source's catalog; '{}' is in namespace {}", wanted, ps.name,
                           JoinText(other_namespaces)));
    } else if (found.empty()) {
      Fail(ps, fmt::format("stream '{}' is not in the source's catalog (streams: {}){}", wanted,
                           StreamList(discovered_), DidYouMean(ps.name, names)));
    } else {
      std::vector<std::string> namespaces;
      for (const auto* s : found) namespaces.push_back(s->namespace_.value_or("(none)"));
      Fail(ps, fmt::format("stream '{}' exists in several namespaces ({}); add namespace: to choose", wanted,
                           JoinText(namespaces)));
    }
    return nullptr;
  }

  void Configure(const StreamSelection& ps, const AirbyteStream& stream, ConfiguredCatalog& out) {
    const std::string name = stream.descriptor().ToString();
    const bool source_cursor = stream.source_defined_cursor.value_or(false);
    const bool has_default_cursor = source_cursor || !stream.default_cursor_field.empty();
    const size_t errors_before = errors_.size();

    ConfiguredStream cs;
    cs.stream = stream;
    const StreamModes defaults = DefaultModes(stream.supported_sync_modes, has_default_cursor, &dest_);
    cs.sync_mode = ps.sync_mode.value_or(defaults.sync);
    if (!Supports(stream, cs.sync_mode)) {
      Fail(ps, fmt::format("stream '{}' does not support {} sync (it supports: {})", name, SyncModeName(cs.sync_mode),
                           ModesText(stream)));
    }

    if (ps.destination_sync_mode) {
      cs.destination_sync_mode = *ps.destination_sync_mode;
    } else {
      // A user's full refresh on a stream whose default is incremental still gets the full
      // refresh default.
      cs.destination_sync_mode = DefaultModes({cs.sync_mode}, false, &dest_).destination;
    }
    // A destination that declares no modes is not second-guessed.
    if (!dest_.supported_destination_sync_modes.empty() && !dest_.Supports(cs.destination_sync_mode)) {
      Fail(ps, fmt::format("stream '{}': the destination does not support {} (it supports: {})", name,
                           DestinationSyncModeName(cs.destination_sync_mode), DestModesText(dest_)));
    }

    if (source_cursor && ps.cursor_field && !stream.default_cursor_field.empty() &&
        *ps.cursor_field != stream.default_cursor_field) {
      Fail(ps, fmt::format("stream '{}' has a source-defined cursor ({}); remove cursor_field", name,
                           FieldPathText(stream.default_cursor_field)));
    }
    cs.cursor_field = ps.cursor_field && !source_cursor ? *ps.cursor_field : stream.default_cursor_field;
    if (ps.cursor_field && !HasField(stream.json_schema, *ps.cursor_field)) {
      Fail(ps, fmt::format("cursor field '{}' is not a field of stream '{}' (fields: {})", FieldPathText(*ps.cursor_field),
                           name, FieldNames(stream)));
    }
    if (cs.sync_mode == SyncMode::kIncremental && cs.cursor_field.empty() && !source_cursor) {
      Fail(ps, fmt::format("stream '{}' is incremental but has no cursor: set cursor_field (fields: {})", name,
                           FieldNames(stream)));
    }

    cs.primary_key = ps.primary_key ? *ps.primary_key : stream.source_defined_primary_key;
    if (ps.primary_key) {
      for (const auto& column : *ps.primary_key) {
        if (!HasField(stream.json_schema, column)) {
          Fail(ps, fmt::format("primary key field '{}' is not a field of stream '{}' (fields: {})", FieldPathText(column),
                               name, FieldNames(stream)));
        }
      }
    }
    if (cs.destination_sync_mode == DestinationSyncMode::kAppendDedup && cs.primary_key.empty()) {
      Fail(ps, fmt::format("stream '{}' is deduped (append_dedup) but has no primary key: set primary_key", name));
    }
    if (errors_.size() == errors_before) out.streams.push_back(std::move(cs));
  }

  const ConnectionSettings& pipeline_;
  const Catalog& discovered_;
  const ConnectorSpec& dest_;
  std::vector<std::string> errors_;
};

}  // namespace

StreamModes DefaultModes(const std::vector<SyncMode>& supported, bool has_default_cursor,
                         const ConnectorSpec* destination) {
  auto supports = [&](SyncMode mode) {
    if (supported.empty()) return mode == SyncMode::kFullRefresh;
    return std::find(supported.begin(), supported.end(), mode) != supported.end();
  };
  StreamModes modes;
  modes.sync = (supports(SyncMode::kIncremental) && has_default_cursor) || !supports(SyncMode::kFullRefresh)
                   ? SyncMode::kIncremental
                   : SyncMode::kFullRefresh;
  modes.destination = DestinationSyncMode::kAppend;
  if (modes.sync == SyncMode::kFullRefresh &&
      (destination == nullptr || destination->supported_destination_sync_modes.empty() ||
       destination->Supports(DestinationSyncMode::kOverwrite))) {
    modes.destination = DestinationSyncMode::kOverwrite;
  }
  return modes;
}

std::string FieldPathText(const FieldPath& path) { return JoinText(path, "."); }

Result<ConfiguredCatalog> BuildConfiguredCatalog(const ConnectionSettings& settings, const Catalog& discovered,
                                                 const ConnectorSpec& destination_spec) {
  return CatalogBuilder(settings, discovered, destination_spec).Build();
}


ConfiguredCatalog MapToDestination(const ConfiguredCatalog& source_catalog, const ConnectionSettings& settings) {
  ConfiguredCatalog out = source_catalog;
  for (auto& s : out.streams) {
    switch (settings.namespace_definition) {
      case NamespaceDefinition::kSource:
        break;
      case NamespaceDefinition::kDestination:
        s.stream.namespace_.reset();
        break;
      case NamespaceDefinition::kCustom: {
        static constexpr std::string_view kPlaceholder = "${SOURCE_NAMESPACE}";
        std::string ns = settings.namespace_format;
        const std::string source_ns = s.stream.namespace_.value_or("");
        for (size_t at = ns.find(kPlaceholder); at != std::string::npos;
             at = ns.find(kPlaceholder, at + source_ns.size())) {
          ns.replace(at, kPlaceholder.size(), source_ns);
        }
        s.stream.namespace_ = ns.empty() ? std::nullopt : std::optional<std::string>(ns);
        break;
      }
    }
    s.stream.name = settings.prefix + s.stream.name;
  }
  return out;
}

Status ApplyNormalization(const ConnectionSettings& settings, const ConnectorSpec& destination_spec,
                          std::string_view destination_name, Json& destination_config) {
  if (settings.normalization == Normalization::kUnset) return Status::Ok();
  const Json& spec = destination_spec.connection_specification;
  const bool supported = spec.is_object() && spec.contains("properties") && spec["properties"].is_object() &&
                         spec["properties"].contains("normalization");
  if (!supported) {
    if (settings.normalization == Normalization::kNone) return Status::Ok();
    return Status::ConfigError(fmt::format(
        "{}: normalization: {} cannot normalize (destination-postgres, destination-local and destination-s3 can); remove the setting or choose none",
        settings.origin, destination_name));
  }
  if (!destination_config.is_object()) destination_config = Json::object();
  destination_config["normalization"] = settings.normalization == Normalization::kBasic ? "basic" : "none";
  return Status::Ok();
}

}  // namespace sluice
