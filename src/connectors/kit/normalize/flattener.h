#pragma once
// Basic normalization shared by destinations (destination-postgres; the Parquet destinations):
// the plan of a stream's flat tables from its JSON schema, and the Flattener that turns each
// record into the rows of those tables in C++ (no database round trip).
//
// The plan (PlanNormalizedTables), from the stream's fields (Field::json_schema):
//   - an object with `properties` is flattened into its parent's columns, named
//     `{field}_{property}` (recursively: `contact_geo_lat`);
//   - an array becomes a child table `{parent table}_{field}` with one row per element:
//     elements that are objects give their (flattened) properties as columns, scalars (or
//     elements of unknown shape) a `value` column, arrays a grandchild table `{child}_value`;
//     arrays inside elements recurse (`customers_addresses_lines`);
//   - anything else (an object without properties, a union) stays one column (JSON).
// Names go through the destination's `shorten` (PgIdentifier: 63 bytes); within a table,
// top-level fields keep their names, a flattened name colliding with an earlier column or an
// Airbyte/hash column gets `_2`, `_3`, …; a child table name already in `taken` likewise —
// names depend only on the catalog, in order.
//
// Hash ids (md5, 32 lowercase hex digits), equal to what destination-postgres computed in SQL
// before (so tables loaded by either path agree): the root's is md5 of its primary key rendered
// as jsonb renders a JSON array (`md5('[1]')`, `md5('["a", 2]')`) when `hash_key` is given, else
// md5 of the row's `_airbyte_raw_id`; a child's is md5(parent hash id + "-" + 1-based position).
//
// Leaves (nested values) take their declared type; a value of another JSON type (or a string
// that does not look like the date/time) is NULL — the rules of the SQL projection
// (NormLeafExpr in destination-postgres). String leaves holding a non-string take its JSON text.
//
// Pure and single-threaded: a Flattener is owned by one stream writer.

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "protocol/record_batch.h"
#include "protocol/types.h"

namespace sluice {

inline constexpr const char* kColNormalizedAt = "_airbyte_normalized_at";

//! One data column of a flat table (the hash id and Airbyte columns are not listed here).
struct NormColumn {
  std::string name;
  TypeId type = TypeId::kString;  //!< the field's type (top-level) or the declared leaf type
  bool leaf = false;              //!< false: top-level field `field` as it is; true: a nested value
  //! leaf: the top-level field the path starts at (root tables), or -1: from the table's element
  int field = -1;
  std::vector<std::string> path;  //!< leaf: object keys from the start
};

struct NormTable {
  std::string name;
  int parent = -1;  //!< -1 for the root
  int depth = 0;
  //! Children: the array in the parent's context — field `array_field` of the record (parent
  //! is the root), or the parent's element (-1) — then the object keys `array_path`.
  int array_field = -1;
  std::vector<std::string> array_path;
  std::vector<NormColumn> columns;
  std::string hashid_column;         //!< `_airbyte_{table}_hashid`
  std::string parent_hashid_column;  //!< children
  std::string root_hashid_column;    //!< children: the parent's (depth 1) or the root's column
};

struct NormPlan {
  std::vector<NormTable> tables;  //!< [0] the root; parents before children
  //! Per field: the root has a column of it as it is (neither flattened nor a child table).
  std::vector<bool> root_has_field;
  std::vector<int> hash_key;  //!< fields of the root hash id; empty: the raw id
};

using NameShortener = std::function<std::string(const std::string&)>;

//! Plans the tables of a stream. `columns`: the root's names of the top-level fields (already
//! resolved by the destination), `root_table` the final table's name, `hash_key` the key fields
//! (empty: the raw id). `taken` holds table names already used; the children's are added.
NormPlan PlanNormalizedTables(const Schema& schema, const std::vector<std::string>& columns,
                              const std::string& root_table, const std::vector<int>& hash_key,
                              std::set<std::string>& taken, const NameShortener& shorten);

//! True when the Flattener computes the root hash id from fields of these types exactly as the
//! SQL projection did (integer, string, boolean keys).
bool FlattenerHashesKeyType(TypeId type);

//! A nested value converted for its column.
struct NormLeaf {
  enum Kind : uint8_t { kNull, kBool, kInt, kDouble, kText, kJson } kind = kNull;
  bool b = false;
  int64_t i = 0;
  double d = 0;
  //! kText: a string, numeric text (decimal) or date/time text that matched its pattern;
  //! kJson: JSON text. Valid until the next Flatten().
  std::string_view text;
};

//! One row of one table, as Flatten() hands it out. Valid during the callback only.
struct NormRow {
  size_t table = 0;
  std::string_view hash;         //!< this row's hash id
  std::string_view parent_hash;  //!< children
  std::string_view root_hash;    //!< children
  //! Per column of the table: the leaf value (unused for top-level columns, read from the batch).
  const NormLeaf* leaves = nullptr;
};

//! md5 of `data` as 32 lowercase hex digits.
std::array<char, 32> Md5Hex(std::string_view data);

//! Appends a JSON text the way PostgreSQL's jsonb prints it (`{"a": 1, "b": [1, 2]}`: keys
//! sorted by length then bytes, the last of duplicate keys kept). False when `json` is invalid.
bool AppendJsonbStyle(std::string& out, std::string_view json);

class Flattener {
 public:
  //! `plan` outlives the flattener.
  explicit Flattener(const NormPlan& plan);
  ~Flattener();

  //! Flattens row `row` of `batch` (its columns in the schema's order) with raw id `raw_id`:
  //! calls `emit` once per table row, each parent row before its children.
  void Flatten(const RecordBatch& batch, size_t row, std::string_view raw_id,
               const std::function<void(const NormRow&)>& emit);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sluice
