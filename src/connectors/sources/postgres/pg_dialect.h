#pragma once
// PostgreSQL as a SqlDialect (connectors/kit/sql/): "quoted" identifiers, standard-conforming
// string literals, '…'::type literals, the built-in type table and the catalog queries over
// pg_class / pg_attribute / pg_index. Its catalog queries add PostgreSQL's own columns after
// the kit's (see ColumnsQuery). Stateless: one shared instance, PgDialect::Get().

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "connectors/kit/sql/sql_dialect.h"
#include "connectors/sources/postgres/pg_binary.h"

namespace sluice {

//! A built-in type: its fixed oid, the kit mapping (by format_type name) and its binary decoder.
struct PgBuiltinType {
  uint32_t oid;
  SqlTypeMapping mapping;
  pgbin::Decoder decoder;
};
//! The built-in type of `oid`, or nullptr (domains, enums, arrays and other types are resolved
//! by PgTypeCatalog).
const PgBuiltinType* FindPgBuiltinType(uint32_t oid);

//! Which relations a catalog query lists: the readable relations of `schemas` (empty: every
//! non-system schema) with USAGE on their schema, or — with `table` — that one relation of
//! schemas[0], with all its columns whether readable or not.
struct PgCatalogScope {
  std::vector<std::string> schemas;
  std::optional<std::string> table;
};

class PgDialect final : public SqlDialect {
 public:
  static const PgDialect& Get();

  std::string_view name() const override { return "PostgreSQL"; }
  std::string QuoteIdentifier(std::string_view identifier) const override;
  std::string QuoteLiteral(std::string_view text) const override;
  //! '<text>'::<type_name>
  std::string TypedLiteral(std::string_view text, std::string_view type_name) const override;
  const SqlTypeTable& types() const override;

  //! The kit's columns (schema, table, relkind, column, format_type name, NOT NULL, readable),
  //! then c.oid, a.atttypid, a.atttypmod.
  std::string ColumnsQuery(const std::vector<std::string>& schemas) const override {
    return ColumnsQuery(PgCatalogScope{schemas, std::nullopt});
  }
  //! The kit's columns (schema, table, column), then the table's oid.
  std::string PrimaryKeysQuery(const std::vector<std::string>& schemas) const override {
    return PrimaryKeysQuery(PgCatalogScope{schemas, std::nullopt});
  }
  std::string ColumnsQuery(const PgCatalogScope& scope) const;
  std::string PrimaryKeysQuery(const PgCatalogScope& scope) const;

  //! The condition on pg_namespace `n` selecting `schemas` (empty = every non-system schema).
  std::string SchemaFilter(const std::vector<std::string>& schemas) const;

 private:
  std::string ScopeFilter(const PgCatalogScope& scope) const;
};

}  // namespace sluice
