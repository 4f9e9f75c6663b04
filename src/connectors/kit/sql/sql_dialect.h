#pragma once
// SqlDialect: what differs between SQL databases for a source that reads tables — quoting,
// literals, the type mapping and the catalog queries. Everything else a SQL source needs
// (the discovery model and the stream it becomes, cursor and key-chunk planning, state shapes)
// is in this folder and written once against this interface. PostgreSQL's implementation is
// `PgDialect` (sources/postgres/pg_dialect.h); a MySQL/MariaDB source adds its own.
//
// A dialect is stateless and pure (no I/O: the source runs its queries with its own client),
// so one instance may be shared by every thread.

#include <string>
#include <string_view>
#include <vector>

#include "connectors/kit/sql/sql_types.h"

namespace sluice {

class SqlDialect {
 public:
  virtual ~SqlDialect() = default;

  //! For messages: "PostgreSQL", "MySQL".
  virtual std::string_view name() const = 0;

  //! An identifier as SQL text, always quoted ("order" → PostgreSQL "order", MySQL `order`).
  virtual std::string QuoteIdentifier(std::string_view identifier) const = 0;
  //! A string as an SQL literal, escaped for the dialect's standard settings.
  virtual std::string QuoteLiteral(std::string_view text) const = 0;
  //! A value in its text form as an expression of column type `type_name` (the name the
  //! catalog query reports), for comparisons that must use the column's order:
  //! PostgreSQL '…'::type, MySQL CAST('…' AS type).
  virtual std::string TypedLiteral(std::string_view text, std::string_view type_name) const = 0;
  //! schema.table, quoted.
  virtual std::string QualifiedName(std::string_view schema, std::string_view table) const {
    return QuoteIdentifier(schema) + "." + QuoteIdentifier(table);
  }

  //! The dialect's type-name → sluice type table (discovery and cursor eligibility).
  virtual const SqlTypeTable& types() const = 0;

  // ---- Catalog queries ------------------------------------------------------------------------
  // Text only: the source runs them. Result columns, in this order (a dialect may append its
  // own after them, e.g. PostgreSQL's oids):
  //   ColumnsQuery      schema, table, relation kind (SqlRelationKind letter: r p v m f),
  //                     column (NULL for a relation without columns), type name, NOT NULL
  //                     (boolean), readable by the user (boolean) — ordered by schema, table,
  //                     column position
  //   PrimaryKeysQuery  schema, table, column — in key order
  // `schemas` empty means every schema but the system ones.

  virtual std::string ColumnsQuery(const std::vector<std::string>& schemas) const = 0;
  virtual std::string PrimaryKeysQuery(const std::vector<std::string>& schemas) const = 0;
};

}  // namespace sluice
