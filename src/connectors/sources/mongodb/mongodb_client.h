#pragma once
// A libmongoc client for source-mongodb-v2: the connection string with the config's credentials,
// owned handles (RAII) for libbson documents, collections, cursors and change streams, and the
// driver's errors as sluice Statuses (bad credentials and missing rights: config errors naming
// the key; unreachable servers and dropped connections: transient).
//
// One client per Read/Check/Discover, used from one thread (mongoc_client_t is not
// thread-safe). The driver connects lazily; Connect() runs `ping` so a bad address or bad
// credentials fail there.

#include <bson/bson.h>
#include <mongoc/mongoc.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "connectors/sources/mongodb/mongodb_source_config.h"

namespace sluice {

// bson_t is declared 128-byte aligned; a unique_ptr to it only holds the pointer, so the
// attribute being ignored on the template argument is harmless.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wignored-attributes"
struct BsonFree {
  void operator()(bson_t* b) const { bson_destroy(b); }
};
using BsonPtr = std::unique_ptr<bson_t, BsonFree>;
#pragma GCC diagnostic pop
struct CollectionFree {
  void operator()(mongoc_collection_t* c) const { mongoc_collection_destroy(c); }
};
using CollectionPtr = std::unique_ptr<mongoc_collection_t, CollectionFree>;
struct CursorFree {
  void operator()(mongoc_cursor_t* c) const { mongoc_cursor_destroy(c); }
};
using CursorPtr = std::unique_ptr<mongoc_cursor_t, CursorFree>;
struct ChangeStreamFree {
  void operator()(mongoc_change_stream_t* c) const { mongoc_change_stream_destroy(c); }
};
using ChangeStreamPtr = std::unique_ptr<mongoc_change_stream_t, ChangeStreamFree>;

//! A new empty document.
inline BsonPtr NewBson() { return BsonPtr(bson_new()); }
//! A copy of `doc`.
inline BsonPtr CopyBson(const bson_t* doc) { return BsonPtr(bson_copy(doc)); }
//! A document from relaxed extended JSON (constant command text in code); null on a parse error.
BsonPtr BsonFromJson(std::string_view json);

//! Server error codes the reader tells apart.
constexpr int kMongoChangeStreamHistoryLost = 286;  //!< the resume token is older than the oplog
constexpr int kMongoChangeStreamFatalError = 280;   //!< the resume token cannot be used
constexpr int kMongoCappedPositionLost = 136;       //!< older servers: the oplog moved past the cursor
constexpr int kMongoNoMatchingDocument = 47;        //!< post image required but missing (6.0+ answers 286 or 47)

class MongoClient {
 public:
  //! Builds the client from the config's connection string and credentials and runs `ping` on
  //! the database. Config error for a malformed string or bad credentials; transient error when
  //! no server answers.
  static Result<std::unique_ptr<MongoClient>> Connect(const MongoSourceConfig& config);
  ~MongoClient();
  MongoClient(const MongoClient&) = delete;
  MongoClient& operator=(const MongoClient&) = delete;

  mongoc_client_t* get() const { return client_; }
  const std::string& database() const { return database_; }
  //! Runs `cmd` on `db` (the config's database when empty) and returns the reply.
  Result<BsonPtr> Command(const bson_t* cmd, std::string_view what, const std::string& db = {});
  //! A collection of the config's database.
  CollectionPtr Collection(const std::string& name) const;
  //! The names of the database's collections (not views, not system.*), sorted.
  Result<std::vector<std::string>> ListCollections();
  //! The Status for a driver error while doing `what` (never includes credentials).
  Status ErrorStatus(const bson_error_t& error, std::string_view what) const;

 private:
  MongoClient() = default;
  mongoc_client_t* client_ = nullptr;
  std::string database_;
};

}  // namespace sluice
