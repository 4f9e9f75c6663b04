#pragma once
// MySQL/MariaDB as a SqlDialect (connectors/kit/sql/): `backtick` identifiers, '…' literals with
// backslash escapes, typed literals for cursor and key comparisons, the type table
// (mysql_types.h) and the catalog queries over information_schema. The catalog queries append
// MySQL's own columns after the kit's (see ColumnsQuery). Stateless; two shared instances,
// because MariaDB and MySQL differ in how a JSON column shows (MariaDB: a json_valid CHECK on a
// LONGTEXT).

#include <string>
#include <vector>

#include "connectors/kit/sql/sql_dialect.h"

namespace sluice {

class MySqlDialect final : public SqlDialect {
 public:
  static const MySqlDialect& Get(bool mariadb);

  std::string_view name() const override { return mariadb_ ? "MariaDB" : "MySQL"; }
  std::string QuoteIdentifier(std::string_view identifier) const override;
  std::string QuoteLiteral(std::string_view text) const override;
  //! Numbers (integers, DECIMAL, DOUBLE, YEAR) inline when `text` is a plain number, temporal
  //! types as CAST('…' AS DATE | DATETIME(6) | TIME(6)), binary types as X'hex' (their saved key
  //! text is hex: KeySelectExpression), everything else as a string literal.
  std::string TypedLiteral(std::string_view text, std::string_view type_name) const override;
  const SqlTypeTable& types() const override;

  //! The kit's columns (schema, table, relation kind r|v, column, DATA_TYPE, NOT NULL, readable
  //! — always true: information_schema lists only what the user may use), then COLUMN_TYPE,
  //! CHARACTER_SET_NAME, NUMERIC_PRECISION, NUMERIC_SCALE, DATETIME_PRECISION, is_json (0/1).
  //! `schemas` are databases (required: one or more).
  std::string ColumnsQuery(const std::vector<std::string>& schemas) const override;
  //! The kit's columns (schema, table, column) of PRIMARY KEY constraints, in key order.
  std::string PrimaryKeysQuery(const std::vector<std::string>& schemas) const override;
  //! The same, narrowed to one table.
  std::string ColumnsQuery(const std::string& schema, const std::string& table) const;
  std::string PrimaryKeysQuery(const std::string& schema, const std::string& table) const;

  //! How a key or cursor column is selected so its text form round-trips through TypedLiteral:
  //! HEX(`c`) for binary types, `c` otherwise.
  std::string KeySelectExpression(std::string_view column, std::string_view type_name) const;

 private:
  explicit MySqlDialect(bool mariadb) : mariadb_(mariadb) {}
  std::string Columns(const std::string& filter) const;
  bool mariadb_;
};

}  // namespace sluice
