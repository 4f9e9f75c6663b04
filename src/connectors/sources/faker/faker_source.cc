#include "connectors/sources/faker/faker_source.h"

#include <algorithm>
#include <string>
#include <vector>

#include "base/time.h"
#include "connectors/kit/stream_batcher.h"
#include "connectors/sdk/registry.h"
#include "connectors/sources/faker/faker_generator.h"

namespace sluice {

namespace {

using faker::FindStream;
using faker::FirstSlotAfter;
using faker::Generator;
using faker::RowKey;
using faker::RowWriter;
using faker::StreamKind;

constexpr size_t kMaxBatchRows = 16384;
constexpr size_t kMaxBatchBytes = 1 << 20;
//! Rows between two checks of a batch's byte size (ByteSize walks every column).
constexpr size_t kByteCheckRows = 1024;
constexpr char kCursorKey[] = "updated_at";

struct FakerConfig {
  int64_t count = 1000;
  int64_t seed = 0;
  int64_t records_per_slice = 1000;
  bool always_updated = false;
  int64_t parallelism = 1;
};

Status ReadInt(const Json& config, const char* key, int64_t minimum, int64_t& out) {
  auto it = config.find(key);
  if (it == config.end() || it->is_null()) return Status::Ok();
  if (!it->is_number_integer()) {
    return Status::ConfigError(std::string("config.") + key + ": must be an integer, got " + it->dump());
  }
  const int64_t v = it->get<int64_t>();
  if (v < minimum) {
    return Status::ConfigError(std::string("config.") + key + ": must be >= " + std::to_string(minimum) + ", got " +
                               std::to_string(v));
  }
  out = v;
  return Status::Ok();
}

//! The config with defaults for absent keys (the framework normally applied them already).
Result<FakerConfig> ParseConfig(const Json& config) {
  FakerConfig c;
  if (config.is_null()) return c;
  if (!config.is_object()) return Status::ConfigError("config: must be an object");
  SLUICE_RETURN_IF_ERROR(ReadInt(config, "count", 1, c.count));
  SLUICE_RETURN_IF_ERROR(ReadInt(config, "seed", INT64_MIN, c.seed));
  SLUICE_RETURN_IF_ERROR(ReadInt(config, "records_per_slice", 1, c.records_per_slice));
  SLUICE_RETURN_IF_ERROR(ReadInt(config, "parallelism", 1, c.parallelism));
  if (auto it = config.find("always_updated"); it != config.end() && !it->is_null()) {
    if (!it->is_boolean()) return Status::ConfigError("config.always_updated: must be a boolean, got " + it->dump());
    c.always_updated = it->get<bool>();
  }
  return c;
}

Json SpecProperty(const char* type, const char* title, const char* description, Json default_value, int order) {
  return Json{{"type", type},
              {"title", title},
              {"description", description},
              {"default", std::move(default_value)},
              {"order", order}};
}

Json ConnectionSpecification() {
  Json props = Json::object();
  props["count"] = SpecProperty(
      "integer", "Count",
      "How many users to generate in total. The purchases stream scales with it (about 1.3 purchases per "
      "user); the products stream is always 100 products.",
      1000, 0);
  props["count"]["minimum"] = 1;
  props["seed"] = SpecProperty("integer", "Seed",
                               "The random seed: the same seed and count always produce the same records.", 0, 1);
  props["records_per_slice"] = SpecProperty(
      "integer", "Records Per Stream Slice",
      "A state checkpoint is emitted after every this many records of a stream (and at its end).", 1000, 2);
  props["records_per_slice"]["minimum"] = 1;
  props["always_updated"] = SpecProperty(
      "boolean", "Always Updated",
      "Give every record a fresh updated_at on every sync, so incremental syncs re-emit all records. When false, "
      "an incremental sync emits only records not emitted before (e.g. after raising count).",
      false, 3);
  props["parallelism"] = SpecProperty(
      "integer", "Parallelism",
      "Accepted for compatibility with Airbyte's source-faker configs; generation runs on one thread.", 1, 4);
  props["parallelism"]["minimum"] = 1;
  return Json{{"$schema", "http://json-schema.org/draft-07/schema#"},
              {"title", "Faker Source Spec"},
              {"type", "object"},
              {"additionalProperties", false},
              {"properties", std::move(props)}};
}

//! Reads one configured stream: generates its rows into batches (a StreamBatcher), checkpoints
//! every records_per_slice records and at the end.
class StreamReader {
 public:
  StreamReader(StreamKind kind, const ConfiguredStream& stream, uint32_t index, const FakerConfig& config,
               Emitter& out)
      : kind_(kind),
        stream_(stream),
        config_(config),
        emitter_(out),
        generator_(config.seed),
        writer_(kind, generator_, *stream.schema),
        out_(out, index, stream.schema,
             {.max_rows = kMaxBatchRows, .max_bytes = kMaxBatchBytes, .byte_check_every_rows = kByteCheckRows,
              .presize = true}) {
    SetLimits();
  }

  //! Reads the stream from STARTED to COMPLETE (INCOMPLETE on an error). `saved` is this
  //! stream's state blob from the last run, or nullptr.
  Status Run(const Json* saved) {
    SLUICE_RETURN_IF_ERROR(out_.Start());
    Status st = out_.MarkRunning();
    if (st.ok()) st = Read(saved);
    return out_.Finish(st);
  }

 private:
  Status Read(const Json* saved) {
    const bool incremental = stream_.sync_mode == SyncMode::kIncremental;
    if (incremental && saved != nullptr) SLUICE_RETURN_IF_ERROR(ParseSavedCursor(*saved));
    if (config_.always_updated) {
      // Fresh cursors, past anything a previous run saved: every record is new again.
      run_base_ = std::max(NowMicros(), has_cursor_ ? cursor_ + 1 : INT64_MIN);
    }
    // The first slot that can hold a record past the cursor; all of them when cursors are fresh.
    const int64_t first = has_cursor_ && !config_.always_updated ? FirstSlotAfter(kind_, cursor_) : 1;

    switch (kind_) {
      case StreamKind::kUsers: SLUICE_RETURN_IF_ERROR(ReadSimple(first, config_.count)); break;
      case StreamKind::kProducts: SLUICE_RETURN_IF_ERROR(ReadSimple(first, faker::kProductCount)); break;
      case StreamKind::kPurchases: SLUICE_RETURN_IF_ERROR(ReadPurchases(first)); break;
    }
    SLUICE_RETURN_IF_ERROR(out_.Flush());
    if (rows_since_state_ > 0 || !state_emitted_) SLUICE_RETURN_IF_ERROR(EmitState());
    return Status::Ok();
  }

  Status ParseSavedCursor(const Json& saved) {
    if (!saved.is_object()) return Status::Ok();
    auto it = saved.find(kCursorKey);
    if (it == saved.end() || it->is_null()) return Status::Ok();
    const std::string where = "state of stream " + stream_.stream.name + ": " + kCursorKey;
    if (!it->is_string()) return Status::ConfigError(where + " must be a timestamp string, got " + it->dump());
    const auto micros = ParseTimestamp(it->get<std::string>());
    if (!micros) return Status::ConfigError(where + " is not a timestamp: " + it->dump());
    has_cursor_ = true;
    cursor_ = *micros;
    return Status::Ok();
  }

  int64_t UpdatedAt(const RowKey& key) const {
    return config_.always_updated ? run_base_ + key.id : generator_.UpdatedAt(kind_, key);
  }

  //! Users and products: ids first..last.
  Status ReadSimple(int64_t first, int64_t last) {
    for (int64_t id = first; id <= last; ++id) {
      const RowKey key{id, 0, 0};
      const int64_t updated_at = UpdatedAt(key);
      if (has_cursor_ && updated_at <= cursor_) continue;
      SLUICE_RETURN_IF_ERROR(WriteRow(key, updated_at));
    }
    return Status::Ok();
  }

  //! Purchases of users first_user..count, numbered in user order.
  Status ReadPurchases(int64_t first_user) {
    int64_t id = 1;
    for (int64_t user = 1; user < first_user && user <= config_.count; ++user) {
      id += generator_.PurchaseCount(user);
      if ((user & 0xfffff) == 0 && emitter_.cancelled()) return Status::Cancelled();
    }
    for (int64_t user = first_user; user <= config_.count; ++user) {
      const int n = generator_.PurchaseCount(user);
      for (int index = 0; index < n; ++index, ++id) {
        const RowKey key{id, user, index};
        const int64_t updated_at = UpdatedAt(key);
        if (has_cursor_ && updated_at <= cursor_) continue;
        SLUICE_RETURN_IF_ERROR(WriteRow(key, updated_at));
      }
    }
    return Status::Ok();
  }

  //! Writes one row; when that ended a batch, a checkpoint follows if a slice is complete.
  Status WriteRow(const RowKey& key, int64_t updated_at) {
    writer_.Write(key, updated_at, out_.batch());
    max_cursor_ = updated_at;  // cursors grow with the id
    any_row_ = true;
    ++rows_since_state_;
    SLUICE_RETURN_IF_ERROR(out_.RowFinished());
    if (out_.batch().num_rows() > 0) return Status::Ok();
    if (rows_since_state_ >= static_cast<size_t>(config_.records_per_slice)) SLUICE_RETURN_IF_ERROR(EmitState());
    SetLimits();
    return Status::Ok();
  }

  //! The next batch ends at a slice boundary or at kMaxBatchRows, whichever comes first.
  void SetLimits() {
    const size_t slice = static_cast<size_t>(config_.records_per_slice);
    BatchLimits limits = out_.limits();
    limits.max_rows = std::min(kMaxBatchRows, slice - rows_since_state_ % slice);
    out_.set_limits(limits);
  }

  //! A STREAM state with the greatest cursor emitted so far, after the rows it covers.
  Status EmitState() {
    Json blob = Json::object();
    if (any_row_ || has_cursor_) {
      // Nothing new this run: the saved cursor stays.
      std::string text;
      AppendTimestamp(text, any_row_ ? max_cursor_ : cursor_, /*utc=*/true);
      blob[kCursorKey] = std::move(text);
    }
    StateMessage state;
    state.type = StateType::kStream;
    state.stream.descriptor = stream_.descriptor();
    state.stream.stream_state = std::move(blob);
    rows_since_state_ = 0;
    state_emitted_ = true;
    return out_.Checkpoint(std::move(state));
  }

  const StreamKind kind_;
  const ConfiguredStream& stream_;
  const FakerConfig& config_;
  Emitter& emitter_;
  Generator generator_;
  RowWriter writer_;
  StreamBatcher out_;

  bool has_cursor_ = false;
  int64_t cursor_ = 0;    //!< the saved cursor (incremental)
  int64_t run_base_ = 0;  //!< always_updated: record id's cursor is run_base_ + id
  bool any_row_ = false;
  int64_t max_cursor_ = 0;  //!< the last (greatest) cursor written, when any_row_

  size_t rows_since_state_ = 0;
  bool state_emitted_ = false;
};

class FakerSource final : public Source {
 public:
  ConnectorSpec Spec() const override {
    return ConnectorSpec::ForSource("https://docs.airbyte.com/integrations/sources/faker", ConnectionSpecification(), true);
  }

  Status Check(const Json& config) override { return ParseConfig(config).status(); }

  Result<Catalog> Discover(const Json& config) override {
    SLUICE_RETURN_IF_ERROR(ParseConfig(config).status());
    Catalog catalog;
    for (StreamKind kind : faker::kAllStreams) {
      AirbyteStream s;
      s.name = std::string(faker::StreamName(kind));
      s.json_schema = faker::NativeSchema(kind)->ToJsonSchema();
      s.supported_sync_modes = {SyncMode::kFullRefresh, SyncMode::kIncremental};
      s.source_defined_cursor = true;
      s.default_cursor_field = {kCursorKey};
      s.source_defined_primary_key = {{"id"}};
      s.is_resumable = true;
      catalog.streams.push_back(std::move(s));
    }
    return catalog;
  }

  Status Read(const Json& config, const ConfiguredCatalog& catalog, const StateStore& state, Emitter& out) override {
    SLUICE_ASSIGN_OR_RETURN(const FakerConfig parsed, ParseConfig(config));
    std::vector<StreamKind> kinds;
    for (const ConfiguredStream& s : catalog.streams) {
      auto kind = FindStream(s.stream.name);
      if (!kind) {
        return Status::ConfigError("catalog: stream '" + s.stream.name +
                                   "' is not a faker stream (users, products, purchases)");
      }
      if (!s.schema) return Status::SystemError("catalog: stream '" + s.stream.name + "' has no bound schema");
      kinds.push_back(*kind);
    }
    for (size_t i = 0; i < catalog.streams.size(); ++i) {
      const ConfiguredStream& s = catalog.streams[i];
      const auto index = static_cast<uint32_t>(i);
      StreamReader reader(kinds[i], s, index, parsed, out);
      SLUICE_RETURN_IF_ERROR(reader.Run(state.Find(s.descriptor())));
    }
    return Status::Ok();
  }
};

}  // namespace

std::unique_ptr<Source> MakeFakerSource() { return std::make_unique<FakerSource>(); }

SLUICE_REGISTER_SOURCE("source-faker", "Sample Data (Faker)",
                       "deterministic users, products and purchases (demos, benchmarks)",
                       MakeFakerSource);

}  // namespace sluice
