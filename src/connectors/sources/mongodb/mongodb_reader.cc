#include "connectors/sources/mongodb/mongodb_reader.h"

#include <fmt/format.h>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/log.h"
#include "base/time.h"
#include "connectors/kit/cdc/cdc_columns.h"
#include "connectors/kit/cdc/cdc_state.h"
#include "connectors/kit/stream_batcher.h"
#include "connectors/sources/mongodb/bson_json.h"
#include "connectors/sources/mongodb/mongodb_client.h"

namespace sluice {

namespace {

constexpr auto kContinuousCheckpointEvery = std::chrono::milliseconds(100);
constexpr auto kIdleCheckpointEvery = std::chrono::seconds(5);
constexpr int kBatchAwaitMs = 1000;
constexpr int kContinuousAwaitMs = 500;
constexpr int64_t kCursorPerSecond = 100'000'000;  // Airbyte's _ab_cdc_cursor: seconds × 10^8 + n

const char* kStatusComplete = "COMPLETE";
const char* kStatusInProgress = "IN_PROGRESS";

//! A BSON document as canonical extended JSON (resume tokens in the state).
Json BsonToExtendedJson(const bson_t* doc) {
  size_t len = 0;
  char* text = bson_as_canonical_extended_json(doc, &len);
  Json out = Json::parse(std::string_view(text, len), nullptr, false);
  bson_free(text);
  return out;
}

bool IsInvalidPosition(const bson_error_t& e) {
  return e.domain == MONGOC_ERROR_SERVER && (e.code == kMongoChangeStreamHistoryLost ||
                                             e.code == kMongoChangeStreamFatalError ||
                                             e.code == kMongoCappedPositionLost);
}

class MongoRead {
 public:
  MongoRead(const MongoSourceConfig& config, const ConfiguredCatalog& catalog, const StateStore& state, Emitter& out,
            const std::atomic<bool>* end)
      : config_(config), catalog_(catalog), state_(state), out_(out), end_(end) {}

  Status Run() {
    SLUICE_ASSIGN_OR_RETURN(client_, MongoClient::Connect(config_));
    cursor_base_ = NowMicros() / kMicrosPerSecond * kCursorPerSecond;
    for (uint32_t i = 0; i < catalog_.streams.size(); ++i) {
      const ConfiguredStream& s = catalog_.streams[i];
      if (!s.schema) return Status::SystemError("catalog: stream '" + s.descriptor().ToString() + "' has no bound schema");
      batchers_.push_back(std::make_unique<StreamBatcher>(out_, i, s.schema));
      SLUICE_RETURN_IF_ERROR(batchers_.back()->Start());
    }
    Status st = DecideStart();
    if (st.ok()) st = Snapshot();
    if (st.ok() && HasIncremental()) st = ReadChanges();
    if (!st.ok() && !st.cancelled() && out_.cancelled()) st = Status::Cancelled();
    Status first = st;
    for (auto& b : batchers_) {
      Status f = b->Finish(st);
      if (first.ok() && !f.ok()) first = f;
    }
    return first;
  }

 private:
  bool Incremental(uint32_t i) const { return catalog_.streams[i].sync_mode == SyncMode::kIncremental; }
  bool HasIncremental() const {
    for (uint32_t i = 0; i < catalog_.streams.size(); ++i) {
      if (Incremental(i)) return true;
    }
    return false;
  }
  std::string Key(uint32_t i) const { return catalog_.streams[i].descriptor().ToString(); }

  // ---- state -------------------------------------------------------------------------------------

  StateMessage GlobalState() const {
    CdcState s;
    s.position = Json{{"resume_token", token_}};
    for (uint32_t i = 0; i < catalog_.streams.size(); ++i) {
      if (!Incremental(i)) continue;
      auto it = blobs_.find(Key(i));
      if (it == blobs_.end()) continue;
      s.streams.push_back({catalog_.streams[i].descriptor(), it->second});
    }
    return CdcStateMessage(s);
  }

  Status Checkpoint() {
    for (auto& b : batchers_) SLUICE_RETURN_IF_ERROR(b->Flush());
    events_since_checkpoint_ = 0;
    last_checkpoint_ = std::chrono::steady_clock::now();
    return out_.EmitState(GlobalState());
  }

  // ---- start -------------------------------------------------------------------------------------

  //! The change stream options after `token` (null: from now).
  BsonPtr WatchOptions(const Json& token, int await_ms) const {
    Json opts = {{"maxAwaitTimeMS", await_ms},
                 {"fullDocument", config_.update_capture_mode == MongoUpdateCaptureMode::kPostImage ? "required"
                                                                                                   : "updateLookup"}};
    if (!token.is_null()) opts["resumeAfter"] = token;
    return BsonFromJson(opts.dump());
  }

  BsonPtr Pipeline() const {
    Json colls = Json::array();
    for (uint32_t i = 0; i < catalog_.streams.size(); ++i) {
      if (Incremental(i)) colls.push_back(catalog_.streams[i].stream.name);
    }
    Json match = {{"ns.coll", {{"$in", colls}}},
                  {"operationType", {{"$in", {"insert", "update", "replace", "delete"}}}}};
    return BsonFromJson(Json{{"pipeline", Json::array({Json{{"$match", match}}})}}.dump());
  }

  ChangeStreamPtr Watch(const Json& token, int await_ms) const {
    mongoc_database_t* db = mongoc_client_get_database(client_->get(), config_.database.c_str());
    BsonPtr pipeline = Pipeline();
    BsonPtr opts = WatchOptions(token, await_ms);
    ChangeStreamPtr stream(mongoc_database_watch(db, pipeline.get(), opts.get()));
    mongoc_database_destroy(db);
    return stream;
  }

  //! The resume token of "now": a change stream opened only to read its postBatchResumeToken.
  Result<Json> CurrentToken() {
    ChangeStreamPtr stream = Watch(nullptr, 1);
    bson_error_t error;
    const bson_t* reply = nullptr;
    if (mongoc_change_stream_error_document(stream.get(), &error, &reply)) {
      return client_->ErrorStatus(error, "opening a change stream (needs a replica set and the changeStream "
                                         "privilege)");
    }
    const bson_t* token = mongoc_change_stream_get_resume_token(stream.get());
    if (token == nullptr) {
      return Status::ConfigError("MongoDB: the change stream gave no resume token (postBatchResumeToken needs "
                                 "MongoDB 4.0.7 or later, as a replica set)");
    }
    return BsonToExtendedJson(token);
  }

  //! Whether the server can still resume after `token`.
  Result<bool> TokenValid(const Json& token) {
    ChangeStreamPtr stream = Watch(token, 1);
    const bson_t* doc = nullptr;
    (void)mongoc_change_stream_next(stream.get(), &doc);  // the events are read again later
    bson_error_t error;
    const bson_t* reply = nullptr;
    if (mongoc_change_stream_error_document(stream.get(), &error, &reply)) {
      if (IsInvalidPosition(error)) {
        Log(LogLevel::kWarn, "MongoDB: the saved resume token cannot be resumed: {} (code {})", error.message,
            error.code);
        return false;
      }
      return client_->ErrorStatus(error, "resuming the change stream");
    }
    return true;
  }

  Status InvalidPosition() const {
    return Status::ConfigError(
        "CDC cannot resume the saved resume token: the oplog no longer holds it (the last sync was too long ago, or "
        "the oplog is too small). Changes since then are gone: reset the connection's streams (or set "
        "invalid_cdc_cursor_position_behavior to \"Re-sync data\" to snapshot again automatically), and size the "
        "oplog to hold more than the time between syncs");
  }

  Status DecideStart() {
    std::optional<CdcState> saved = ParseCdcState(state_);
    if (saved && !(saved->position.is_object() && saved->position.contains("resume_token") &&
                   saved->position["resume_token"].is_object())) {
      if (HasIncremental()) Log(LogLevel::kWarn, "the saved state has no MongoDB resume token; taking a new snapshot");
      saved.reset();
    }
    if (saved && HasIncremental()) {
      SLUICE_ASSIGN_OR_RETURN(const bool valid, TokenValid(saved->position["resume_token"]));
      if (!valid) {
        if (!config_.resync_on_invalid_position) return InvalidPosition();
        Log(LogLevel::kWarn, "re-syncing every stream (invalid_cdc_cursor_position_behavior = Re-sync data)");
        saved.reset();
      }
    }
    if (saved) {
      token_ = saved->position["resume_token"];
      for (const auto& s : saved->streams) blobs_[s.descriptor.ToString()] = s.stream_state;
    } else if (HasIncremental()) {
      SLUICE_ASSIGN_OR_RETURN(token_, CurrentToken());
    }
    return Status::Ok();
  }

  // ---- rows --------------------------------------------------------------------------------------

  //! Appends one document as a row of stream `i` with the CDC columns.
  Status AddRow(uint32_t i, const bson_t* doc, int64_t updated_at_us, std::optional<int64_t> deleted_at_us) {
    StreamBatcher& b = *batchers_[i];
    RecordBatch& batch = b.batch();
    const Schema& schema = batch.schema();
    const size_t row = batch.num_rows();
    bson_iter_t it;
    if (config_.schema_enforced) {
      if (bson_iter_init(&it, doc)) {
        while (bson_iter_next(&it)) {
          const int col = schema.IndexOf(bson_iter_key(&it));
          if (col < 0) {
            if (unknown_noted_.insert(Key(i) + "." + bson_iter_key(&it)).second) {
              Log(LogLevel::kInfo, "{}: field '{}' is not in the catalog and is left out (discover again to add it)",
                  Key(i), bson_iter_key(&it));
            }
            continue;
          }
          if (IsCdcColumn(bson_iter_key(&it), std::span<const CdcColumn>(kBinlogPositionColumns, 1))) continue;
          if (batch.column(col).size() != row) continue;  // a repeated key: the first one counts
          AppendBsonValue(&it, static_cast<size_t>(col), batch);
        }
      }
    } else {
      const int id = schema.IndexOf("_id");
      if (id >= 0 && bson_iter_init_find(&it, doc, "_id")) AppendBsonValue(&it, static_cast<size_t>(id), batch);
      const int data = schema.IndexOf("data");
      if (data >= 0 && !deleted_at_us) batch.column(data).AppendBytes(BsonDocumentToJson(doc, "_id").dump());
    }
    if (const int c = schema.IndexOf(kCdcCursorColumn); c >= 0) batch.column(c).AppendInt64(cursor_base_ + ++counter_);
    if (const int c = schema.IndexOf(kCdcUpdatedAtColumn); c >= 0) batch.column(c).AppendInt64(updated_at_us);
    if (const int c = schema.IndexOf(kCdcDeletedAtColumn); c >= 0 && deleted_at_us) {
      batch.column(c).AppendInt64(*deleted_at_us);
    }
    return b.RowAdded();
  }

  // ---- snapshot ----------------------------------------------------------------------------------

  Status Snapshot() {
    const int64_t snapshot_at = NowMicros();
    for (uint32_t i = 0; i < catalog_.streams.size(); ++i) {
      const std::string key = Key(i);
      std::optional<MongoIdText> after;
      if (Incremental(i)) {
        auto it = blobs_.find(key);
        if (it != blobs_.end() && it->second.is_object()) {
          const Json& blob = it->second;
          if (blob.value("status", "") == kStatusComplete) continue;
          if (blob.contains("id") && blob["id"].is_string() && blob.contains("id_type")) {
            after = MongoIdText{blob["id"].get<std::string>(), blob.value("id_type", "")};
          }
        }
      }
      SLUICE_RETURN_IF_ERROR(batchers_[i]->MarkRunning());
      SLUICE_RETURN_IF_ERROR(SnapshotStream(i, after, snapshot_at));
    }
    return Status::Ok();
  }

  Status SnapshotStream(uint32_t i, std::optional<MongoIdText> after, int64_t snapshot_at) {
    const std::string key = Key(i);
    CollectionPtr coll = client_->Collection(catalog_.streams[i].stream.name);
    BsonPtr filter = NewBson();
    if (after) {
      bson_t gt;
      bson_append_document_begin(filter.get(), "_id", 3, &gt);
      const bool ok = AppendMongoId(&gt, "$gt", *after);
      bson_append_document_end(filter.get(), &gt);
      if (!ok) {
        Log(LogLevel::kWarn, "{}: the saved _id '{}' ({}) cannot be resumed from; reading the collection again", key,
            after->text, after->type);
        filter = NewBson();
        after.reset();
      }
    }
    Log(LogLevel::kInfo, "{}: snapshot{}", key, after ? fmt::format(" resumed after _id {}", after->text) : "");
    BsonPtr opts = BsonFromJson(R"({"sort": {"_id": 1}, "batchSize": 2000})");
    CursorPtr cursor(mongoc_collection_find_with_opts(coll.get(), filter.get(), opts.get(), nullptr));
    const bson_t* doc = nullptr;
    int64_t since_checkpoint = 0;
    std::optional<MongoIdText> last = after;
    bool resumable = true;
    while (mongoc_cursor_next(cursor.get(), &doc)) {
      if (out_.cancelled()) return Status::Cancelled();
      SLUICE_RETURN_IF_ERROR(AddRow(i, doc, snapshot_at, std::nullopt));
      if (!Incremental(i)) continue;
      bson_iter_t it;
      if (bson_iter_init_find(&it, doc, "_id")) {
        auto id = MongoIdOf(&it);
        if (id && last && id->type != last->type) id.reset();  // mixed id types: $gt would skip the others
        if (!id) resumable = false;
        if (resumable) last = std::move(id);
      }
      if (++since_checkpoint >= config_.snapshot_checkpoint_documents && resumable && last) {
        blobs_[key] = Json{{"id", last->text}, {"id_type", last->type}, {"status", kStatusInProgress}};
        SLUICE_RETURN_IF_ERROR(Checkpoint());
        since_checkpoint = 0;
      }
    }
    bson_error_t error;
    if (mongoc_cursor_error(cursor.get(), &error)) {
      return client_->ErrorStatus(error, fmt::format("reading collection '{}'", catalog_.streams[i].stream.name));
    }
    if (Incremental(i)) blobs_[key] = Json{{"status", kStatusComplete}};
    return Checkpoint();  // a full-refresh stream's too: a checkpoint covers the rows before it
  }

  // ---- changes -----------------------------------------------------------------------------------

  std::optional<uint32_t> StreamOf(const std::string& collection) const {
    for (uint32_t i = 0; i < catalog_.streams.size(); ++i) {
      if (Incremental(i) && catalog_.streams[i].stream.name == collection) return i;
    }
    return std::nullopt;
  }

  //! The cluster time now (operationTime of a ping); nullopt when the server does not say.
  std::optional<std::pair<uint32_t, uint32_t>> ClusterTimeNow() {
    BsonPtr ping = BsonFromJson(R"({"ping": 1})");
    auto reply = client_->Command(ping.get(), "reading the cluster time");
    if (!reply.ok()) return std::nullopt;
    bson_iter_t it;
    if (!bson_iter_init_find(&it, reply->get(), "operationTime") || !BSON_ITER_HOLDS_TIMESTAMP(&it)) return std::nullopt;
    uint32_t t = 0, inc = 0;
    bson_iter_timestamp(&it, &t, &inc);
    return std::make_pair(t, inc);
  }

  //! Handles one change event. Sets `*after_start` when the event is past the batch read's end
  //! (not handled then).
  Status OnEvent(const bson_t* ev, bool* after_start) {
    bson_iter_t it;
    uint32_t t = 0, inc = 0;
    if (bson_iter_init_find(&it, ev, "clusterTime") && BSON_ITER_HOLDS_TIMESTAMP(&it)) bson_iter_timestamp(&it, &t, &inc);
    if (stop_after_ && std::make_pair(t, inc) > *stop_after_) {
      *after_start = true;
      return Status::Ok();
    }
    std::string op, coll;
    if (bson_iter_init_find(&it, ev, "operationType") && BSON_ITER_HOLDS_UTF8(&it)) op = bson_iter_utf8(&it, nullptr);
    bson_iter_t ns;
    if (bson_iter_init_find(&it, ev, "ns") && bson_iter_recurse(&it, &ns) && bson_iter_find(&ns, "coll") &&
        BSON_ITER_HOLDS_UTF8(&ns)) {
      coll = bson_iter_utf8(&ns, nullptr);
    }
    int64_t at_us = static_cast<int64_t>(t) * kMicrosPerSecond;
    if (bson_iter_init_find(&it, ev, "wallTime") && BSON_ITER_HOLDS_DATE_TIME(&it)) {
      at_us = bson_iter_date_time(&it) * 1000;
    }
    auto stream = StreamOf(coll);
    Status st = Status::Ok();
    if (op == "invalidate") {
      return Status::SystemError(fmt::format("MongoDB: the change stream of database '{}' was invalidated (the "
                                             "database was dropped or renamed); reset the connection",
                                             config_.database));
    }
    if (stream) {
      if (op == "delete") {
        bson_iter_t key;
        if (bson_iter_init_find(&it, ev, "documentKey") && BSON_ITER_HOLDS_DOCUMENT(&it)) {
          uint32_t len = 0;
          const uint8_t* data = nullptr;
          bson_iter_document(&it, &len, &data);
          bson_t doc;
          if (bson_init_static(&doc, data, len)) st = AddRow(*stream, &doc, at_us, at_us);
        }
        (void)key;
      } else if (op == "insert" || op == "update" || op == "replace") {
        if (bson_iter_init_find(&it, ev, "fullDocument") && BSON_ITER_HOLDS_DOCUMENT(&it)) {
          uint32_t len = 0;
          const uint8_t* data = nullptr;
          bson_iter_document(&it, &len, &data);
          bson_t doc;
          if (bson_init_static(&doc, data, len)) st = AddRow(*stream, &doc, at_us, std::nullopt);
        } else {
          ++skipped_;  // updated, then deleted before the lookup: the delete event follows
        }
      }
      ++events_;
      ++events_since_checkpoint_;
    }
    SLUICE_RETURN_IF_ERROR(st);
    if (bson_iter_init_find(&it, ev, "_id") && BSON_ITER_HOLDS_DOCUMENT(&it)) {
      uint32_t len = 0;
      const uint8_t* data = nullptr;
      bson_iter_document(&it, &len, &data);
      bson_t token;
      if (bson_init_static(&token, data, len)) token_ = BsonToExtendedJson(&token);
    }
    return Status::Ok();
  }

  Status ReadChanges() {
    const bool continuous = end_ != nullptr;
    if (!continuous) stop_after_ = ClusterTimeNow();
    ChangeStreamPtr stream = Watch(token_, continuous ? kContinuousAwaitMs : kBatchAwaitMs);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(config_.initial_waiting_seconds);
    last_checkpoint_ = std::chrono::steady_clock::now();
    Log(LogLevel::kInfo, "CDC: reading the change stream of database '{}' after {}{}", config_.database, token_.dump(),
        continuous ? " (continuous)" : "");
    bool done = false;
    while (!done) {
      if (out_.cancelled()) return Status::Cancelled();
      if (continuous && end_->load(std::memory_order_relaxed)) break;
      const bson_t* ev = nullptr;
      if (mongoc_change_stream_next(stream.get(), &ev)) {
        bool after_start = false;
        SLUICE_RETURN_IF_ERROR(OnEvent(ev, &after_start));
        if (after_start) break;
        if (events_since_checkpoint_ >= config_.queue_size) SLUICE_RETURN_IF_ERROR(Checkpoint());
        if (continuous && events_since_checkpoint_ > 0 &&
            std::chrono::steady_clock::now() - last_checkpoint_ >= kContinuousCheckpointEvery) {
          SLUICE_RETURN_IF_ERROR(Checkpoint());
        }
        if (!continuous && std::chrono::steady_clock::now() > deadline) {
          Log(LogLevel::kWarn, "CDC: not caught up within initial_waiting_seconds ({} s); stopping here",
              config_.initial_waiting_seconds);
          break;
        }
        continue;
      }
      bson_error_t error;
      const bson_t* reply = nullptr;
      if (mongoc_change_stream_error_document(stream.get(), &error, &reply)) {
        if (IsInvalidPosition(error)) {
          if (config_.resync_on_invalid_position) {
            return Status::TransientError(fmt::format("MongoDB: the change stream lost its position ({}); the next "
                                                      "attempt re-syncs (Re-sync data)", error.message));
          }
          return InvalidPosition();
        }
        return client_->ErrorStatus(error, "reading the change stream");
      }
      // An empty batch: caught up. Everything before the postBatchResumeToken was handled.
      if (const bson_t* pbrt = mongoc_change_stream_get_resume_token(stream.get())) token_ = BsonToExtendedJson(pbrt);
      if (!continuous) {
        done = true;
      } else if (events_since_checkpoint_ > 0 ||
                 std::chrono::steady_clock::now() - last_checkpoint_ >= kIdleCheckpointEvery) {
        SLUICE_RETURN_IF_ERROR(Checkpoint());
      }
    }
    Log(LogLevel::kInfo, "CDC: read {} change event(s){}", events_,
        skipped_ ? fmt::format(" ({} updates of documents deleted before their lookup skipped)", skipped_) : "");
    return Checkpoint();
  }

  const MongoSourceConfig& config_;
  const ConfiguredCatalog& catalog_;
  const StateStore& state_;
  Emitter& out_;
  const std::atomic<bool>* end_;
  std::unique_ptr<MongoClient> client_;
  std::vector<std::unique_ptr<StreamBatcher>> batchers_;
  std::map<std::string, Json> blobs_;  //!< stream descriptor → its snapshot blob
  Json token_;                         //!< where the change stream resumes (what a checkpoint saves)
  std::optional<std::pair<uint32_t, uint32_t>> stop_after_;  //!< batch mode: the cluster time at the start
  std::set<std::string> unknown_noted_;
  int64_t cursor_base_ = 0;
  int64_t counter_ = 0;
  int64_t events_ = 0;
  int64_t skipped_ = 0;
  int64_t events_since_checkpoint_ = 0;
  std::chrono::steady_clock::time_point last_checkpoint_;
};

}  // namespace

Status ReadMongo(const MongoSourceConfig& config, const ConfiguredCatalog& catalog, const StateStore& state,
                 Emitter& out, const std::atomic<bool>* end) {
  MongoRead read(config, catalog, state, out, end);
  return read.Run();
}

}  // namespace sluice
