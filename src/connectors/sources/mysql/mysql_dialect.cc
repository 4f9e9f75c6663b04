#include "connectors/sources/mysql/mysql_dialect.h"

#include <cctype>

#include "connectors/sources/mysql/mysql_connection.h"
#include "connectors/sources/mysql/mysql_types.h"

namespace sluice {

namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool PlainNumber(std::string_view s) {
  size_t i = 0;
  if (i < s.size() && s[i] == '-') ++i;
  bool digits = false, dot = false, exp = false;
  for (; i < s.size(); ++i) {
    const char c = s[i];
    if (c >= '0' && c <= '9') {
      digits = true;
    } else if (c == '.' && !dot && !exp) {
      dot = true;
    } else if ((c == 'e' || c == 'E') && digits && !exp) {
      exp = true;
      if (i + 1 < s.size() && (s[i + 1] == '-' || s[i + 1] == '+')) ++i;
    } else {
      return false;
    }
  }
  return digits;
}

bool IsBinaryType(std::string_view t) {
  return t == "binary" || t == "varbinary" || t == "tinyblob" || t == "blob" || t == "mediumblob" ||
         t == "longblob" || t == "bit";
}

std::string InList(const std::vector<std::string>& values) {
  std::string in;
  for (const auto& v : values) in += (in.empty() ? "" : ", ") + MySqlQuoteLiteral(v);
  return in;
}

}  // namespace

const MySqlDialect& MySqlDialect::Get(bool mariadb) {
  static const MySqlDialect kMariaDb(true);
  static const MySqlDialect kMySql(false);
  return mariadb ? kMariaDb : kMySql;
}

std::string MySqlDialect::QuoteIdentifier(std::string_view identifier) const { return MySqlQuoteIdent(identifier); }

std::string MySqlDialect::QuoteLiteral(std::string_view text) const { return MySqlQuoteLiteral(text); }

std::string MySqlDialect::TypedLiteral(std::string_view text, std::string_view type_name) const {
  const std::string t = Lower(type_name);
  const SqlTypeMapping& m = MySqlTypeTable().Find(t);
  if ((m.type == TypeId::kInteger || m.type == TypeId::kDecimal || m.type == TypeId::kNumber) && PlainNumber(text)) {
    return std::string(text);  // an exact numeric literal: DECIMAL compares exactly, never as a double
  }
  if (t == "date") return "CAST(" + MySqlQuoteLiteral(text) + " AS DATE)";
  if (t == "datetime" || t == "timestamp") return "CAST(" + MySqlQuoteLiteral(text) + " AS DATETIME(6))";
  if (t == "time") return "CAST(" + MySqlQuoteLiteral(text) + " AS TIME(6))";
  if (IsBinaryType(t)) {
    std::string hex;
    for (char c : text) {
      if (!std::isxdigit(static_cast<unsigned char>(c))) return "X''";
      hex += c;
    }
    return "X'" + hex + "'";
  }
  return MySqlQuoteLiteral(text);
}

std::string MySqlDialect::KeySelectExpression(std::string_view column, std::string_view type_name) const {
  if (IsBinaryType(Lower(type_name))) return "HEX(" + MySqlQuoteIdent(column) + ")";
  return MySqlQuoteIdent(column);
}

const SqlTypeTable& MySqlDialect::types() const { return MySqlTypeTable(); }

std::string MySqlDialect::Columns(const std::string& filter) const {
  const std::string json =
      mariadb_ ? "EXISTS (SELECT 1 FROM information_schema.CHECK_CONSTRAINTS k WHERE k.CONSTRAINT_SCHEMA = "
                 "c.TABLE_SCHEMA AND k.TABLE_NAME = c.TABLE_NAME AND k.CHECK_CLAUSE = CONCAT('json_valid(`', "
                 "REPLACE(c.COLUMN_NAME, '`', '``'), '`)'))"
               : "0";
  return "SELECT c.TABLE_SCHEMA, c.TABLE_NAME, IF(t.TABLE_TYPE = 'VIEW', 'v', 'r'), c.COLUMN_NAME, "
         "LOWER(c.DATA_TYPE), c.IS_NULLABLE = 'NO', 1, c.COLUMN_TYPE, c.CHARACTER_SET_NAME, c.NUMERIC_PRECISION, "
         "c.NUMERIC_SCALE, c.DATETIME_PRECISION, " + json +
         " FROM information_schema.COLUMNS c JOIN information_schema.TABLES t ON t.TABLE_SCHEMA = c.TABLE_SCHEMA "
         "AND t.TABLE_NAME = c.TABLE_NAME WHERE t.TABLE_TYPE IN ('BASE TABLE', 'VIEW', 'SYSTEM VERSIONED') AND " +
         filter + " ORDER BY c.TABLE_SCHEMA, c.TABLE_NAME, c.ORDINAL_POSITION";
}

std::string MySqlDialect::ColumnsQuery(const std::vector<std::string>& schemas) const {
  return Columns("c.TABLE_SCHEMA IN (" + InList(schemas) + ")");
}

std::string MySqlDialect::ColumnsQuery(const std::string& schema, const std::string& table) const {
  return Columns("c.TABLE_SCHEMA = " + MySqlQuoteLiteral(schema) + " AND c.TABLE_NAME = " + MySqlQuoteLiteral(table));
}

std::string MySqlDialect::PrimaryKeysQuery(const std::vector<std::string>& schemas) const {
  return "SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE WHERE "
         "CONSTRAINT_NAME = 'PRIMARY' AND TABLE_SCHEMA IN (" + InList(schemas) +
         ") ORDER BY TABLE_SCHEMA, TABLE_NAME, ORDINAL_POSITION";
}

std::string MySqlDialect::PrimaryKeysQuery(const std::string& schema, const std::string& table) const {
  return "SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE WHERE "
         "CONSTRAINT_NAME = 'PRIMARY' AND TABLE_SCHEMA = " + MySqlQuoteLiteral(schema) + " AND TABLE_NAME = " +
         MySqlQuoteLiteral(table) + " ORDER BY ORDINAL_POSITION";
}

}  // namespace sluice
