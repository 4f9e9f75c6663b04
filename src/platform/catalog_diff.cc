#include "platform/catalog_diff.h"

#include <fmt/format.h>

#include <map>
#include <utility>

#include "base/text.h"

namespace sluice {

StreamKey StreamKeyOf(const Json& stream) {
  StreamKey key{std::nullopt, stream.value("name", "")};
  if (auto it = stream.find("namespace"); it != stream.end() && it->is_string()) key.first = it->get<std::string>();
  return key;
}

namespace {

StreamDescriptor DescriptorOf(const StreamKey& key) { return StreamDescriptor{key.second, key.first}; }

const Json& EmptyObject() {
  static const Json empty = Json::object();
  return empty;
}

const Json& Properties(const Json& schema) {
  if (!schema.is_object()) return EmptyObject();
  auto it = schema.find("properties");
  return it != schema.end() && it->is_object() ? *it : EmptyObject();
}

// The JSON kind of a schema the internal types call json: "object", "array" or "" (anything).
std::string JsonKind(const Json& schema) {
  if (!schema.is_object()) return "";
  if (auto t = schema.find("type"); t != schema.end()) {
    std::vector<std::string> names;
    if (t->is_string()) names.push_back(t->get<std::string>());
    if (t->is_array()) {
      for (const auto& v : *t) {
        if (v.is_string() && v != "null") names.push_back(v.get<std::string>());
      }
    }
    if (names.size() == 1 && (names[0] == "object" || names[0] == "array")) return names[0];
  }
  if (schema.contains("properties")) return "object";
  return "";
}

std::string TypeText(const Json& schema) {
  const TypeId t = TypeFromJsonSchema(schema);
  if (t != TypeId::kJson) return std::string(TypeName(t));
  const std::string kind = JsonKind(schema);
  return kind.empty() ? "json" : kind;
}

std::vector<FieldPath> PathList(const Json& value) {
  std::vector<FieldPath> out;
  if (!value.is_array()) return out;
  for (const auto& p : value) {
    if (!p.is_array()) continue;
    FieldPath path;
    for (const auto& part : p) {
      if (part.is_string()) path.push_back(part.get<std::string>());
    }
    if (!path.empty()) out.push_back(std::move(path));
  }
  return out;
}

FieldPath StringPath(const Json& value) {
  FieldPath out;
  if (!value.is_array()) return out;
  for (const auto& part : value) {
    if (part.is_string()) out.push_back(part.get<std::string>());
  }
  return out;
}

Json PathsJson(const std::vector<FieldPath>& paths) {
  Json out = Json::array();
  for (const auto& p : paths) out.push_back(p);
  return out;
}

bool IsPrefix(const FieldPath& prefix, const FieldPath& path) {
  return !prefix.empty() && prefix.size() <= path.size() && std::equal(prefix.begin(), prefix.end(), path.begin());
}

void DiffFields(const Json& old_schema, const Json& new_schema, const FieldPath& prefix,
                std::vector<FieldTransform>& out);

void CompareField(const Json& old_field, const Json& new_field, const FieldPath& path,
                  std::vector<FieldTransform>& out) {
  const TypeId a = TypeFromJsonSchema(old_field);
  const TypeId b = TypeFromJsonSchema(new_field);
  FieldTransform t;
  t.kind = FieldTransform::Kind::kUpdateFieldSchema;
  t.field_name = path;
  t.old_schema = old_field;
  t.new_schema = new_field;
  if (a == TypeId::kJson && b == TypeId::kJson) {
    const std::string ka = JsonKind(old_field), kb = JsonKind(new_field);
    if (ka != kb) {
      t.breaking = true;
      t.reason = fmt::format("type {} cannot widen to {}", TypeText(old_field), TypeText(new_field));
      out.push_back(std::move(t));
    } else if (ka == "object") {
      DiffFields(old_field, new_field, path, out);
    } else if (ka == "array" && old_field.value("items", Json()) != new_field.value("items", Json())) {
      out.push_back(std::move(t));  // a JSON column holds any array
    }
    return;
  }
  if (a == b) return;  // nullability and annotations are not changes
  if (!TypeWidens(a, b)) {
    t.breaking = true;
    t.reason = fmt::format("type {} cannot widen to {}", TypeText(old_field), TypeText(new_field));
  }
  out.push_back(std::move(t));
}

void DiffFields(const Json& old_schema, const Json& new_schema, const FieldPath& prefix,
                std::vector<FieldTransform>& out) {
  const Json& old_props = Properties(old_schema);
  const Json& new_props = Properties(new_schema);
  for (const auto& [name, old_field] : old_props.items()) {
    FieldPath path = prefix;
    path.push_back(name);
    auto it = new_props.find(name);
    if (it == new_props.end()) {
      FieldTransform t;
      t.kind = FieldTransform::Kind::kRemoveField;
      t.field_name = std::move(path);
      t.old_schema = old_field;
      out.push_back(std::move(t));
    } else {
      CompareField(old_field, *it, path, out);
    }
  }
  for (const auto& [name, new_field] : new_props.items()) {
    if (old_props.contains(name)) continue;
    FieldTransform t;
    t.kind = FieldTransform::Kind::kAddField;
    t.field_name = prefix;
    t.field_name.push_back(name);
    t.new_schema = new_field;
    out.push_back(std::move(t));
  }
}

// Marks removals and narrowing changes of the configured cursor and primary key as breaking.
void MarkKeyFields(const Json& stored_entry, std::vector<FieldTransform>& fields) {
  const Json& stream = stored_entry["stream"];
  const Json config = stored_entry.value("config", Json::object());
  FieldPath cursor = StringPath(config.value("cursorField", Json()));
  if (cursor.empty()) cursor = StringPath(stream.value("defaultCursorField", Json()));
  std::vector<FieldPath> pk = PathList(config.value("primaryKey", Json()));
  if (pk.empty()) pk = PathList(stream.value("sourceDefinedPrimaryKey", Json()));
  for (FieldTransform& t : fields) {
    if (t.kind == FieldTransform::Kind::kAddField) continue;
    const bool removed = t.kind == FieldTransform::Kind::kRemoveField;
    if (!removed && !t.breaking) continue;  // a widening retype of a key is fine
    std::string what;
    if (IsPrefix(t.field_name, cursor)) what = "cursor field";
    for (const auto& key : pk) {
      if (IsPrefix(t.field_name, key)) what = "primary-key field";
    }
    if (what.empty()) continue;
    t.breaking = true;
    t.reason = removed ? what + " removed" : what + " retyped: " + t.reason;
  }
}

std::string_view FieldKindName(FieldTransform::Kind kind) {
  switch (kind) {
    case FieldTransform::Kind::kAddField: return "add_field";
    case FieldTransform::Kind::kRemoveField: return "remove_field";
    case FieldTransform::Kind::kUpdateFieldSchema: return "update_field_schema";
  }
  return "update_field_schema";
}

std::string_view StreamKindName(StreamTransform::Kind kind) {
  switch (kind) {
    case StreamTransform::Kind::kAddStream: return "add_stream";
    case StreamTransform::Kind::kRemoveStream: return "remove_stream";
    case StreamTransform::Kind::kUpdateStream: return "update_stream";
  }
  return "update_stream";
}

std::string Plural(int64_t n, std::string_view one, std::string_view many) {
  return fmt::format("{} {}", n, n == 1 ? one : many);
}

}  // namespace

std::string_view SchemaChangeName(SchemaChange change) {
  switch (change) {
    case SchemaChange::kNoChange: return "no_change";
    case SchemaChange::kNonBreaking: return "non_breaking";
    case SchemaChange::kBreaking: return "breaking";
  }
  return "no_change";
}

std::optional<SchemaChange> ParseSchemaChange(std::string_view name) {
  for (auto c : {SchemaChange::kNoChange, SchemaChange::kNonBreaking, SchemaChange::kBreaking}) {
    if (SchemaChangeName(c) == name) return c;
  }
  return std::nullopt;
}

bool TypeWidens(TypeId from, TypeId to) {
  if (from == to || to == TypeId::kString) return true;
  switch (from) {
    case TypeId::kInteger: return to == TypeId::kNumber || to == TypeId::kDecimal;
    case TypeId::kNumber: return to == TypeId::kDecimal;
    case TypeId::kDate: return to == TypeId::kTimestampNoTz || to == TypeId::kTimestampTz;
    default: return false;
  }
}

bool StreamTransform::breaking() const {
  if (primary_key_change_breaking) return true;
  for (const auto& f : fields) {
    if (f.breaking) return true;
  }
  return false;
}

bool CatalogDiff::breaking() const {
  for (const auto& t : transforms) {
    if (t.breaking()) return true;
  }
  return false;
}

SchemaChange CatalogDiff::change() const {
  if (empty()) return SchemaChange::kNoChange;
  return breaking() ? SchemaChange::kBreaking : SchemaChange::kNonBreaking;
}

Json CatalogDiff::ToJson() const {
  Json transforms_json = Json::array();
  for (const StreamTransform& s : transforms) {
    Json entry = {{"transformType", StreamKindName(s.kind)}, {"streamDescriptor", s.stream.ToJson()}};
    if (s.kind == StreamTransform::Kind::kUpdateStream) {
      Json fields = Json::array();
      for (const FieldTransform& f : s.fields) {
        Json ft = {{"transformType", FieldKindName(f.kind)}, {"fieldName", f.field_name}, {"breaking", f.breaking}};
        switch (f.kind) {
          case FieldTransform::Kind::kAddField: ft["addField"] = {{"schema", f.new_schema}}; break;
          case FieldTransform::Kind::kRemoveField: ft["removeField"] = {{"schema", f.old_schema}}; break;
          case FieldTransform::Kind::kUpdateFieldSchema:
            ft["updateFieldSchema"] = {{"oldSchema", f.old_schema}, {"newSchema", f.new_schema}};
            break;
        }
        fields.push_back(std::move(ft));
      }
      Json attributes = Json::array();
      if (s.primary_key_change) {
        attributes.push_back({{"transformType", "update_primary_key"},
                              {"breaking", s.primary_key_change_breaking},
                              {"updatePrimaryKey",
                               {{"oldPrimaryKey", PathsJson(s.primary_key_change->first)},
                                {"newPrimaryKey", PathsJson(s.primary_key_change->second)}}}});
      }
      entry["updateStream"] = {{"fieldTransforms", std::move(fields)},
                               {"streamAttributeTransforms", std::move(attributes)}};
    }
    transforms_json.push_back(std::move(entry));
  }
  return {{"transforms", std::move(transforms_json)}};
}

std::vector<std::string> CatalogDiff::Describe() const {
  std::vector<std::string> lines;
  for (const StreamTransform& s : transforms) {
    const std::string stream = s.stream.ToString();
    switch (s.kind) {
      case StreamTransform::Kind::kAddStream: lines.push_back(fmt::format("stream {}: added", stream)); break;
      case StreamTransform::Kind::kRemoveStream: lines.push_back(fmt::format("stream {}: removed", stream)); break;
      case StreamTransform::Kind::kUpdateStream:
        for (const FieldTransform& f : s.fields) {
          const std::string field = JoinText(f.field_name, ".");
          std::string line;
          switch (f.kind) {
            case FieldTransform::Kind::kAddField:
              line = fmt::format("stream {}: field '{}' added ({})", stream, field, TypeText(f.new_schema));
              break;
            case FieldTransform::Kind::kRemoveField:
              line = fmt::format("stream {}: field '{}' removed", stream, field);
              break;
            case FieldTransform::Kind::kUpdateFieldSchema:
              line = fmt::format("stream {}: field '{}' changed type {} → {}", stream, field, TypeText(f.old_schema),
                                 TypeText(f.new_schema));
              break;
          }
          if (f.breaking) line += fmt::format(" (breaking: {})", f.reason);
          lines.push_back(std::move(line));
        }
        if (s.primary_key_change) {
          auto text = [](const std::vector<FieldPath>& paths) {
            std::vector<std::string> parts;
            for (const auto& p : paths) parts.push_back(JoinText(p, "."));
            return parts.empty() ? std::string("none") : JoinText(parts, ", ");
          };
          lines.push_back(fmt::format("stream {}: source-defined primary key {} → {}", stream,
                                      text(s.primary_key_change->first), text(s.primary_key_change->second)));
        }
        break;
    }
  }
  return lines;
}

std::string CatalogDiff::Summary() const {
  int64_t streams_added = 0, streams_removed = 0, added = 0, removed = 0, retyped = 0, breaking_count = 0;
  for (const StreamTransform& s : transforms) {
    if (s.kind == StreamTransform::Kind::kAddStream) ++streams_added;
    if (s.kind == StreamTransform::Kind::kRemoveStream) ++streams_removed;
    for (const FieldTransform& f : s.fields) {
      if (f.kind == FieldTransform::Kind::kAddField) ++added;
      if (f.kind == FieldTransform::Kind::kRemoveField) ++removed;
      if (f.kind == FieldTransform::Kind::kUpdateFieldSchema) ++retyped;
      if (f.breaking) ++breaking_count;
    }
    if (s.primary_key_change_breaking) ++breaking_count;
  }
  std::vector<std::string> parts;
  if (streams_added > 0) parts.push_back(Plural(streams_added, "stream added", "streams added"));
  if (streams_removed > 0) parts.push_back(Plural(streams_removed, "stream removed", "streams removed"));
  if (added > 0) parts.push_back(Plural(added, "field added", "fields added"));
  if (removed > 0) parts.push_back(Plural(removed, "field removed", "fields removed"));
  if (retyped > 0) parts.push_back(Plural(retyped, "field retyped", "fields retyped"));
  if (parts.empty() && !transforms.empty()) parts.push_back("source-defined primary key changed");
  if (parts.empty()) return "no change";
  std::string text = JoinText(parts, ", ");
  if (breaking_count > 0) text += fmt::format(" ({} breaking)", breaking_count);
  return text;
}

CatalogDiff DiffSyncCatalogs(const Json& stored, const Json& fresh) {
  auto entries = [](const Json& catalog) {
    std::vector<std::pair<StreamKey, const Json*>> out;
    if (!catalog.is_object()) return out;
    auto it = catalog.find("streams");
    if (it == catalog.end() || !it->is_array()) return out;
    for (const Json& entry : *it) {
      if (!entry.is_object() || !entry.contains("stream") || !entry["stream"].is_object()) continue;
      const Json& stream = entry["stream"];
      if (!stream.contains("name") || !stream["name"].is_string()) continue;
      out.emplace_back(StreamKeyOf(stream), &entry);
    }
    return out;
  };
  const auto old_entries = entries(stored);
  const auto new_entries = entries(fresh);
  std::map<StreamKey, const Json*> new_by_key(new_entries.begin(), new_entries.end());
  std::map<StreamKey, const Json*> old_by_key(old_entries.begin(), old_entries.end());

  CatalogDiff diff;
  for (const auto& [key, old_entry] : old_entries) {
    auto found = new_by_key.find(key);
    if (found == new_by_key.end()) {
      diff.transforms.push_back({StreamTransform::Kind::kRemoveStream, DescriptorOf(key), {}, std::nullopt, false});
      continue;
    }
    const Json config = old_entry->value("config", Json::object());
    if (!config.value("selected", true)) continue;
    const Json& old_stream = (*old_entry)["stream"];
    const Json& new_stream = (*found->second)["stream"];
    StreamTransform t{StreamTransform::Kind::kUpdateStream, DescriptorOf(key), {}, std::nullopt, false};
    const Json old_schema = old_stream.value("jsonSchema", Json::object());
    // A stored schema without properties (written by hand: `"jsonSchema": {}`) says nothing
    // about the fields, so it is not compared field by field.
    if (old_schema.is_object() && old_schema.contains("properties")) {
      DiffFields(old_schema, new_stream.value("jsonSchema", Json::object()), {}, t.fields);
      MarkKeyFields(*old_entry, t.fields);
    }
    auto old_pk = PathList(old_stream.value("sourceDefinedPrimaryKey", Json()));
    auto new_pk = PathList(new_stream.value("sourceDefinedPrimaryKey", Json()));
    // A stored stream without the attribute (written by hand) says nothing about the key.
    if (old_stream.contains("sourceDefinedPrimaryKey") && old_pk != new_pk) {
      t.primary_key_change = std::make_pair(std::move(old_pk), std::move(new_pk));
    }
    if (!t.fields.empty() || t.primary_key_change) diff.transforms.push_back(std::move(t));
  }
  for (const auto& [key, new_entry] : new_entries) {
    if (old_by_key.count(key) == 0) {
      diff.transforms.push_back({StreamTransform::Kind::kAddStream, DescriptorOf(key), {}, std::nullopt, false});
    }
  }
  return diff;
}

}  // namespace sluice
