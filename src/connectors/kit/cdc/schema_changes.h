#pragma once
// SchemaChangesSeen: which schema changes a CDC read has already stopped for, kept in the GLOBAL
// state's log position (shared_state.state.schema_changes_seen) so each one stops a read once.
//
// The rule both CDC sources follow (PostgreSQL pgoutput, MySQL binlog): a change that uses a
// table shape the stream's catalog does not have — a new column, a retyped column, a new table —
// ends the read before the transaction holding it; the checkpoint keeps the last transaction end,
// and the next sync (which discovers first and applies the connection's schema-change policy)
// reads it again with the new catalog. When the policy did not take the change into the catalog,
// the noted entry lets later reads go on without stopping again.
//
//   "schema_changes_seen": {"public.orders": ["note", "amount#numeric", ""]}
//
// Entries are the dialect's: a column name, "column#new type" for a retype, "" for the table
// itself (new in the publication / database). Not thread-safe: the source thread owns it.

#include <string>
#include <string_view>

#include "base/json.h"

namespace sluice {

//! The key under the CDC position that holds the seen changes.
constexpr std::string_view kSchemaChangesSeenKey = "schema_changes_seen";

class SchemaChangesSeen {
 public:
  //! Takes the entries saved in `position` (a CDC state's shared_state.state); none when absent.
  void Load(const Json& position);
  //! Writes the entries into `position` (nothing when there are none).
  void SaveTo(Json& position) const;
  //! Notes `what` of `table`; false when it was noted before (the read goes on).
  bool Announce(const std::string& table, const std::string& what);
  //! Whether `what` of `table` was noted.
  bool Seen(const std::string& table, const std::string& what) const;
  bool empty() const { return seen_.empty(); }

 private:
  Json seen_ = Json::object();  //!< "table" → ["what", …]
};

}  // namespace sluice
