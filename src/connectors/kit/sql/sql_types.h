#pragma once
// A SQL dialect's type mapping as a table: the type name a catalog reports → the sluice type,
// whether a column of it can be an incremental cursor, and a JSON Schema format.

#include <string>
#include <string_view>
#include <vector>

#include "protocol/types.h"

namespace sluice {

//! One row of a dialect's type table.
struct SqlTypeMapping {
  std::string_view type_name;  //!< as the catalog query reports it, lower case ("integer", "timestamp with time zone")
  TypeId type = TypeId::kString;
  //! Can be an incremental cursor: ordered, and its value survives a round trip through its
  //! text form (TypedLiteral).
  bool cursor_ok = false;
  std::string_view format = {};  //!< JSON Schema "format" ("uuid"), or empty
};

//! A dialect's mapping table. Immutable after construction; thread-safe.
class SqlTypeTable {
 public:
  //! `fallback` is what a name not in `rows` maps to (default: a string, no cursor — the type's
  //! text form, which every database can produce).
  explicit SqlTypeTable(std::vector<SqlTypeMapping> rows, SqlTypeMapping fallback = {"", TypeId::kString, false, {}});

  //! The row of `type_name` (case-insensitive; a modifier such as "(10,2)" or "(255)" is ignored),
  //! else the fallback.
  const SqlTypeMapping& Find(std::string_view type_name) const;
  const std::vector<SqlTypeMapping>& rows() const { return rows_; }

 private:
  std::vector<SqlTypeMapping> rows_;
  SqlTypeMapping fallback_;
};

}  // namespace sluice
