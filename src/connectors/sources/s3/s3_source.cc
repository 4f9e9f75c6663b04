#include "connectors/sources/s3/s3_source.h"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "base/log.h"
#include "base/time.h"
#include "connectors/sdk/registry.h"
#include "connectors/sources/s3/s3_object_reader.h"
#include "connectors/sources/s3/s3_source_config.h"
#include "formats/csv/csv_reader.h"
#include "formats/parquet/parquet_reader.h"
#include "s3/s3_input_stream.h"
#include "s3/s3_random_access_file.h"

namespace sluice {
namespace {

//! Files remembered in the state; past this the oldest entries are dropped and files older than
//! the cursor minus days_to_sync_if_history_is_full are taken as read.
constexpr size_t kMaxHistory = 10000;

Result<std::shared_ptr<S3Client>> MakeClient(const S3SourceConfig& config) {
  SLUICE_ASSIGN_OR_RETURN(auto client, S3Client::Make(config.client));
  return std::shared_ptr<S3Client>(std::move(client));
}

// Every object matching the stream's globs, oldest first (ties by key).
Result<std::vector<S3Object>> ListStreamObjects(const S3SourceStreamConfig& stream, S3Client& client,
                                                const std::string& bucket) {
  std::vector<std::string> globs;
  for (const std::string& g : stream.globs) {
    for (std::string& e : ExpandBraces(g)) globs.push_back(std::move(e));
  }
  std::set<std::string> prefixes;
  for (const std::string& g : globs) prefixes.insert(GlobPrefix(g));
  // A prefix inside another is covered by it.
  std::vector<std::string> roots;
  for (const std::string& p : prefixes) {
    if (roots.empty() || !p.starts_with(roots.back())) roots.push_back(p);
  }
  std::vector<S3Object> objects;
  std::set<std::string> seen;
  for (const std::string& root : roots) {
    SLUICE_RETURN_IF_ERROR(client.ListAll(bucket, root, [&](const S3Object& o) {
      if (o.key.empty() || o.key.back() == '/') return Status::Ok();  // folder markers
      for (const std::string& g : globs) {
        if (GlobMatch(g, o.key)) {
          if (seen.insert(o.key).second) objects.push_back(o);
          break;
        }
      }
      return Status::Ok();
    }));
  }
  std::sort(objects.begin(), objects.end(), [](const S3Object& a, const S3Object& b) {
    return a.last_modified_micros != b.last_modified_micros ? a.last_modified_micros < b.last_modified_micros
                                                            : a.key < b.key;
  });
  return objects;
}

// Airbyte's file-based cursor: which files were read, as of which modification time.
struct FileHistory {
  std::map<std::string, int64_t> files;
  std::pair<int64_t, std::string> cursor{INT64_MIN, ""};  // the newest (modified, key)

  static FileHistory FromJson(const Json* state) {
    FileHistory h;
    if (state == nullptr || !state->is_object()) return h;
    auto it = state->find("history");
    if (it == state->end() || !it->is_object()) return h;
    for (auto& [key, value] : it->items()) {
      if (!value.is_string()) continue;
      if (auto micros = ParseTimestamp(value.get<std::string>())) {
        h.files[key] = *micros;
        h.cursor = std::max(h.cursor, {*micros, key});
      }
    }
    return h;
  }

  bool full() const { return files.size() >= kMaxHistory; }

  bool ShouldRead(const S3Object& o, int days_if_full) const {
    auto it = files.find(o.key);
    if (it != files.end()) return o.last_modified_micros > it->second;
    if (full()) return o.last_modified_micros >= cursor.first - days_if_full * kMicrosPerDay;
    return true;
  }

  void Add(const S3Object& o) {
    files[o.key] = o.last_modified_micros;
    cursor = std::max(cursor, {o.last_modified_micros, o.key});
    while (files.size() > kMaxHistory) {
      auto oldest = std::min_element(files.begin(), files.end(),
                                     [](const auto& a, const auto& b) { return a.second < b.second; });
      files.erase(oldest);
    }
  }

  Json ToJson() const {
    Json history = Json::object();
    for (const auto& [key, micros] : files) history[key] = FileModifiedText(micros);
    Json out = {{"history", std::move(history)}};
    if (!files.empty()) {
      out[kFileModifiedColumn] = FileModifiedText(cursor.first) + "_" + cursor.second;
    }
    return out;
  }
};

class S3Source final : public Source {
 public:
  ConnectorSpec Spec() const override { return S3SourceSpec(); }

  Status Check(const Json& config) override {
    SLUICE_ASSIGN_OR_RETURN(S3SourceConfig c, ParseS3SourceConfig(config));
    SLUICE_ASSIGN_OR_RETURN(auto client, MakeClient(c));
    SLUICE_RETURN_IF_ERROR(client->CheckBucket(c.bucket));
    for (const S3SourceStreamConfig& s : c.streams) {
      SLUICE_ASSIGN_OR_RETURN(std::vector<S3Object> objects, ListStreamObjects(s, *client, c.bucket));
      if (objects.empty()) {
        Log(LogLevel::kWarn, "stream '{}': no object in s3://{} matches its globs yet", s.name, c.bucket);
        continue;
      }
      // The newest object must be readable in the configured format.
      SLUICE_RETURN_IF_ERROR(
          InferS3StreamSchema(s, client, c.bucket, {objects.back()}).status().WithContext(fmt::format("stream '{}'", s.name)));
    }
    return Status::Ok();
  }

  Result<Catalog> Discover(const Json& config) override {
    SLUICE_ASSIGN_OR_RETURN(S3SourceConfig c, ParseS3SourceConfig(config));
    SLUICE_ASSIGN_OR_RETURN(auto client, MakeClient(c));
    Catalog catalog;
    for (const S3SourceStreamConfig& s : c.streams) {
      SLUICE_ASSIGN_OR_RETURN(std::vector<S3Object> objects, ListStreamObjects(s, *client, c.bucket));
      // The most recent files describe the stream best.
      std::vector<S3Object> sample;
      for (auto it = objects.rbegin(); it != objects.rend() && sample.size() < size_t(s.recent_files_for_discovery); ++it) {
        sample.push_back(*it);
      }
      if (sample.empty() && !s.input_schema) {
        Log(LogLevel::kWarn, "stream '{}': no object matches its globs; its schema has only the _ab_source_file columns",
            s.name);
      }
      SLUICE_ASSIGN_OR_RETURN(SchemaPtr schema, InferS3StreamSchema(s, client, c.bucket, sample));
      AirbyteStream stream;
      stream.name = s.name;
      stream.json_schema = schema->ToJsonSchema();
      stream.supported_sync_modes = {SyncMode::kFullRefresh, SyncMode::kIncremental};
      stream.source_defined_cursor = true;
      stream.default_cursor_field = {kFileModifiedColumn};
      for (const std::string& column : s.primary_key) {
        if (schema->IndexOf(column) < 0) {
          return Status::ConfigError(
              fmt::format("stream '{}': primary_key '{}' is not a column of the stream", s.name, column));
        }
        stream.source_defined_primary_key.push_back({column});
      }
      catalog.streams.push_back(std::move(stream));
    }
    return catalog;
  }

  Status Read(const Json& config, const ConfiguredCatalog& catalog, const StateStore& state, Emitter& out) override {
    SLUICE_ASSIGN_OR_RETURN(S3SourceConfig c, ParseS3SourceConfig(config));
    SLUICE_ASSIGN_OR_RETURN(auto client, MakeClient(c));
    for (size_t i = 0; i < catalog.streams.size(); ++i) {
      const ConfiguredStream& cs = catalog.streams[i];
      auto it = std::find_if(c.streams.begin(), c.streams.end(),
                             [&](const S3SourceStreamConfig& s) { return s.name == cs.stream.name; });
      if (it == c.streams.end() || cs.stream.namespace_) {
        return Status::ConfigError(fmt::format("stream '{}' of the catalog is not in the config", cs.descriptor().ToString()));
      }
      if (!cs.schema) return Status::SystemError(fmt::format("stream '{}': the catalog is not bound", cs.stream.name));
      const uint32_t index = static_cast<uint32_t>(i);
      SLUICE_RETURN_IF_ERROR(out.EmitStreamStatus(index, StreamStatus::kStarted));
      Status st = ReadStream(c, *it, client, cs, index, state, out);
      if (!st.ok()) {
        if (!st.cancelled()) (void)out.EmitStreamStatus(index, StreamStatus::kIncomplete);
        return st.WithContext(fmt::format("stream '{}'", cs.stream.name));
      }
    }
    return Status::Ok();
  }

 private:
  static Status ReadStream(const S3SourceConfig& c, const S3SourceStreamConfig& s, const std::shared_ptr<S3Client>& client,
                           const ConfiguredStream& cs, uint32_t index, const StateStore& state, Emitter& out) {
    SLUICE_ASSIGN_OR_RETURN(std::vector<S3Object> objects, ListStreamObjects(s, *client, c.bucket));
    const bool incremental = cs.sync_mode == SyncMode::kIncremental;
    FileHistory history = incremental ? FileHistory::FromJson(state.Find(cs.descriptor())) : FileHistory();
    S3StreamReader reader(s, client, c.bucket, cs.schema, index, out);
    uint64_t files_read = 0;
    const auto emit_state = [&](Json blob) {
      StateMessage message;
      message.type = StateType::kStream;
      message.stream.descriptor = cs.descriptor();
      message.stream.stream_state = std::move(blob);
      return out.EmitState(std::move(message));
    };
    for (const S3Object& object : objects) {
      if (c.start_micros && object.last_modified_micros < *c.start_micros) continue;
      if (incremental && !history.ShouldRead(object, s.days_to_sync_if_history_is_full)) continue;
      SLUICE_RETURN_IF_ERROR(reader.ReadObject(object));
      ++files_read;
      if (incremental) {
        // A checkpoint per object: it covers the batches emitted so far.
        SLUICE_RETURN_IF_ERROR(reader.Flush());
        history.Add(object);
        SLUICE_RETURN_IF_ERROR(emit_state(history.ToJson()));
      }
    }
    SLUICE_RETURN_IF_ERROR(reader.Flush());
    if (reader.skipped() > 0) {
      Log(LogLevel::kWarn, "stream '{}': skipped {} records that did not fit the schema (validation_policy: Skip Record)",
          s.name, reader.skipped());
    }
    Log(LogLevel::kInfo, "stream '{}': {} records from {} objects", s.name, reader.rows(), files_read);
    SLUICE_RETURN_IF_ERROR(emit_state(incremental ? history.ToJson()
                                                  : Json{{"files_read", files_read}, {"rows_read", reader.rows()}}));
    return out.EmitStreamStatus(index, StreamStatus::kComplete);
  }
};

}  // namespace

std::unique_ptr<Source> MakeS3Source() { return std::make_unique<S3Source>(); }

SLUICE_REGISTER_CONNECTOR({
    .name = "source-s3",
    .kind = ConnectorKind::kSource,
    .title = "S3",
    .description = "CSV, JSONL and Parquet objects in S3 / MinIO, one stream per set of globs, incremental by modification time",
    .make_source = MakeS3Source});

}  // namespace sluice
