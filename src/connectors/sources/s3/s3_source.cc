#include "connectors/sources/s3/s3_source.h"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "base/log.h"
#include "base/time.h"
#include "connectors/kit/configured_streams.h"
#include "connectors/kit/file_record_reader.h"
#include "connectors/kit/file_storage.h"
#include "connectors/kit/schema_inference.h"
#include "connectors/kit/stream_batcher.h"
#include "connectors/sdk/registry.h"
#include "connectors/sources/s3/s3_source_config.h"

namespace sluice {
namespace {

//! Files remembered in the state; past this the oldest entries are dropped and files older than
//! the cursor minus days_to_sync_if_history_is_full are taken as read.
constexpr size_t kMaxHistory = 10000;
//! Rows sampled for CSV and JSONL types.
constexpr uint64_t kInferRows = 10000;

//! One object of a stream: its key (what globs, the state and _ab_source_file_url name) and the
//! storage's view of it (s3:// URL, size, modification time).
struct S3File {
  std::string key;
  FileInfo info;
};

//! The client (for bucket checks) and the kit storage over it (listing, reading).
struct S3Access {
  std::shared_ptr<S3Client> client;
  std::unique_ptr<FileStorage> storage;
};

Result<S3Access> Connect(const S3SourceConfig& config) {
  SLUICE_ASSIGN_OR_RETURN(auto client, S3Client::Make(config.client));
  S3Access access{std::shared_ptr<S3Client>(std::move(client)), nullptr};
  access.storage = MakeS3FileStorage(access.client);
  return access;
}

// Every object matching the stream's globs, oldest first (ties by key).
Result<std::vector<S3File>> ListStreamObjects(const S3SourceStreamConfig& stream, FileStorage& storage,
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
  const std::string bucket_url = S3Uri(bucket, "");
  std::vector<S3File> objects;
  std::set<std::string> seen;
  for (const std::string& root : roots) {
    SLUICE_RETURN_IF_ERROR(storage.List(bucket_url + root, [&](const FileInfo& file) {
      std::string key = file.path.substr(bucket_url.size());
      for (const std::string& g : globs) {
        if (GlobMatch(g, key)) {
          if (seen.insert(key).second) objects.push_back({std::move(key), file});
          break;
        }
      }
      return Status::Ok();
    }));
  }
  std::sort(objects.begin(), objects.end(), [](const S3File& a, const S3File& b) {
    return a.info.last_modified_micros != b.info.last_modified_micros
               ? a.info.last_modified_micros < b.info.last_modified_micros
               : a.key < b.key;
  });
  return objects;
}

bool IsFileColumn(std::string_view name) { return name == kFileModifiedColumn || name == kFileUrlColumn; }

//! The CSV dialect as read: null_values [] means [""].
CsvOptions CsvOf(const S3SourceStreamConfig& stream) {
  CsvOptions options = stream.csv;
  if (options.null_values.empty()) options.null_values = {""};
  options.skip_malformed_rows = stream.validation_policy == S3ValidationPolicy::kSkipRecord;
  return options;
}

//! Infers the stream's columns from `sample` (the most recent few objects): CSV headers (types
//! with inference_type "Primitive Types Only", else strings), the union of JSONL keys with their
//! value types, or the Parquet files' columns; the two _ab_source_file_* columns come last.
//! input_schema, when set, is used instead. Errors name the stream and the object.
Result<SchemaPtr> InferStreamSchema(const S3SourceStreamConfig& stream, FileStorage& storage,
                                    const std::vector<S3File>& sample) {
  std::vector<std::string> urls;
  for (const S3File& f : sample) urls.push_back(f.info.path);
  const FileOpener open = [&](const std::string& url) { return storage.Open(url); };
  Result<SchemaPtr> inferred = stream.input_schema;
  if (!stream.input_schema) {
    switch (stream.filetype) {
      case S3FileType::kCsv: {
        CsvInferenceOptions o;
        o.column_names = stream.csv_column_names;
        o.infer_types = stream.csv_infer_types;
        o.true_values = stream.true_values;
        o.false_values = stream.false_values;
        o.union_columns = true;
        o.blank_is_null = true;
        o.stop_at_malformed_row = true;  // reading reports it
        inferred = InferCsvSchema(urls, CsvOf(stream), o, kInferRows, open);
        break;
      }
      case S3FileType::kJsonl: inferred = InferJsonlSchema(urls, kInferRows, false, open); break;
      case S3FileType::kParquet:
        inferred = InferParquetSchema(urls, [&](const std::string& url) { return storage.OpenRandomAccess(url); }, true);
        break;
    }
  }
  if (!inferred.ok()) return inferred.status().WithContext(fmt::format("stream '{}'", stream.name));
  std::vector<Field> fields = (*inferred)->fields();
  std::erase_if(fields, [](const Field& f) { return IsFileColumn(f.name); });
  fields.push_back({kFileModifiedColumn, TypeId::kTimestampTz, true, {}});
  fields.push_back({kFileUrlColumn, TypeId::kString, true, {}});
  return SchemaPtr(std::make_shared<const Schema>(std::move(fields)));
}

//! How the kit's reader reads the stream's objects.
FileReadOptions ReadOptions(const S3SourceStreamConfig& stream) {
  FileReadOptions o;
  switch (stream.filetype) {
    case S3FileType::kCsv: o.format = InputFileFormat::kCsv; break;
    case S3FileType::kJsonl: o.format = InputFileFormat::kJsonl; break;
    case S3FileType::kParquet: o.format = InputFileFormat::kParquet; break;
  }
  o.csv = CsvOf(stream);
  o.csv_column_names = stream.csv_column_names;
  o.true_values = stream.true_values;
  o.false_values = stream.false_values;
  o.blank_is_null = true;
  o.on_bad_row = stream.validation_policy == S3ValidationPolicy::kSkipRecord ? BadRowPolicy::kSkipRow
                                                                               : BadRowPolicy::kNullValue;
  o.modified_column = kFileModifiedColumn;
  o.url_column = kFileUrlColumn;
  o.file_label_prefix = "";  // an s3:// URL names itself
  return o;
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

  bool ShouldRead(const S3File& o, int days_if_full) const {
    auto it = files.find(o.key);
    if (it != files.end()) return o.info.last_modified_micros > it->second;
    if (full()) return o.info.last_modified_micros >= cursor.first - days_if_full * kMicrosPerDay;
    return true;
  }

  void Add(const S3File& o) {
    files[o.key] = o.info.last_modified_micros;
    cursor = std::max(cursor, {o.info.last_modified_micros, o.key});
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
    SLUICE_ASSIGN_OR_RETURN(S3Access s3, Connect(c));
    SLUICE_RETURN_IF_ERROR(s3.client->CheckBucket(c.bucket));
    for (const S3SourceStreamConfig& s : c.streams) {
      SLUICE_ASSIGN_OR_RETURN(std::vector<S3File> objects, ListStreamObjects(s, *s3.storage, c.bucket));
      if (objects.empty()) {
        Log(LogLevel::kWarn, "stream '{}': no object in s3://{} matches its globs yet", s.name, c.bucket);
        continue;
      }
      // The newest object must be readable in the configured format.
      SLUICE_RETURN_IF_ERROR(InferStreamSchema(s, *s3.storage, {objects.back()}).status());
    }
    return Status::Ok();
  }

  Result<Catalog> Discover(const Json& config) override {
    SLUICE_ASSIGN_OR_RETURN(S3SourceConfig c, ParseS3SourceConfig(config));
    SLUICE_ASSIGN_OR_RETURN(S3Access s3, Connect(c));
    Catalog catalog;
    for (const S3SourceStreamConfig& s : c.streams) {
      SLUICE_ASSIGN_OR_RETURN(std::vector<S3File> objects, ListStreamObjects(s, *s3.storage, c.bucket));
      // The most recent files describe the stream best.
      std::vector<S3File> sample;
      for (auto it = objects.rbegin(); it != objects.rend() && sample.size() < size_t(s.recent_files_for_discovery); ++it) {
        sample.push_back(*it);
      }
      if (sample.empty() && !s.input_schema) {
        Log(LogLevel::kWarn, "stream '{}': no object matches its globs; its schema has only the _ab_source_file columns",
            s.name);
      }
      SLUICE_ASSIGN_OR_RETURN(SchemaPtr schema, InferStreamSchema(s, *s3.storage, sample));
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
    SLUICE_ASSIGN_OR_RETURN(S3Access s3, Connect(c));
    return ReadConfiguredStreams(c.streams, catalog, out,
                                 [&](const S3SourceStreamConfig& s, const ConfiguredStream& cs, StreamBatcher& batcher) {
                                   return ReadStream(c, s, *s3.storage, cs, state, batcher)
                                       .WithContext(fmt::format("stream '{}'", s.name));
                                 });
  }

 private:
  //! The objects to read (all; incremental: those new or modified since the state's history),
  //! a checkpoint after each object when incremental, and a final one.
  static Status ReadStream(const S3SourceConfig& c, const S3SourceStreamConfig& s, FileStorage& storage,
                           const ConfiguredStream& cs, const StateStore& state, StreamBatcher& batcher) {
    SLUICE_ASSIGN_OR_RETURN(std::vector<S3File> objects, ListStreamObjects(s, storage, c.bucket));
    const bool incremental = cs.sync_mode == SyncMode::kIncremental;
    FileHistory history = incremental ? FileHistory::FromJson(state.Find(cs.descriptor())) : FileHistory();
    FileRecordReader reader(storage, ReadOptions(s), batcher);
    const auto checkpoint = [&](Json blob) {
      StateMessage message;
      message.type = StateType::kStream;
      message.stream.descriptor = cs.descriptor();
      message.stream.stream_state = std::move(blob);
      return batcher.Checkpoint(std::move(message));  // covers the batches emitted so far
    };
    for (const S3File& object : objects) {
      if (c.start_micros && object.info.last_modified_micros < *c.start_micros) continue;
      if (incremental && !history.ShouldRead(object, s.days_to_sync_if_history_is_full)) continue;
      SLUICE_RETURN_IF_ERROR(reader.ReadFile(object.info, object.key));
      if (incremental) {
        history.Add(object);
        SLUICE_RETURN_IF_ERROR(checkpoint(history.ToJson()));
      }
    }
    if (reader.skipped() > 0) {
      Log(LogLevel::kWarn, "stream '{}': skipped {} records that did not fit the schema (validation_policy: Skip Record)",
          s.name, reader.skipped());
    }
    Log(LogLevel::kInfo, "stream '{}': {} records from {} objects", s.name, batcher.rows(), reader.files_read());
    return checkpoint(incremental ? history.ToJson()
                                  : Json{{"files_read", reader.files_read()}, {"rows_read", batcher.rows()}});
  }
};

}  // namespace

std::unique_ptr<Source> MakeS3Source() { return std::make_unique<S3Source>(); }

SLUICE_REGISTER_SOURCE("source-s3", "S3",
                       "CSV, JSONL and Parquet objects in S3 / MinIO, one stream per set of globs, incremental by modification time",
                       MakeS3Source);

}  // namespace sluice
