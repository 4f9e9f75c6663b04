#include "connectors/destinations/postgres/pg_destination.h"

#include <fmt/format.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "base/log.h"
#include "base/time.h"
#include "connectors/destinations/postgres/pg_destination_config.h"
#include "connectors/destinations/postgres/pg_identifiers.h"
#include "connectors/destinations/postgres/pg_stream_plan.h"
#include "connectors/destinations/postgres/pg_stream_writer.h"
#include "connectors/sdk/registry.h"

namespace sluice {
namespace {

struct ExistingColumn {
  PgColumnType type;
  std::string sql;            //!< format_type(): "character varying(20)", "numeric(38,9)", ...
  std::string default_expr;   //!< pg_get_expr() of its DEFAULT, empty when none
};

// An existing table's columns by name; `exists` false when there is no such relation.
struct ExistingTable {
  bool exists = false;
  char relkind = 'r';
  std::map<std::string, ExistingColumn> columns;
};

Result<ExistingTable> DescribeTable(PgConnection& conn, const std::string& schema, const std::string& table) {
  SLUICE_ASSIGN_OR_RETURN(
      PgResult r,
      conn.Query("SELECT c.relkind, a.attname, a.atttypid, a.atttypmod, format_type(a.atttypid, a.atttypmod), "
                 "pg_get_expr(d.adbin, d.adrelid) "
                 "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                 "LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped "
                 "LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum "
                 "WHERE n.nspname = $1 AND c.relname = $2 ORDER BY a.attnum",
                 {schema, table}));
  ExistingTable t;
  for (int i = 0; i < r.rows(); ++i) {
    t.exists = true;
    t.relkind = r.Get(i, 0).empty() ? 'r' : r.Get(i, 0)[0];
    if (r.IsNull(i, 1)) continue;
    ExistingColumn c;
    c.type.oid = static_cast<uint32_t>(std::stoul(std::string(r.Get(i, 2))));
    c.type.typmod = std::stoi(std::string(r.Get(i, 3)));
    c.sql = std::string(r.Get(i, 4));
    c.default_expr = std::string(r.Get(i, 5));
    t.columns.emplace(std::string(r.Get(i, 1)), std::move(c));
  }
  return t;
}

std::string Qualified(const std::string& schema, const std::string& table) {
  return QuoteIdent(schema) + "." + QuoteIdent(table);
}

Status EnsureSchema(PgConnection& conn, const std::string& schema) {
  SLUICE_ASSIGN_OR_RETURN(PgResult r, conn.Query("SELECT 1 FROM pg_namespace WHERE nspname = $1", {schema}));
  if (r.rows() > 0) return Status::Ok();
  return conn.Exec("CREATE SCHEMA IF NOT EXISTS " + QuoteIdent(schema));
}

// Finds a top-level field for a key or cursor path.
Result<int> ResolveField(const PgStreamPlan& plan, const FieldPath& path, std::string_view what) {
  if (path.size() != 1) {
    std::string joined;
    for (const auto& p : path) joined += (joined.empty() ? "" : ".") + p;
    return Status::ConfigError(fmt::format(
        "stream '{}': {} '{}' is a nested field; destination-postgres needs a top-level field", plan.name, what, joined));
  }
  const int i = plan.schema->IndexOf(path[0]);
  if (i < 0) {
    return Status::ConfigError(
        fmt::format("stream '{}': {} '{}' is not a field of the stream", plan.name, what, path[0]));
  }
  return i;
}

class PostgresDestination final : public Destination {
 public:
  ConnectorSpec Spec() const override { return PgDestinationSpec(); }

  Status Check(const Json& config) override {
    SLUICE_ASSIGN_OR_RETURN(PgDestinationConfig c, ParsePgDestinationConfig(config));
    SLUICE_ASSIGN_OR_RETURN(auto tunnel, OpenPgTunnel(c.tunnel, c.connection));  // outlives conn
    SLUICE_ASSIGN_OR_RETURN(auto conn, PgConnection::Connect(c.connection, "sluice destination-postgres check"));
    // Everything happens in a transaction that is rolled back: Check leaves nothing behind.
    SLUICE_RETURN_IF_ERROR(conn->Exec("BEGIN"));
    std::vector<std::string> schemas;
    if (c.writes_final()) schemas.push_back(c.schema);
    if (c.writes_raw()) schemas.push_back(c.raw_data_schema);
    for (const std::string& schema : schemas) {
      Status st = EnsureSchema(*conn, schema);
      if (!st.ok()) return st.WithContext(fmt::format("schema '{}'", schema));
      const std::string table = Qualified(schema, fmt::format("_airbyte_connection_test_{:x}", NowMicros()));
      st = conn->Exec(fmt::format("CREATE TABLE {0} (id integer); INSERT INTO {0} VALUES (1); DROP TABLE {0}", table));
      if (!st.ok()) return st.WithContext(fmt::format("creating a table in schema '{}'", schema));
    }
    return conn->Exec("ROLLBACK");
  }

  Status Begin(const Json& config, const ConfiguredCatalog& catalog) override {
    SLUICE_ASSIGN_OR_RETURN(config_, ParsePgDestinationConfig(config));
    plans_.clear();
    plans_.reserve(catalog.streams.size());
    const ConnectorSpec spec = Spec();
    for (uint32_t i = 0; i < catalog.streams.size(); ++i) {
      SLUICE_ASSIGN_OR_RETURN(PgStreamPlan plan, MakePlan(catalog.streams[i], i, spec));
      plans_.push_back(std::move(plan));
    }
    PlanNormalizedTables();
    SLUICE_RETURN_IF_ERROR(CheckDistinctTables());

    pool_.reset();
    SLUICE_ASSIGN_OR_RETURN(tunnel_, OpenPgTunnel(config_.tunnel, config_.connection));
    pool_ = std::make_unique<PgConnectionPool>(config_.connection);
    SLUICE_ASSIGN_OR_RETURN(auto link, pool_->Acquire());
    PgConnection& conn = *link->conn;
    SLUICE_RETURN_IF_ERROR(conn.Exec("BEGIN"));
    for (PgStreamPlan& p : plans_) p.unique_nulls_not_distinct = PQserverVersion(conn.get()) >= 150000;
    std::set<std::string> schemas;
    for (const PgStreamPlan& p : plans_) {
      if (p.write_final) schemas.insert(p.final_schema);
      if (p.write_raw) schemas.insert(p.raw_schema);
    }
    for (const std::string& schema : schemas) {
      Status st = EnsureSchema(conn, schema);
      if (!st.ok()) return st.WithContext(fmt::format("creating schema '{}'", schema));
    }
    for (PgStreamPlan& p : plans_) {
      SLUICE_RETURN_IF_ERROR(PrepareFinal(conn, p));
      SLUICE_RETURN_IF_ERROR(PrepareRaw(conn, p));
    }
    SLUICE_RETURN_IF_ERROR(conn.Exec("COMMIT"));
    pool_->Release(std::move(link));
    return Status::Ok();
  }

  Result<std::unique_ptr<StreamWriter>> Open(uint32_t stream) override {
    if (stream >= plans_.size() || !pool_) return Status::SystemError(fmt::format("Open: no stream {}", stream));
    return std::unique_ptr<StreamWriter>(new PgStreamWriter(plans_[stream], *pool_));
  }

  Status End(bool success) override {
    (void)success;
    if (pool_) pool_->Clear();
    return Status::Ok();
  }

 private:
  Result<PgStreamPlan> MakePlan(const ConfiguredStream& s, uint32_t index, const ConnectorSpec& spec) const {
    PgStreamPlan p;
    p.index = index;
    p.name = s.descriptor().ToString();
    p.mode = s.destination_sync_mode;
    if (!spec.Supports(p.mode)) {
      return Status::ConfigError(fmt::format(
          "stream '{}': destination-postgres does not support destination sync mode {} (supported: overwrite, "
          "append, append_dedup)",
          p.name, DestinationSyncModeName(p.mode)));
    }
    if (!s.schema) return Status::SystemError(fmt::format("stream '{}': catalog not bound", p.name));
    p.schema = s.schema;
    p.generation_id = s.generation_id.value_or(0);
    p.sync_id = s.sync_id.value_or(0);
    p.write_final = config_.writes_final();
    p.write_raw = config_.writes_raw();
    p.cdc_deletion_mode = config_.cdc_deletion_mode;
    p.drop_cascade = config_.drop_cascade;
    p.parallel_copies = config_.parallel_copies;
    p.normalize = config_.normalization && p.write_final;
    p.legacy_raw = config_.legacy_raw_tables;

    const std::string ns =
        s.stream.namespace_ && !s.stream.namespace_->empty() ? *s.stream.namespace_ : config_.schema;
    p.final_schema = PgIdentifier(ns);
    p.final_table = PgIdentifier(s.stream.name);
    p.raw_schema = PgIdentifier(config_.raw_data_schema);
    p.raw_table = RawTableName(ns, s.stream.name);
    if (p.legacy_raw) {
      // Airbyte's pre-V2 layout: the raw table beside the final one.
      p.raw_schema = p.final_schema;
      p.raw_table = PgIdentifier("_airbyte_raw_" + s.stream.name);
    }

    std::vector<std::string> names;
    for (const Field& f : p.schema->fields()) names.push_back(f.name);
    std::vector<std::string> reserved = {kColRawId, kColExtractedAt, kColMeta, kColGenerationId, kColSeq};
    if (p.normalize) {
      reserved.push_back(kColNormalizedAt);
      reserved.push_back(PgIdentifier(fmt::format("_airbyte_{}_hashid", p.final_table)));
    }
    p.columns = AssignColumnNames(names, reserved);

    if (p.mode == DestinationSyncMode::kAppendDedup) {
      const auto& pk = !s.primary_key.empty() ? s.primary_key : s.stream.source_defined_primary_key;
      if (pk.empty() && p.write_final) {
        return Status::ConfigError(
            fmt::format("stream '{}': append_dedup needs a primary key (primary_key in the catalog)", p.name));
      }
      for (const FieldPath& path : pk) {
        SLUICE_ASSIGN_OR_RETURN(int k, ResolveField(p, path, "primary key field"));
        p.primary_key.push_back(k);
      }
      const auto& cursor = !s.cursor_field.empty() ? s.cursor_field : s.stream.default_cursor_field;
      if (!cursor.empty()) {
        SLUICE_ASSIGN_OR_RETURN(p.cursor, ResolveField(p, cursor, "cursor field"));
      }
      p.cdc_deleted_at = p.schema->IndexOf(kCdcDeletedAt);
      p.hash_key = p.primary_key;
    } else if (p.overwrite() && !s.primary_key.empty()) {
      // Normalized hash ids come from the key where one is given (stable across full refreshes).
      std::vector<int> key;
      for (const FieldPath& path : s.primary_key) {
        if (path.size() == 1 && p.schema->IndexOf(path[0]) >= 0) key.push_back(p.schema->IndexOf(path[0]));
      }
      if (key.size() == s.primary_key.size()) p.hash_key = std::move(key);
    }
    // Airbyte's rule: a stream whose minimum generation is its generation replaces the rows of
    // older generations — always for overwrite, and for a "truncate" refresh in the other modes.
    const bool truncate = p.overwrite() || (s.minimum_generation_id && *s.minimum_generation_id > 0 &&
                                            *s.minimum_generation_id == p.generation_id);
    if (truncate) {
      p.load = PgLoad::kSwap;
      p.raw_swap = true;
      p.resume_tmp = !p.overwrite();
    } else if (p.dedup()) {
      p.load = PgLoad::kMerge;  // kSwap when PrepareFinal finds the final table empty
      p.resume_tmp = true;
    }
    p.load_table = p.staged() || p.load == PgLoad::kMerge ? fmt::format("sluice_stage_{}", index)
                   : p.swap()               ? TmpTableName(p.final_table)
                                            : p.final_table;
    p.raw_load_table = p.raw_swap ? TmpTableName(p.raw_table) : p.raw_table;
    return p;
  }

  // normalize: every normalized stream's tables, named against the tables of its schema (all
  // streams' final tables and legacy raw tables first, then children in catalog order).
  void PlanNormalizedTables() {
    std::map<std::string, std::set<std::string>> taken;
    for (const PgStreamPlan& p : plans_) {
      if (p.write_final) taken[p.final_schema].insert(p.final_table);
      if (p.write_raw) taken[p.raw_schema].insert(p.raw_table);
    }
    for (size_t i = 0; i < plans_.size(); ++i) {
      PgStreamPlan& p = plans_[i];
      if (!p.normalize) continue;
      p.norm = PlanNormalization(*p.schema, p.columns, p.final_table, p.hash_key, taken[p.final_schema]);
      // Flattened in C++ unless dedup (merged in SQL) or a key the C++ hash ids do not cover.
      p.norm_direct = !p.dedup();
      for (int k : p.hash_key) {
        if (!FlattenerHashesKeyType(p.schema->field(static_cast<size_t>(k)).type)) p.norm_direct = false;
      }
      p.norm_load_tables.clear();
      for (const PgNormTable& t : p.norm.tables) {
        p.norm_load_tables.push_back(p.swap() ? TmpTableName(t.table) : t.table);
      }
    }
  }

  // Two streams must not share a table (or a tmp table).
  Status CheckDistinctTables() const {
    std::map<std::pair<std::string, std::string>, const PgStreamPlan*> seen;
    for (const PgStreamPlan& p : plans_) {
      std::vector<std::pair<std::string, std::string>> tables;
      if (p.write_final) {
        tables.emplace_back(p.final_schema, p.final_table);
        if (p.swap() || p.dedup()) tables.emplace_back(p.final_schema, TmpTableName(p.final_table));
      }
      for (size_t t = 1; p.normalize && t < p.norm.tables.size(); ++t) {
        tables.emplace_back(p.final_schema, p.norm.tables[t].table);
        if (p.swap()) tables.emplace_back(p.final_schema, p.norm_load_tables[t]);
      }
      if (p.write_raw) {
        tables.emplace_back(p.raw_schema, p.raw_table);
        if (p.raw_swap) tables.emplace_back(p.raw_schema, p.raw_load_table);
      }
      for (const auto& t : tables) {
        auto [it, inserted] = seen.emplace(t, &p);
        if (!inserted && it->second != &p) {
          return Status::ConfigError(fmt::format("streams '{}' and '{}' would both write table {}", it->second->name,
                                                 p.name, Qualified(t.first, t.second)));
        }
      }
    }
    return Status::Ok();
  }

  Status PrepareFinal(PgConnection& conn, PgStreamPlan& p) {
    if (!p.write_final) return Status::Ok();
    const std::string context = fmt::format("stream '{}'", p.name);
    SLUICE_ASSIGN_OR_RETURN(ExistingTable table, DescribeTable(conn, p.final_schema, p.final_table));
    if (table.exists && table.relkind != 'r' && table.relkind != 'p') {
      return Status::ConfigError(fmt::format("{}: {} exists and is not a table (relkind '{}')", context,
                                             p.FinalName(), table.relkind));
    }
    if (p.normalize) return PrepareNormalized(conn, p);
    if (p.merge() && !table.exists) {
      // Into a new table nothing needs merging: load the tmp table, deduplicate it once and
      // swap it in when the stream completes. (An existing table, even empty, is merged into:
      // it keeps its grants, indexes and dependent views.)
      p.load = PgLoad::kSwap;
      p.load_table = TmpTableName(p.final_table);
      Log(LogLevel::kInfo, "{}: {} is new: rows are loaded into {} and deduplicated once when the stream completes",
          context, p.FinalName(), p.LoadName());
    }
    if (p.swap()) return PrepareTmp(conn, p);

    if (!table.exists) {
      Status st = conn.Exec(p.CreateFinalSql(p.FinalName()));
      if (!st.ok()) return st.WithContext(context);
      NaturalEncoders(p);
    } else {
      SLUICE_RETURN_IF_ERROR(CheckMetaColumns(conn, p, table));
      SLUICE_RETURN_IF_ERROR(EvolveColumns(conn, p, p.FinalName(), table));
    }
    if (p.merge()) {
      Status st = conn.Exec(fmt::format("CREATE INDEX IF NOT EXISTS {} ON {} ({})", QuoteIdent(p.PkIndexName()),
                                        p.FinalName(), p.PkColumnList()));
      if (!st.ok()) return st.WithContext(context + ": creating the primary key index");
    }
    return Status::Ok();
  }

  // normalize: the tables of every level — the tmp ones (kSwap: new, or resumed with the root
  // tmp table when it holds only this generation) or the final ones (created, or given the
  // columns they lack); dedup adds the key index on the root and the root hash id index on
  // children. Typed rows go to the stage with their natural types.
  Status PrepareNormalized(PgConnection& conn, PgStreamPlan& p) {
    const std::string context = fmt::format("stream '{}'", p.name);
    NaturalEncoders(p);
    bool keep_tmp = false;
    if (p.swap() && p.resume_tmp) {
      SLUICE_ASSIGN_OR_RETURN(ExistingTable root, DescribeTable(conn, p.final_schema, p.norm_load_tables[0]));
      SLUICE_ASSIGN_OR_RETURN(keep_tmp, ResumableTmp(conn, p.NormLoadName(0), root, p.generation_id, std::nullopt));
      if (keep_tmp) Log(LogLevel::kInfo, "{}: loading further into the tables an earlier attempt of this load left", context);
    }
    for (size_t t = 0; t < p.norm.tables.size(); ++t) {
      const std::string load = p.NormLoadName(t);
      if (p.swap() && !keep_tmp) {
        Status st = conn.Exec(fmt::format("DROP TABLE IF EXISTS {}; {}", load, p.NormCreateSql(t, load, false)));
        if (!st.ok()) return st.WithContext(context);
      } else {
        SLUICE_ASSIGN_OR_RETURN(ExistingTable table, DescribeTable(conn, p.final_schema, p.norm_load_tables[t]));
        if (table.exists && table.relkind != 'r' && table.relkind != 'p') {
          return Status::ConfigError(
              fmt::format("{}: {} exists and is not a table (relkind '{}')", context, load, table.relkind));
        }
        std::vector<std::string> additions;
        for (const PgNormColumn& c : p.norm.tables[t].columns) {
          auto it = table.columns.find(c.name);
          if (table.exists && it == table.columns.end()) {
            additions.push_back(fmt::format("ADD COLUMN {} {}", QuoteIdent(c.name), c.sql_type));
          } else if (table.exists && p.norm_direct && c.role != PgNormRole::kMeta &&
                     (it->second.type.oid != c.type.oid ||
                      (it->second.type.typmod != c.type.typmod && c.type.oid != pg_oid::kVarchar))) {
            // Binary COPY needs the natural type: the SQL projection casts into other ones.
            Log(LogLevel::kInfo, "{}: column {} of {} is {}, not {}: normalizing through a stage in SQL", context,
                c.name, load, it->second.sql, c.sql_type);
            p.norm_direct = false;
          }
        }
        Status st = Status::Ok();
        if (!table.exists) {
          st = conn.Exec(p.NormCreateSql(t, load, false));
        } else if (!additions.empty()) {
          std::string sql = "ALTER TABLE " + load + " ";
          for (size_t k = 0; k < additions.size(); ++k) sql += (k ? ", " : "") + additions[k];
          st = conn.Exec(sql);
          if (st.ok()) Log(LogLevel::kInfo, "{}: added {} new column(s) to {}", context, additions.size(), load);
        }
        if (st.ok() && table.exists && t == 0) st = EnsureMetaDefault(conn, p, load, table);
        if (!st.ok()) return st.WithContext(context);
      }
      if (p.dedup()) {
        Status st = conn.Exec(p.NormCreateIndexSql(t));
        if (!st.ok()) return st.WithContext(context + ": creating an index");
      }
    }
    return Status::Ok();
  }

  static void NaturalEncoders(PgStreamPlan& p) {
    p.column_sql.clear();
    p.encoders.clear();
    for (size_t i = 0; i < p.columns.size(); ++i) {
      const TypeId type = p.schema->field(i).type;
      p.column_sql.emplace_back(PgTypeForField(type));
      p.encoders.push_back(*ValueEncoder::Make(type, PgColumnTypeForField(type)));
    }
  }

  // True when `table` (a tmp table) holds only rows of `generation` — or none — and has the
  // `_sluice_seq` column exactly when `with_seq`: an earlier attempt of this load left it.
  static Result<bool> ResumableTmp(PgConnection& conn, const std::string& qualified, const ExistingTable& table,
                                   int64_t generation, std::optional<bool> with_seq) {
    if (!table.exists || table.relkind != 'r' || !table.columns.count(kColGenerationId)) return false;
    if (with_seq && table.columns.count(kColSeq) != (*with_seq ? 1u : 0u)) return false;
    SLUICE_ASSIGN_OR_RETURN(
        PgResult r, conn.Query(fmt::format("SELECT EXISTS (SELECT 1 FROM {} WHERE {} IS DISTINCT FROM {})", qualified,
                                           QuoteIdent(kColGenerationId), generation)));
    return r.rows() == 1 && r.Get(0, 0) == "f";
  }

  // kSwap: the tmp table the stream loads into — a new one, or (resume_tmp) the one an earlier
  // attempt of the same generation left, with its columns brought up to the stream's.
  Status PrepareTmp(PgConnection& conn, PgStreamPlan& p) {
    const std::string context = fmt::format("stream '{}'", p.name);
    const std::string tmp = p.LoadName();
    if (p.resume_tmp) {
      SLUICE_ASSIGN_OR_RETURN(ExistingTable table, DescribeTable(conn, p.final_schema, p.load_table));
      SLUICE_ASSIGN_OR_RETURN(bool resumable, ResumableTmp(conn, tmp, table, p.generation_id, p.dedup()));
      if (resumable) {
        Log(LogLevel::kInfo, "{}: loading further into {}, which an earlier attempt of this load left", context, tmp);
        SLUICE_RETURN_IF_ERROR(EnsureMetaDefault(conn, p, tmp, table));
        return EvolveColumns(conn, p, tmp, table);
      }
    }
    Status st = conn.Exec(fmt::format("DROP TABLE IF EXISTS {}; {}", tmp, p.CreateFinalSql(tmp, p.dedup())));
    if (!st.ok()) return st.WithContext(context);
    NaturalEncoders(p);
    return Status::Ok();
  }

  // The stream's fields in an existing table: new ones become columns, columns of a narrower
  // type are widened in place where every value has an exact wider form (WidenColumnType), and
  // the others are written through their text form. Sets p.column_sql and p.encoders.
  Status EvolveColumns(PgConnection& conn, PgStreamPlan& p, const std::string& qualified, ExistingTable& table) {
    const std::string context = fmt::format("stream '{}'", p.name);
    p.column_sql.clear();
    p.encoders.clear();
    std::vector<std::string> additions;
    for (size_t i = 0; i < p.columns.size(); ++i) {
      const Field& field = p.schema->field(i);
      auto it = table.columns.find(p.columns[i]);
      if (it == table.columns.end()) {
        additions.push_back(fmt::format("ADD COLUMN {} {}", QuoteIdent(p.columns[i]), PgTypeForField(field.type)));
        p.column_sql.emplace_back(PgTypeForField(field.type));
        p.encoders.push_back(*ValueEncoder::Make(field.type, PgColumnTypeForField(field.type)));
        continue;
      }
      ExistingColumn& column = it->second;
      if (auto wider = WidenColumnType(column.type, field.type)) {
        SLUICE_RETURN_IF_ERROR(Widen(conn, p, qualified, p.columns[i], column, *wider));
      }
      auto encoder = ValueEncoder::Make(field.type, column.type);
      if (!encoder.ok()) {
        return Status::ConfigError(fmt::format(
            "{}: column {} of {} has type {}, which destination-postgres cannot write {} values into; alter or "
            "drop the column",
            context, QuoteIdent(p.columns[i]), qualified, column.sql, TypeName(field.type)));
      }
      if (encoder->converts()) {
        Log(LogLevel::kWarn,
            "{}: column {} of {} is {} but the stream's type is {}: values are converted, those that do not fit "
            "become NULL (DESTINATION_TYPECAST_ERROR in _airbyte_meta)",
            context, QuoteIdent(p.columns[i]), qualified, column.sql, TypeName(field.type));
      }
      p.column_sql.push_back(column.sql);
      p.encoders.push_back(std::move(encoder).value());
    }
    if (!additions.empty()) {
      std::string sql = "ALTER TABLE " + qualified + " ";
      for (size_t k = 0; k < additions.size(); ++k) sql += (k ? ", " : "") + additions[k];
      Status st = conn.Exec(sql);
      if (!st.ok()) return st.WithContext(context + ": adding new columns");
      Log(LogLevel::kInfo, "{}: added {} new column(s) to {}", context, additions.size(), qualified);
    }
    return Status::Ok();
  }

  // ALTER COLUMN … TYPE in a savepoint: when the server refuses (a view uses the column, say),
  // the column keeps its type and values go through their text form, as before.
  static Status Widen(PgConnection& conn, const PgStreamPlan& p, const std::string& qualified,
                      const std::string& column_name, ExistingColumn& column, const PgWidening& wider) {
    const std::string col = QuoteIdent(column_name);
    const std::string using_ = fmt::format(fmt::runtime(wider.using_), col);
    SLUICE_RETURN_IF_ERROR(conn.Exec("SAVEPOINT sluice_widen"));
    Status st = conn.Exec(fmt::format("ALTER TABLE {} ALTER COLUMN {} TYPE {} USING {}", qualified, col, wider.sql, using_));
    if (!st.ok()) {
      Log(LogLevel::kWarn, "stream '{}': column {} of {} stays {} (widening it to {} failed: {})", p.name, col, qualified,
          column.sql, wider.sql, st.message());
      return conn.Exec("ROLLBACK TO SAVEPOINT sluice_widen");
    }
    Log(LogLevel::kInfo, "stream '{}': column {} of {} widened from {} to {}", p.name, col, qualified, column.sql,
        wider.sql);
    column.type = wider.type;
    column.sql = wider.sql;
    return conn.Exec("RELEASE SAVEPOINT sluice_widen");
  }

  // The Airbyte columns of an existing final table: added when missing, their types checked.
  Status CheckMetaColumns(PgConnection& conn, const PgStreamPlan& p, const ExistingTable& table) {
    using namespace pg_oid;
    struct Meta {
      const char* name;
      const char* sql;
      std::vector<uint32_t> accepted;
    };
    const Meta metas[] = {{kColRawId, "character varying(36)", {kVarchar, kText}},
                          {kColExtractedAt, "timestamp with time zone", {kTimestampTz, kTimestamp}},
                          {kColMeta, "jsonb", {kJsonb}},
                          {kColGenerationId, "bigint", {kInt8}}};
    for (const Meta& m : metas) {
      auto it = table.columns.find(m.name);
      if (it == table.columns.end()) {
        Status st = conn.Exec(fmt::format("ALTER TABLE {} ADD COLUMN {} {}", p.FinalName(), QuoteIdent(m.name), m.sql));
        if (!st.ok()) return st.WithContext(fmt::format("stream '{}'", p.name));
        continue;
      }
      bool ok = false;
      for (uint32_t oid : m.accepted) ok = ok || it->second.type.oid == oid;
      if (!ok) {
        return Status::ConfigError(fmt::format("stream '{}': column {} of {} has type {}, expected {}", p.name,
                                               QuoteIdent(m.name), p.FinalName(), it->second.sql, m.sql));
      }
    }
    return EnsureMetaDefault(conn, p, p.FinalName(), table);
  }

  // Rows without changes are COPYed without _airbyte_meta: its DEFAULT must be this run's.
  static Status EnsureMetaDefault(PgConnection& conn, const PgStreamPlan& p, const std::string& table_name,
                                  const ExistingTable& table) {
    auto it = table.columns.find(kColMeta);
    if (it != table.columns.end() && it->second.default_expr == p.MetaDefaultSql()) return Status::Ok();
    Status st = conn.Exec(fmt::format("ALTER TABLE {} ALTER COLUMN {} SET DEFAULT {}", table_name, QuoteIdent(kColMeta),
                                      p.MetaDefaultSql()));
    return st.ok() ? st : st.WithContext(fmt::format("stream '{}'", p.name));
  }

  Status PrepareRaw(PgConnection& conn, PgStreamPlan& p) {
    if (!p.write_raw) return Status::Ok();
    const std::string context = fmt::format("stream '{}': raw table", p.name);
    if (p.raw_swap) {
      const std::string tmp = p.RawLoadName();
      if (p.resume_tmp && !p.legacy_raw) {
        SLUICE_ASSIGN_OR_RETURN(ExistingTable table, DescribeTable(conn, p.raw_schema, p.raw_load_table));
        SLUICE_ASSIGN_OR_RETURN(bool resumable, ResumableTmp(conn, tmp, table, p.generation_id, std::nullopt));
        if (resumable) return EnsureMetaDefault(conn, p, tmp, table);
      }
      Status st = conn.Exec(fmt::format("DROP TABLE IF EXISTS {}; {}", tmp, p.CreateRawSql(tmp, false)));
      return st.ok() ? st : st.WithContext(context);
    }
    SLUICE_ASSIGN_OR_RETURN(ExistingTable table, DescribeTable(conn, p.raw_schema, p.raw_table));
    if (!table.exists) {
      Status st = conn.Exec(p.CreateRawSql(p.RawName(), true));
      return st.ok() ? st : st.WithContext(context);
    }
    if (p.legacy_raw) {
      for (const char* name : {"_airbyte_ab_id", "_airbyte_data", "_airbyte_emitted_at"}) {
        if (!table.columns.count(name)) {
          return Status::ConfigError(fmt::format("{}: {} exists but has no column {}; is it a legacy raw table?",
                                                 context, p.RawName(), name));
        }
      }
      return Status::Ok();
    }
    // Raw tables of older Airbyte versions lack these.
    for (const auto& [name, sql] : {std::pair{kColMeta, "jsonb"}, std::pair{kColGenerationId, "bigint"}}) {
      if (table.columns.count(name)) continue;
      Status st = conn.Exec(fmt::format("ALTER TABLE {} ADD COLUMN {} {}", p.RawName(), QuoteIdent(name), sql));
      if (!st.ok()) return st.WithContext(context);
    }
    for (const char* name : {kColRawId, kColData, kColExtractedAt, kColLoadedAt}) {
      if (!table.columns.count(name)) {
        return Status::ConfigError(
            fmt::format("{}: {} exists but has no column {}; is it a raw table?", context, p.RawName(), name));
      }
    }
    return EnsureMetaDefault(conn, p, p.RawName(), table);
  }

  PgDestinationConfig config_;
  std::vector<PgStreamPlan> plans_;
  //! The SSH tunnel of the run (null without one); declared before pool_ so that it closes
  //! after the pool's connections.
  std::unique_ptr<SshTunnel> tunnel_;
  std::unique_ptr<PgConnectionPool> pool_;
};

}  // namespace

std::unique_ptr<Destination> MakePostgresDestination() { return std::make_unique<PostgresDestination>(); }

SLUICE_REGISTER_DESTINATION("destination-postgres", "Postgres",
                            "PostgreSQL: typed final tables and raw tables (Airbyte V2 layout), binary COPY, all sync modes",
                            MakePostgresDestination);

}  // namespace sluice
