#pragma once
// A connection's schema-change policy, applied at the start of each sync attempt after the
// source was discovered again (Airbyte's `nonBreakingChangesPreference`):
//
//   no change          → the attempt runs the stored syncCatalog (as before).
//   breaking change    → the attempt does not run: a config error naming the stream and field;
//                        the connection is disabled (status inactive) and schemaChange "breaking".
//   non-breaking and
//     ignore           → runs the stored catalog: fields the source added are not read, fields it
//                        removed are left out, streams it removed are skipped, a widened field is
//                        read with its new type (its old one can no longer hold the values; the
//                        destination widens the column in place). The change stays pending.
//     disable          → the connection is disabled and the attempt does not run.
//     propagate_columns→ the stored catalog takes the discovered schema of every stream it has
//                        (columns added, removed, retyped) and drops streams the source removed;
//                        new streams stay pending (the user adds them).
//     propagate_fully  → the same, and new streams are added with the default configuration,
//                        selected.
//
// Pure: the caller (worker/attempt_runner.cc) discovers, then reports the outcome to the worker,
// which writes the connection (catalog, status, pending change) and the job record.

#include <optional>
#include <string>
#include <string_view>

#include "base/json.h"
#include "base/status.h"
#include "connectors/sdk/spec.h"
#include "metadata/metadata_types.h"
#include "platform/catalog_diff.h"
#include "protocol/catalog.h"

namespace sluice {

enum class NonBreakingPolicy { kIgnore, kDisable, kPropagateColumns, kPropagateFully };
//! "ignore", "disable", "propagate_columns", "propagate_fully" (the API's names).
std::string_view NonBreakingPolicyName(NonBreakingPolicy policy);
std::optional<NonBreakingPolicy> ParseNonBreakingPolicy(std::string_view name);

struct SchemaPolicyOutcome {
  enum class Action {
    kRun,            //!< run the sync with run_sync_catalog / run_discovered
    kFailBreaking,   //!< breaking change: do not run, disable the connection
    kDisable,        //!< non-breaking change under `disable`: do not run, disable the connection
  };

  CatalogDiff diff;  //!< the stored syncCatalog → the discovered catalog
  NonBreakingPolicy policy = NonBreakingPolicy::kIgnore;
  Action action = Action::kRun;
  //! The stored syncCatalog after propagation; nullopt when it stays as it is.
  std::optional<Json> new_sync_catalog;
  //! What is left for the user to review after the policy (empty: nothing pending).
  CatalogDiff pending;
  Json run_sync_catalog;   //!< kRun: the syncCatalog this attempt runs
  Catalog run_discovered;  //!< kRun: the discovered catalog with the stream schemas this attempt reads

  bool disables_connection() const { return action != Action::kRun; }
  //! "propagated", "pending", "connection_disabled" or "none" (no change): what the policy did.
  std::string_view ActionName() const;
  //! The user-facing message of an attempt that does not run (names streams, fields, what to do).
  std::string FailureMessage() const;
  //! What a job records: {"schemaChange", "nonBreakingChangesPreference", "action", "summary",
  //! "changes": [lines], "catalogDiff"}.
  Json ToJobJson() const;
};

//! Applies `connection.non_breaking_changes_preference` (unknown → ignore) to the change from
//! `connection.sync_catalog` to `discovered`. A propagated catalog is normalized for
//! `destination_spec`; when that fails (e.g. a stream lost the mode it was configured with) the
//! error is a ConfigError naming the stream, and nothing is propagated.
Result<SchemaPolicyOutcome> ApplySchemaPolicy(const Connection& connection, const Catalog& discovered,
                                              const ConnectorSpec& destination_spec);

//! The catalog a user reviews (web_backend/connections/get withRefreshedCatalog): every stream
//! of `stored` the source still has, with its configuration and the discovered schema; streams
//! the source removed left out; new streams added with the default configuration, not selected.
//! A configured cursor or primary key naming a field the source no longer has is replaced by
//! the source's own (defaultCursorField, sourceDefinedPrimaryKey; possibly none).
Json RefreshedSyncCatalog(const Json& stored, const Catalog& discovered, const ConnectorSpec* destination_spec);

}  // namespace sluice
