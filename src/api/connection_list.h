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
// Per workspace: Items() gives one workspace's objects, so an answer for a set of workspaces (a
// caller limited to some) is the concatenation of each one's items, with no more work per item.

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/json.h"
#include "metadata/metadata_store.h"

namespace sluice {

//! A connection as the Config API answers it (connections/get, list, create, update).
Json ConnectionToApi(Connection c, bool include_catalog = true);

//! Serialized connection objects by (id, updated_at). Thread-safe; one per Api (the
//! connections/list ListCache serializes the builds anyway).
class ConnectionListFragments {
 public:
  //! The comma-separated JSON objects (no brackets) of the live connections of `workspace_id`,
  //! in list order (created_at, id), with or without `syncCatalog`. Rows whose version is not
  //! kept are read from the store (one GetConnection each, or one ListConnections when many: the
  //! first build); the objects of connections that left the workspace's list are dropped.
  //! Store failures throw ApiError (503/500) like Unwrap.
  std::string Items(MetadataStore& store, const std::string& workspace_id, bool include_catalog);
  //! A token of what Items() would show: the live connections' ids and updated_at (a hash).
  //! Cheap: the index only.
  static std::string Version(MetadataStore& store, const std::string& workspace_id);
  //! Connections kept (for tests).
  size_t size() const;

  //! `{"connections":[items]}`.
  static std::string Answer(const std::string& items);

 private:
  struct Fragment {
    std::string workspace_id;
    int64_t updated_at = 0;
    std::string with_catalog;
    std::string without_catalog;
  };
  static std::shared_ptr<const Fragment> MakeFragment(Connection c);

  mutable std::mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<const Fragment>> fragments_;  // by connection id
};

}  // namespace sluice
