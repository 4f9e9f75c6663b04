#include "api/connection_list.h"

#include <fmt/format.h>
#include <zlib.h>

#include <new>
#include <unordered_set>

#include "api/api.h"
#include "api/request_fields.h"

namespace sluice {

Json ConnectionToApi(Connection c, bool include_catalog) {
  Json out;
  out["connectionId"] = c.connection_id;
  out["name"] = c.name;
  out["namespaceDefinition"] = c.namespace_definition;
  out["namespaceFormat"] = c.namespace_format ? Json(*c.namespace_format) : Json();
  out["prefix"] = c.prefix;
  out["sourceId"] = c.source_id;
  out["destinationId"] = c.destination_id;
  out["workspaceId"] = c.workspace_id;
  out["operationIds"] = c.operation_ids;
  if (include_catalog) out["syncCatalog"] = std::move(c.sync_catalog);
  out["scheduleType"] = ScheduleTypeName(c.schedule_type);
  if (!c.schedule_data.is_null()) out["scheduleData"] = std::move(c.schedule_data);
  if (c.schedule_type == ScheduleType::kBasic && out.contains("scheduleData") && out["scheduleData"].is_object() &&
      out["scheduleData"].contains("basicSchedule")) {
    out["schedule"] = out["scheduleData"]["basicSchedule"];  // Airbyte's legacy form
  }
  out["status"] = ConnectionStatusName(c.status);
  out["resourceRequirements"] = std::move(c.resource_requirements);
  out["notifySchemaChanges"] = c.notify_schema_changes;
  out["nonBreakingChangesPreference"] = c.non_breaking_changes_preference;
  out["breakingChange"] = c.schema_change == "breaking";
  out["schemaChange"] = c.schema_change;
  out["consecutiveFailures"] = c.consecutive_failures;
  out["createdAt"] = c.created_at / 1000;
  out["updatedAt"] = c.updated_at / 1000;
  return out;
}

namespace {

// More changed rows than this in one build (the first build, a restart of the cache): one query
// for the whole list instead of one per row.
constexpr size_t kRowByRowMax = 16;

ConnectionListFragments::Fragment::Form MakeForm(std::string json) {
  ConnectionListFragments::Fragment::Form f;
  f.deflate = DeflateChunk(json);
  f.crc = static_cast<uint32_t>(crc32(crc32(0, nullptr, 0), reinterpret_cast<const Bytef*>(json.data()),
                                      static_cast<uInt>(json.size())));
  f.json = std::move(json);
  return f;
}

const ConnectionListFragments::Fragment::Form& Separator(std::string_view text) {
  static const auto* comma = new ConnectionListFragments::Fragment::Form(MakeForm(","));
  static const auto* head = new ConnectionListFragments::Fragment::Form(MakeForm(R"({"connections":[)"));
  static const auto* tail = new ConnectionListFragments::Fragment::Form(MakeForm("]}"));
  return text == "," ? *comma : text == "]}" ? *tail : *head;
}

void AppendLe32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
}

}  // namespace

std::string DeflateChunk(std::string_view data) {
  z_stream z{};
  // windowBits -15: raw deflate, no zlib or gzip wrapper (the answer's gzip header is written once).
  if (deflateInit2(&z, 1, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) throw std::bad_alloc();
  std::string out(deflateBound(&z, data.size()) + 64, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  size_t done = 0;
  for (;;) {
    z.next_out = reinterpret_cast<Bytef*>(out.data() + done);
    z.avail_out = static_cast<uInt>(out.size() - done);
    const int rc = deflate(&z, Z_SYNC_FLUSH);  // ends byte-aligned, not the final block
    done = out.size() - z.avail_out;
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      deflateEnd(&z);
      throw std::bad_alloc();
    }
    if (z.avail_in == 0 && z.avail_out > 0) break;
    out.resize(out.size() * 2);
  }
  deflateEnd(&z);
  out.resize(done);
  return out;
}

std::shared_ptr<const ConnectionListFragments::Fragment> ConnectionListFragments::MakeFragment(Connection c) {
  auto f = std::make_shared<Fragment>();
  f->workspace_id = c.workspace_id;
  f->updated_at = c.updated_at;
  f->without_catalog = MakeForm(DumpJson(ConnectionToApi(c, false)));
  f->with_catalog = MakeForm(DumpJson(ConnectionToApi(std::move(c), true)));
  return f;
}

ConnectionListFragments::Items ConnectionListFragments::Live(MetadataStore& store, const std::string& workspace_id) {
  const std::vector<ConnectionVersion> live = Unwrap(store.ListConnectionVersions(workspace_id));
  Items parts(live.size());
  std::vector<size_t> missing;
  {
    std::lock_guard lock(mu_);
    for (size_t i = 0; i < live.size(); ++i) {
      auto it = fragments_.find(live[i].connection_id);
      if (it != fragments_.end() && it->second->updated_at == live[i].updated_at) {
        parts[i] = it->second;
      } else {
        missing.push_back(i);
      }
    }
  }
  if (!missing.empty()) {
    // A row read now may be newer than its version above (written in between): its newer content
    // is shown, and kept under its own updated_at. One deleted in between is left out.
    std::unordered_map<std::string, Connection> rows;
    if (missing.size() > kRowByRowMax) {
      for (Connection& c : Unwrap(store.ListConnections(workspace_id))) {
        std::string id = c.connection_id;
        rows.emplace(std::move(id), std::move(c));
      }
    } else {
      for (size_t i : missing) {
        if (auto c = Unwrap(store.GetConnection(live[i].connection_id))) rows.emplace(c->connection_id, std::move(*c));
      }
    }
    std::vector<std::pair<size_t, std::shared_ptr<const Fragment>>> made;
    for (size_t i : missing) {
      auto row = rows.find(live[i].connection_id);
      if (row == rows.end() || row->second.status == ConnectionStatus::kDeprecated) continue;
      made.emplace_back(i, MakeFragment(std::move(row->second)));  // outside the lock: the costly part
    }
    std::lock_guard lock(mu_);
    for (auto& [i, fragment] : made) {
      parts[i] = fragment;
      auto& kept = fragments_[live[i].connection_id];
      if (!kept || kept->updated_at <= fragment->updated_at) kept = fragment;
    }
  }
  {
    // Connections of this workspace that left its list (deleted) are forgotten.
    std::unordered_set<std::string_view> listed;
    listed.reserve(live.size());
    for (const ConnectionVersion& v : live) listed.insert(v.connection_id);
    std::lock_guard lock(mu_);
    for (auto it = fragments_.begin(); it != fragments_.end();) {
      if (it->second->workspace_id == workspace_id && listed.count(it->first) == 0) {
        it = fragments_.erase(it);
      } else {
        ++it;
      }
    }
  }
  std::erase(parts, nullptr);
  return parts;
}

ConnectionListFragments::Answer ConnectionListFragments::Assemble(const std::vector<Items>& workspaces,
                                                                  bool include_catalog) {
  std::vector<const Fragment::Form*> forms;
  forms.push_back(&Separator(R"({"connections":[)"));
  for (const Items& items : workspaces) {
    for (const auto& f : items) {
      if (forms.size() > 1) forms.push_back(&Separator(","));
      forms.push_back(include_catalog ? &f->with_catalog : &f->without_catalog);
    }
  }
  forms.push_back(&Separator("]}"));
  size_t json_bytes = 0, deflate_bytes = 0;
  for (const Fragment::Form* f : forms) {
    json_bytes += f->json.size();
    deflate_bytes += f->deflate.size();
  }
  Answer out;
  out.body.reserve(json_bytes);
  out.gzip.reserve(deflate_bytes + 20);
  // gzip header: magic, deflate, no flags, no time, no extra flags, OS unknown.
  out.gzip.append("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff", 10);
  uLong crc = crc32(0, nullptr, 0);
  for (const Fragment::Form* f : forms) {
    out.body += f->json;
    out.gzip += f->deflate;
    crc = crc32_combine(crc, f->crc, static_cast<z_off_t>(f->json.size()));
  }
  out.gzip.append("\x03\x00", 2);  // an empty final block (fixed Huffman): the stream ends
  AppendLe32(out.gzip, static_cast<uint32_t>(crc));
  AppendLe32(out.gzip, static_cast<uint32_t>(out.body.size() & 0xffffffffu));
  return out;
}

std::string ConnectionListFragments::Version(MetadataStore& store, const std::string& workspace_id) {
  const std::vector<ConnectionVersion> live = Unwrap(store.ListConnectionVersions(workspace_id));
  // FNV-1a over "id:updated_at;" of each, in order.
  uint64_t h = 1469598103934665603ULL;
  auto mix = [&h](std::string_view bytes) {
    for (unsigned char b : bytes) {
      h ^= b;
      h *= 1099511628211ULL;
    }
  };
  for (const ConnectionVersion& v : live) {
    mix(v.connection_id);
    mix(fmt::format(":{};", v.updated_at));
  }
  return fmt::format("{}:{:016x}", live.size(), h);
}

size_t ConnectionListFragments::size() const {
  std::lock_guard lock(mu_);
  return fragments_.size();
}

}  // namespace sluice
