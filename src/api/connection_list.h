#pragma once
// connections/list's answer, assembled from per-connection fragments. Internal to the module.
//
// The answer is `{"connections":[…]}` with one JSON object per live connection of the workspace
// (ConnectionToApi, serialized). Building it from the rows costs a JSON parse of every
// connection's catalog and a serialization (~0.5 ms a connection); under constant writes it was
// rebuilt after every write, so the route's p99 was 456 ms at 500 req/s. Instead each
// connection's object is kept serialized, by the (id, updated_at) of its row — every write of a
// connection row moves updated_at (metadata/store_internal.h kBumpUpdatedAt), so that pair names
// the content — and a build asks the store only for the live connections' (id, updated_at) in
// list order (MetadataStore::ListConnectionVersions, the partial index connections_live), reads the
// rows of the few that changed, and concatenates. The answer is byte-identical to a fresh
// serialization of the same rows (tests/unit/api/connection_list_test.cc).
//
// Per workspace: Live() gives one workspace's objects and Assemble() joins those of any number of
// workspaces, so an answer for a set of workspaces (a caller limited to some) costs no more work
// per connection than one workspace's.

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/json.h"
#include "metadata/metadata_store.h"

namespace sluice {

//! A connection as the Config API answers it (connections/get, list, create, update).
Json ConnectionToApi(Connection c, bool include_catalog = true);

//! Serialized connection objects by (id, updated_at), each also as a raw deflate chunk (level 1,
//! ended by a sync flush, so chunks concatenate) with its CRC-32: the gzip form of an answer is
//! the chunks between a gzip header and trailer (crc32_combine), as pigz joins blocks, so no
//! build compresses more than the connections that changed. The price: each object is compressed
//! on its own (no matches across objects): for 200 near-identical connections ~5x smaller than
//! the body instead of ~60x for one stream over the whole answer.
//! Thread-safe; one per Api.
class ConnectionListFragments {
 public:
  struct Fragment {
    std::string workspace_id;
    int64_t updated_at = 0;
    struct Form {
      std::string json;     //!< the serialized object
      std::string deflate;  //!< its raw deflate chunk (sync flush, not final)
      uint32_t crc = 0;     //!< CRC-32 of json
    };
    Form with_catalog, without_catalog;
  };
  using Items = std::vector<std::shared_ptr<const Fragment>>;

  //! The live connections of `workspace_id` in list order (created_at, id). Rows whose version
  //! is not kept are read from the store (one GetConnection each, or one ListConnections when
  //! many: the first build) and serialized; the objects of connections that left the
  //! workspace's list are dropped. Store failures throw ApiError (503/500) like Unwrap.
  Items Live(MetadataStore& store, const std::string& workspace_id);
  //! A token of what Live() would give: the live connections' ids and updated_at (a hash).
  //! Cheap: the index only.
  static std::string Version(MetadataStore& store, const std::string& workspace_id);
  //! Connections kept (for tests).
  size_t size() const;

  //! `{"connections":[…]}` of the items of one or more workspaces (in the order given), with or
  //! without `syncCatalog`, and its gzip form.
  struct Answer {
    std::string body;
    std::string gzip;
  };
  static Answer Assemble(const std::vector<Items>& workspaces, bool include_catalog);

 private:
  static std::shared_ptr<const Fragment> MakeFragment(Connection c);

  mutable std::mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<const Fragment>> fragments_;  // by connection id
};

//! `data` as a raw deflate chunk (level 1) ended by a sync flush: chunks concatenate into one
//! deflate stream (GzipFromChunks).
std::string DeflateChunk(std::string_view data);

}  // namespace sluice
