#include "transform/transform.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include "base/time.h"
#include "postgres/pg_connection.h"
#include "template/template.h"

namespace sluice {

namespace {

namespace fs = std::filesystem;

// ---- files ----------------------------------------------------------------------------------

Result<std::string> ReadText(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::ConfigError(fmt::format("cannot read {}", path.string()));
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

Json YamlToJson(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined: return nullptr;
    case YAML::NodeType::Sequence: {
      Json a = Json::array();
      for (const auto& x : n) a.push_back(YamlToJson(x));
      return a;
    }
    case YAML::NodeType::Map: {
      Json o = Json::object();
      for (const auto& kv : n) o[kv.first.as<std::string>()] = YamlToJson(kv.second);
      return o;
    }
    case YAML::NodeType::Scalar: {
      const std::string s = n.Scalar();
      if (n.Tag() == "!") return s;  // quoted
      if (s == "true" || s == "True" || s == "TRUE") return true;
      if (s == "false" || s == "False" || s == "FALSE") return false;
      if (s == "~" || s == "null" || s == "Null" || s == "NULL") return nullptr;
      char* end = nullptr;
      const long long i = std::strtoll(s.c_str(), &end, 10);
      if (!s.empty() && end && *end == '\0') return static_cast<int64_t>(i);
      const double d = std::strtod(s.c_str(), &end);
      if (!s.empty() && end && *end == '\0') return d;
      return s;
    }
  }
  return nullptr;
}

Result<Json> ParseYaml(const std::string& text, const std::string& file) {
  try {
    return YamlToJson(YAML::Load(text));
  } catch (const YAML::Exception& e) {
    return Status::ConfigError(fmt::format("{}:{}: {}", file, e.mark.line + 1, e.msg));
  }
}

std::string Rel(const fs::path& p, const fs::path& base) { return fs::relative(p, base).generic_string(); }

// ---- the project ----------------------------------------------------------------------------

struct ColumnTest {
  std::string column;  // "" for model-level
  std::string kind;    // not_null, unique, accepted_values, relationships
  Json args;
};

struct Model {
  std::string name;
  std::string file;    // relative to the project
  std::string folder;  // under the model path: "staging"
  std::string raw;     // the file's text
  Json config = Json::object();  // project config, then {{ config() }}
  std::set<std::string> refs;
  std::string schema;  // resolved
  std::string relation;  // "schema"."name"
  std::vector<ColumnTest> tests;
  std::string compiled;
};

struct Source {
  std::string schema, identifier;
};

struct Project {
  fs::path dir;
  std::string name;
  std::string profile;
  Json config;  // dbt_project.yml
  Json vars = Json::object();
  std::vector<std::string> model_paths = {"models"};
  std::vector<std::string> macro_paths = {"macros"};
  std::map<std::string, Model> models;
  std::map<std::pair<std::string, std::string>, Source> sources;
};

std::string QuoteRel(const std::string& schema, const std::string& name) {
  return QuoteIdent(schema) + "." + QuoteIdent(name);
}

TemplateValue Relation(const std::string& schema, const std::string& name) {
  return TemplateValue{Json{{"schema", schema}, {"identifier", name}, {"name", name}, {"table", name}},
                       QuoteRel(schema, name)};
}

std::string Arg(const TemplateArgs& args, const TemplateKwargs& kwargs, size_t i, const char* name,
                const std::string& fallback = {}) {
  if (i < args.size()) return PythonStr(args[i]);
  for (const auto& [k, v] : kwargs) {
    if (k == name) return PythonStr(v);
  }
  return fallback;
}

// Host functions every render sees: var, env_var, target, log (return() is the template's own).
void SetCommonGlobals(TemplateContext& ctx, const Json& vars, const Json& target) {
  ctx.SetFunction("var", [vars](const TemplateArgs& a, const TemplateKwargs& kw) -> Result<TemplateValue> {
    const std::string name = Arg(a, kw, 0, "name");
    if (vars.contains(name)) return TemplateValue{vars[name], {}};
    if (a.size() > 1) return TemplateValue{a[1], {}};
    for (const auto& [k, v] : kw) {
      if (k == "default") return TemplateValue{v, {}};
    }
    return Status::ConfigError(fmt::format("Required var '{}' not found in config (vars: in dbt_project.yml or --vars)", name));
  });
  ctx.SetFunction("env_var", [](const TemplateArgs& a, const TemplateKwargs& kw) -> Result<TemplateValue> {
    const std::string name = Arg(a, kw, 0, "var");
    if (const char* v = std::getenv(name.c_str())) return TemplateValue{Json(std::string(v)), {}};
    if (a.size() > 1) return TemplateValue{a[1], {}};
    for (const auto& [k, v] : kw) {
      if (k == "default") return TemplateValue{v, {}};
    }
    return Status::ConfigError(fmt::format("Env var required but not provided: '{}'", name));
  });
  ctx.SetFunction("log", [](const TemplateArgs&, const TemplateKwargs&) -> Result<TemplateValue> {
    return TemplateValue{Json(""), {}};
  });
  ctx.SetValue("target", TemplateValue{target, {}});
}

// dbt_project.yml and profiles.yml are rendered with var / env_var only.
Result<std::string> RenderConfigFile(const std::string& text, const std::string& file, const Json& vars) {
  TemplateContext ctx;
  SetCommonGlobals(ctx, vars, Json::object());
  return MakeJinjaEngine(0, TemplateDialect::kJinja)->RenderFile(text, file, ctx);
}

// dbt's generate_schema_name: the target schema, or target_custom.
std::string SchemaFor(const std::string& target_schema, const Json& config) {
  if (config.contains("schema") && config["schema"].is_string() && !config["schema"].get<std::string>().empty()) {
    return target_schema + "_" + config["schema"].get<std::string>();
  }
  return target_schema;
}

// The `models:` config of dbt_project.yml along a model's folders: keys with '+' (and plain
// known keys) at each level, deeper wins.
Json FolderConfig(const Project& p, const std::string& folder) {
  Json out = Json::object();
  const Json models = p.config.value("models", Json::object());
  if (!models.is_object()) return out;
  auto take = [&](const Json& level) {
    if (!level.is_object()) return;
    for (const auto& [k, v] : level.items()) {
      const std::string key = !k.empty() && k[0] == '+' ? k.substr(1) : k;
      static const std::set<std::string> kKnown = {"materialized", "schema", "enabled", "unique_key", "alias", "tags"};
      if ((k[0] == '+' || kKnown.count(key)) && !v.is_object()) out[key] = v;
    }
  };
  Json level = models.value(p.name, Json());
  take(level);
  std::stringstream parts(folder);
  for (std::string part; std::getline(parts, part, '/');) {
    if (!level.is_object() || !level.contains(part)) break;
    level = level[part];
    take(level);
  }
  return out;
}

Status LoadProject(const std::string& dir, const Json& cli_vars, Project& p) {
  p.dir = fs::absolute(dir).lexically_normal();
  const fs::path project_file = p.dir / "dbt_project.yml";
  if (!fs::exists(project_file)) {
    return Status::ConfigError(fmt::format("{}: no dbt_project.yml (is it a dbt project folder?)", p.dir.string()));
  }
  SLUICE_ASSIGN_OR_RETURN(std::string text, ReadText(project_file));
  {
    // dbt renders dbt_project.yml first (env_var); no models exist yet.
    SLUICE_ASSIGN_OR_RETURN(text, RenderConfigFile(text, "dbt_project.yml", cli_vars));
  }
  SLUICE_ASSIGN_OR_RETURN(p.config, ParseYaml(text, "dbt_project.yml"));
  if (!p.config.is_object() || !p.config.contains("name")) {
    return Status::ConfigError("dbt_project.yml: `name` is required");
  }
  p.name = p.config["name"].get<std::string>();
  p.profile = p.config.value("profile", p.name);
  for (const char* key : {"model-paths", "source-paths"}) {
    if (p.config.contains(key) && p.config[key].is_array()) p.model_paths = p.config[key].get<std::vector<std::string>>();
  }
  if (p.config.contains("macro-paths") && p.config["macro-paths"].is_array()) {
    p.macro_paths = p.config["macro-paths"].get<std::vector<std::string>>();
  }
  if (p.config.contains("vars") && p.config["vars"].is_object()) {
    for (const auto& [k, v] : p.config["vars"].items()) {
      if (!v.is_object() || k != p.name) p.vars[k] = v;
    }
    if (p.config["vars"].contains(p.name) && p.config["vars"][p.name].is_object()) p.vars.update(p.config["vars"][p.name]);
  }
  p.vars.update(cli_vars);

  std::vector<std::pair<fs::path, fs::path>> files;  // (file, model path root)
  for (const std::string& mp : p.model_paths) {
    const fs::path root = p.dir / mp;
    if (!fs::exists(root)) continue;
    for (const auto& e : fs::recursive_directory_iterator(root)) {
      if (e.is_regular_file()) files.emplace_back(e.path(), root);
    }
  }
  std::sort(files.begin(), files.end());
  std::vector<std::pair<Json, std::string>> ymls;
  for (const auto& [file, root] : files) {
    const std::string ext = file.extension().string();
    if (ext == ".sql") {
      Model m;
      m.name = file.stem().string();
      m.file = Rel(file, p.dir);
      m.folder = Rel(file.parent_path(), root);
      if (m.folder == ".") m.folder.clear();
      SLUICE_ASSIGN_OR_RETURN(m.raw, ReadText(file));
      if (p.models.count(m.name)) {
        return Status::ConfigError(fmt::format("two models are named '{}': {} and {}", m.name, p.models[m.name].file, m.file));
      }
      m.config = FolderConfig(p, m.folder);
      p.models[m.name] = std::move(m);
    } else if (ext == ".yml" || ext == ".yaml") {
      SLUICE_ASSIGN_OR_RETURN(std::string y, ReadText(file));
      SLUICE_ASSIGN_OR_RETURN(Json doc, ParseYaml(y, Rel(file, p.dir)));
      ymls.emplace_back(std::move(doc), Rel(file, p.dir));
    }
  }
  for (const auto& [doc, file] : ymls) {
    if (!doc.is_object()) continue;
    for (const Json& s : doc.value("sources", Json::array())) {
      const std::string name = s.value("name", "");
      const std::string schema = s.value("schema", name);
      for (const Json& t : s.value("tables", Json::array())) {
        const std::string table = t.value("name", "");
        p.sources[{name, table}] = {schema, t.value("identifier", table)};
      }
    }
    for (const Json& m : doc.value("models", Json::array())) {
      const std::string name = m.value("name", "");
      auto it = p.models.find(name);
      if (it == p.models.end()) {
        return Status::ConfigError(fmt::format("{}: tests for model '{}', which has no .sql file", file, name));
      }
      if (m.contains("config") && m["config"].is_object()) it->second.config.update(m["config"]);
      for (const Json& c : m.value("columns", Json::array())) {
        const std::string column = c.value("name", "");
        Json tests = c.value("tests", Json::array());
        if (tests.is_null() || tests.empty()) tests = c.value("data_tests", Json::array());
        for (const Json& t : tests) {
          if (t.is_string()) {
            it->second.tests.push_back({column, t.get<std::string>(), Json::object()});
          } else if (t.is_object() && !t.empty()) {
            it->second.tests.push_back({column, t.begin().key(), t.begin().value()});
          }
        }
      }
    }
  }
  return Status::Ok();
}

Result<Json> LoadProfile(const Project& p, const TransformOptions& o) {
  std::vector<fs::path> dirs;
  if (!o.profiles_dir.empty()) dirs.push_back(o.profiles_dir);
  if (const char* env = std::getenv("DBT_PROFILES_DIR")) dirs.push_back(env);
  dirs.push_back(p.dir);
  if (const char* home = std::getenv("HOME")) dirs.push_back(fs::path(home) / ".dbt");
  for (const fs::path& d : dirs) {
    const fs::path f = d / "profiles.yml";
    if (!fs::exists(f)) continue;
    SLUICE_ASSIGN_OR_RETURN(std::string text, ReadText(f));
    SLUICE_ASSIGN_OR_RETURN(text, RenderConfigFile(text, f.string(), p.vars));
    SLUICE_ASSIGN_OR_RETURN(Json doc, ParseYaml(text, f.string()));
    if (!doc.is_object() || !doc.contains(p.profile)) {
      return Status::ConfigError(fmt::format("{}: no profile '{}' (dbt_project.yml's `profile`)", f.string(), p.profile));
    }
    const Json& prof = doc[p.profile];
    const std::string target = !o.target.empty() ? o.target : prof.value("target", "dev");
    if (!prof.contains("outputs") || !prof["outputs"].contains(target)) {
      return Status::ConfigError(fmt::format("{}: profile '{}' has no output '{}'", f.string(), p.profile, target));
    }
    Json out = prof["outputs"][target];
    out["name"] = target;
    if (out.value("type", "") != "postgres") {
      return Status::ConfigError(fmt::format("{}: output '{}' has type '{}'; sluice transform runs against postgres",
                                             f.string(), target, out.value("type", "")));
    }
    return out;
  }
  return Status::ConfigError(fmt::format(
      "no profiles.yml found (looked in {}{}the project folder and ~/.dbt); give --profiles-dir or --destination",
      o.profiles_dir.empty() ? "" : o.profiles_dir + ", ", std::getenv("DBT_PROFILES_DIR") ? "$DBT_PROFILES_DIR, " : ""));
}

PgConnectionConfig ConnectionFromProfile(const Json& out) {
  PgConnectionConfig c;
  c.host = out.value("host", "localhost");
  c.port = out.contains("port") && out["port"].is_number() ? out["port"].get<int>()
           : out.contains("port")                            ? std::stoi(out["port"].get<std::string>())
                                                             : 5432;
  c.database = out.contains("dbname") ? out["dbname"].get<std::string>() : out.value("database", "postgres");
  c.username = out.value("user", "postgres");
  c.password = out.contains("password") ? PythonStr(out["password"]) : out.contains("pass") ? PythonStr(out["pass"]) : "";
  c.ssl_mode = out.value("sslmode", "prefer");
  return c;
}

// ---- rendering ------------------------------------------------------------------------------

struct RenderState {
  Model* model = nullptr;
  bool incremental = false;
  bool parsing = true;
};

class Renderer {
 public:
  Renderer(Project& p, const Json& target, const std::string& target_schema)
      : p_(p), target_schema_(target_schema) {
    SetCommonGlobals(ctx_, p.vars, target);
    ctx_.SetFunction("ref", [this](const TemplateArgs& a, const TemplateKwargs& kw) -> Result<TemplateValue> {
      // ref('model') or ref('package', 'model')
      const std::string name = a.size() > 1 ? PythonStr(a[1]) : Arg(a, kw, 0, "name");
      auto it = p_.models.find(name);
      if (it == p_.models.end()) {
        return Status::ConfigError(fmt::format("ref('{}'): no model named '{}' in the project", name, name));
      }
      if (state_.model) state_.model->refs.insert(name);
      Model& m = it->second;
      if (m.config.value("materialized", "view") == "ephemeral") {
        return TemplateValue{Json(m.name), "__dbt__cte__" + m.name};
      }
      return Relation(SchemaFor(target_schema_, m.config), m.config.value("alias", m.name));
    });
    ctx_.SetFunction("source", [this](const TemplateArgs& a, const TemplateKwargs& kw) -> Result<TemplateValue> {
      const std::string s = Arg(a, kw, 0, "source_name"), t = Arg(a, kw, 1, "table_name");
      auto it = p_.sources.find({s, t});
      if (it == p_.sources.end()) {
        return Status::ConfigError(fmt::format("source('{}', '{}'): not defined in any sources .yml", s, t));
      }
      return Relation(it->second.schema, it->second.identifier);
    });
    ctx_.SetFunction("config", [this](const TemplateArgs&, const TemplateKwargs& kw) -> Result<TemplateValue> {
      if (state_.model) {
        for (const auto& [k, v] : kw) state_.model->config[k] = v;
      }
      return TemplateValue{Json(""), {}};
    });
    ctx_.SetFunction("is_incremental", [this](const TemplateArgs&, const TemplateKwargs&) -> Result<TemplateValue> {
      return TemplateValue{Json(state_.incremental), {}};
    });
  }

  Status AddMacros() {
    for (const std::string& mp : p_.macro_paths) {
      const fs::path root = p_.dir / mp;
      if (!fs::exists(root)) continue;
      std::vector<fs::path> files;
      for (const auto& e : fs::recursive_directory_iterator(root)) {
        if (e.is_regular_file() && e.path().extension() == ".sql") files.push_back(e.path());
      }
      std::sort(files.begin(), files.end());
      for (const fs::path& f : files) {
        SLUICE_ASSIGN_OR_RETURN(std::string text, ReadText(f));
        SLUICE_RETURN_IF_ERROR(engine_->AddMacros(text, Rel(f, p_.dir)));
      }
    }
    return Status::Ok();
  }

  Result<std::string> Render(Model& m, bool incremental) {
    state_ = {&m, incremental, false};
    const std::string schema = SchemaFor(target_schema_, m.config);
    ctx_.SetValue("this", Relation(schema, m.config.value("alias", m.name)));
    ctx_.SetValue("model", TemplateValue{Json{{"name", m.name}, {"schema", schema}}, {}});
    auto r = engine_->RenderFile(m.raw, m.file, ctx_);
    state_ = {};
    return r;
  }

  //! A test's `to: ref('x')` and similar small templates.
  Result<std::string> RenderText(const std::string& text, const std::string& where) {
    state_ = {};
    return engine_->RenderFile(text, where, ctx_);
  }

 private:
  Project& p_;
  std::string target_schema_;
  std::unique_ptr<TemplateEngine> engine_ = MakeJinjaEngine(0, TemplateDialect::kJinja);
  TemplateContext ctx_;
  RenderState state_;
};

// ---- ordering -------------------------------------------------------------------------------

Result<std::vector<std::string>> Order(const Project& p) {
  std::vector<std::string> out;
  std::map<std::string, int> mark;  // 1 visiting, 2 done
  std::vector<std::string> path;
  std::function<Status(const std::string&)> visit = [&](const std::string& n) -> Status {
    if (mark[n] == 2) return Status::Ok();
    if (mark[n] == 1) {
      auto it = std::find(path.begin(), path.end(), n);
      std::string cycle;
      for (; it != path.end(); ++it) cycle += *it + " -> ";
      return Status::ConfigError(fmt::format("Found a cycle: {}{}", cycle, n));
    }
    mark[n] = 1;
    path.push_back(n);
    for (const std::string& r : p.models.at(n).refs) SLUICE_RETURN_IF_ERROR(visit(r));
    path.pop_back();
    mark[n] = 2;
    out.push_back(n);
    return Status::Ok();
  };
  for (const auto& [name, m] : p.models) SLUICE_RETURN_IF_ERROR(visit(name));
  return out;
}

// ---- running --------------------------------------------------------------------------------

std::string Dots(const std::string& left, size_t width = 72) {
  return left.size() >= width ? left + " " : left + " " + std::string(width - left.size(), '.') + " ";
}

std::string Secs(int64_t micros) { return fmt::format("{:.2f}s", static_cast<double>(micros) / 1e6); }

// "… (at character N)" → the line of `sql` holding character N (1-based), or 0.
int ErrorLine(const std::string& message, const std::string& sql, size_t prefix_chars) {
  const size_t at = message.rfind("(at character ");
  if (at == std::string::npos) return 0;
  const long pos = std::strtol(message.c_str() + at + 14, nullptr, 10) - 1 - static_cast<long>(prefix_chars);
  if (pos < 0 || static_cast<size_t>(pos) > sql.size()) return 0;
  return 1 + static_cast<int>(std::count(sql.begin(), sql.begin() + pos, '\n'));
}

class Runner {
 public:
  Runner(Project& p, const TransformOptions& o, PgConnection& conn, Renderer& r, std::string target_schema)
      : p_(p), o_(o), conn_(conn), r_(r), target_schema_(std::move(target_schema)) {}

  void Print(const std::string& line) {
    if (o_.print) {
      o_.print(line);
    } else {
      std::cout << line << std::endl;
    }
  }

  Result<bool> RelationKind(const std::string& schema, const std::string& name, char& kind) {
    SLUICE_ASSIGN_OR_RETURN(PgResult r, conn_.Query("SELECT c.relkind FROM pg_class c JOIN pg_namespace n ON "
                                                     "n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2",
                                                     {schema, name}));
    if (r.rows() == 0) return false;
    kind = r.Get(0, 0)[0];
    return true;
  }

  Status Tx(const std::vector<std::string>& sql) {
    SLUICE_RETURN_IF_ERROR(conn_.Exec("BEGIN"));
    for (const std::string& s : sql) {
      Status st = conn_.Exec(s);
      if (!st.ok()) {
        (void)conn_.Exec("ROLLBACK");
        return st;
      }
    }
    return conn_.Exec("COMMIT");
  }

  // The model's SELECT with its ephemeral refs inlined as CTEs.
  Result<std::string> WithEphemerals(const Model& m, const std::string& sql) {
    std::vector<std::string> ctes;
    std::set<std::string> done;
    Status failed;
    std::function<void(const Model&)> add = [&](const Model& x) {
      for (const std::string& r : x.refs) {
        Model& dep = p_.models.at(r);
        if (dep.config.value("materialized", "view") != "ephemeral" || done.count(r)) continue;
        if (dep.compiled.empty()) {  // not selected in this run: compiled here
          auto c = r_.Render(dep, false);
          if (!c.ok()) {
            failed = c.status();
            continue;
          }
          dep.compiled = *c;
        }
        add(dep);
        done.insert(r);
        ctes.push_back(fmt::format("__dbt__cte__{} as (\n{}\n)", r, dep.compiled));
      }
    };
    add(m);
    if (!failed.ok()) return failed;
    if (ctes.empty()) return sql;
    std::string joined;
    for (size_t i = 0; i < ctes.size(); ++i) joined += (i ? ",\n" : "") + ctes[i];
    return "with " + joined + "\nselect * from (\n" + sql + "\n) as __dbt_model";
  }

  // Builds one model; the message describes what was done ("CREATE VIEW").
  Status Materialize(Model& m, std::string& done) {
    const std::string mat = m.config.value("materialized", "view");
    const std::string schema = SchemaFor(target_schema_, m.config);
    const std::string name = m.config.value("alias", m.name);
    const std::string rel = QuoteRel(schema, name);
    char kind = 0;
    SLUICE_ASSIGN_OR_RETURN(bool exists, RelationKind(schema, name, kind));
    const bool incremental = mat == "incremental" && exists && kind == 'r' && !o_.full_refresh;
    SLUICE_ASSIGN_OR_RETURN(std::string sql, r_.Render(m, incremental));
    m.compiled = sql;
    SLUICE_ASSIGN_OR_RETURN(const std::string body, WithEphemerals(m, sql));
    WriteCompiled(m, body);
    if (mat == "ephemeral") {
      done = "EPHEMERAL";
      return Status::Ok();
    }
    SLUICE_RETURN_IF_ERROR(conn_.Exec("CREATE SCHEMA IF NOT EXISTS " + QuoteIdent(schema)));
    const std::string drop_old = !exists ? std::string()
                                 : kind == 'v'  ? "DROP VIEW IF EXISTS " + rel + " CASCADE"
                                                : "DROP TABLE IF EXISTS " + rel + " CASCADE";
    prefix_ = 0;
    if (mat == "view") {
      done = "CREATE VIEW";
      if (exists && kind == 'v') {
        // Replaced in place when its columns allow it: dependent views stay.
        prefix_ = fmt::format("CREATE OR REPLACE VIEW {} AS (\n", rel).size();
        Status st = Tx({fmt::format("CREATE OR REPLACE VIEW {} AS (\n{}\n)", rel, body)});
        if (st.ok() || st.message().find("SQLSTATE 42P16") == std::string::npos) return st;
      }
      prefix_ = fmt::format("CREATE VIEW {} AS (\n", rel).size();
      std::vector<std::string> steps;
      if (!drop_old.empty()) steps.push_back(drop_old);
      steps.push_back(fmt::format("CREATE VIEW {} AS (\n{}\n)", rel, body));
      done = "CREATE VIEW";
      return Tx(steps);
    }
    if (mat == "table" || (mat == "incremental" && !incremental)) {
      const std::string tmp = name + "__sluice_tmp";
      const std::string tmp_rel = QuoteRel(schema, tmp);
      prefix_ = fmt::format("CREATE TABLE {} AS (\n", tmp_rel).size();
      std::vector<std::string> steps = {"DROP TABLE IF EXISTS " + tmp_rel,
                                        fmt::format("CREATE TABLE {} AS (\n{}\n)", tmp_rel, body)};
      if (!drop_old.empty()) steps.push_back(drop_old);
      steps.push_back(fmt::format("ALTER TABLE {} RENAME TO {}", tmp_rel, QuoteIdent(name)));
      SLUICE_RETURN_IF_ERROR(Tx(steps));
      SLUICE_ASSIGN_OR_RETURN(PgResult n, conn_.Query("SELECT count(*) FROM " + rel));
      done = fmt::format("SELECT {}", n.Get(0, 0));
      return Status::Ok();
    }
    if (mat == "incremental") {
      // New rows: a temp table; rows with their unique key are replaced, then the rest go in.
      prefix_ = std::string("CREATE TEMP TABLE sluice_incr ON COMMIT DROP AS (\n").size();
      std::vector<std::string> steps = {fmt::format("CREATE TEMP TABLE sluice_incr ON COMMIT DROP AS (\n{}\n)", body)};
      std::vector<std::string> keys;
      const Json uk = m.config.value("unique_key", Json());
      if (uk.is_string()) keys.push_back(uk.get<std::string>());
      if (uk.is_array()) {
        for (const Json& k : uk) keys.push_back(k.get<std::string>());
      }
      if (!keys.empty()) {
        std::string match;
        for (const std::string& k : keys) {
          match += (match.empty() ? "" : " AND ") + fmt::format("t.{0} = s.{0}", QuoteIdent(k));
        }
        steps.push_back(fmt::format("DELETE FROM {} AS t USING sluice_incr AS s WHERE {}", rel, match));
      }
      // Only the columns the table has (dbt's on_schema_change: ignore).
      steps.push_back(fmt::format(
          "DO $sluice$ DECLARE cols text; BEGIN SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) "
          "INTO cols FROM pg_attribute a WHERE a.attrelid = 'pg_temp.sluice_incr'::regclass AND a.attnum > 0 AND NOT "
          "a.attisdropped AND a.attname IN (SELECT attname FROM pg_attribute WHERE attrelid = {0}::regclass AND "
          "attnum > 0 AND NOT attisdropped); EXECUTE format('INSERT INTO %s (%s) SELECT %s FROM sluice_incr', {0}, "
          "cols, cols); END $sluice$",
          QuoteLiteral(rel)));
      SLUICE_RETURN_IF_ERROR(Tx(steps));
      done = "MERGE";
      return Status::Ok();
    }
    return Status::ConfigError(fmt::format("{}: materialized '{}' is not one of view, table, incremental, ephemeral",
                                           m.file, mat));
  }

  void WriteCompiled(const Model& m, const std::string& sql) {
    const fs::path out = p_.dir / "target" / "run" / p_.name / m.file;
    std::error_code ec;
    fs::create_directories(out.parent_path(), ec);
    std::ofstream(out) << sql << "\n";
  }

  std::string CompiledPath(const Model& m) const { return ("target/run/" + p_.name + "/" + m.file); }

  Status RunModels(const std::vector<std::string>& order, TransformSummary& s, std::vector<std::string>& failures) {
    std::set<std::string> failed;
    const size_t total = order.size();
    Print(fmt::format("Running with sluice transform: {} model(s)", total));
    size_t i = 0;
    for (const std::string& n : order) {
      Model& m = p_.models.at(n);
      ++i;
      const std::string mat = m.config.value("materialized", "view");
      const std::string label =
          fmt::format("{} of {} {} {} model {}.{}", i, total, "START sql", mat, SchemaFor(target_schema_, m.config), m.name);
      bool skip = false;
      for (const std::string& r : m.refs) skip = skip || failed.count(r);
      if (skip) {
        failed.insert(n);
        ++s.skip;
        Print(Dots(fmt::format("{} of {} SKIP relation {}.{} due to ephemeral model error or upstream failure", i,
                               total, SchemaFor(target_schema_, m.config), m.name)) + "[SKIP]");
        continue;
      }
      Print(Dots(label) + "[RUN]");
      const int64_t start = NowMicros();
      std::string done;
      Status st = Materialize(m, done);
      const std::string took = Secs(NowMicros() - start);
      if (st.ok()) {
        ++s.pass;
        Print(Dots(fmt::format("{} of {} OK created sql {} model {}.{}", i, total, mat,
                               SchemaFor(target_schema_, m.config), m.name)) + fmt::format("[{} in {}]", done, took));
        continue;
      }
      ++s.error;
      failed.insert(n);
      Print(Dots(fmt::format("{} of {} ERROR creating sql {} model {}.{}", i, total, mat,
                             SchemaFor(target_schema_, m.config), m.name)) + fmt::format("[ERROR in {}]", took));
      const int line = m.compiled.empty() ? 0 : ErrorLine(st.message(), m.compiled, prefix_);
      std::string where = m.file;
      if (line > 0) where += fmt::format(":{} (line {} of the compiled SQL in {})", line, line, CompiledPath(m));
      failures.push_back(fmt::format("{} in model {} ({})\n  {}", st.failure_type() == FailureType::kConfig &&
                                                                       st.message().find("SQLSTATE") == std::string::npos
                                                                       ? "Compilation Error" : "Database Error",
                                     m.name, where, st.message()));
    }
    return Status::Ok();
  }

  Status RunTests(const std::vector<std::string>& order, TransformSummary& s, std::vector<std::string>& failures) {
    std::vector<std::pair<const Model*, const ColumnTest*>> tests;
    for (const std::string& n : order) {
      for (const ColumnTest& t : p_.models.at(n).tests) tests.emplace_back(&p_.models.at(n), &t);
    }
    size_t i = 0;
    for (const auto& [m, t] : tests) {
      ++i;
      const std::string rel = QuoteRel(SchemaFor(target_schema_, m->config), m->config.value("alias", m->name));
      const std::string col = QuoteIdent(t->column);
      std::string name = fmt::format("{}_{}_{}", t->kind, m->name, t->column);
      std::string sql;
      if (t->kind == "not_null") {
        sql = fmt::format("SELECT count(*) FROM {} WHERE {} IS NULL", rel, col);
      } else if (t->kind == "unique") {
        sql = fmt::format("SELECT count(*) FROM (SELECT {0} FROM {1} WHERE {0} IS NOT NULL GROUP BY {0} HAVING "
                          "count(*) > 1) AS d",
                          col, rel);
      } else if (t->kind == "accepted_values") {
        const bool quote = t->args.value("quote", true);
        std::string list;
        for (const Json& v : t->args.value("values", Json::array())) {
          const std::string text = PythonStr(v);
          list += (list.empty() ? "" : ", ") + (quote ? QuoteLiteral(text) : text);
        }
        sql = fmt::format("SELECT count(*) FROM {} WHERE {} IS NOT NULL AND {}{} NOT IN ({})", rel, col, col,
                          quote ? "::text" : "", list);
      } else if (t->kind == "relationships") {
        auto to = r_.RenderText("{{ " + t->args.value("to", std::string("''")) + " }}", m->file);
        if (!to.ok()) {
          failures.push_back(to.status().message());
          ++s.error;
          continue;
        }
        sql = fmt::format("SELECT count(*) FROM {0} AS c LEFT JOIN {1} AS p ON c.{2} = p.{3} WHERE c.{2} IS NOT NULL "
                          "AND p.{3} IS NULL",
                          rel, *to, col, QuoteIdent(t->args.value("field", std::string("id"))));
      } else {
        Print(Dots(fmt::format("{} of {} SKIP test {}", i, tests.size(), name)) + "[SKIP: unknown test]");
        ++s.skip;
        continue;
      }
      const int64_t start = NowMicros();
      auto r = conn_.Query(sql);
      const std::string took = Secs(NowMicros() - start);
      if (!r.ok()) {
        ++s.error;
        Print(Dots(fmt::format("{} of {} ERROR {}", i, tests.size(), name)) + fmt::format("[ERROR in {}]", took));
        failures.push_back(fmt::format("Database Error in test {} ({})\n  {}", name, YmlOf(*m), r.status().message()));
        continue;
      }
      const std::string count(r->Get(0, 0));
      if (count == "0") {
        ++s.pass;
        Print(Dots(fmt::format("{} of {} PASS {}", i, tests.size(), name)) + fmt::format("[PASS in {}]", took));
      } else {
        ++s.error;
        Print(Dots(fmt::format("{} of {} FAIL {} {}", i, tests.size(), count, name)) + fmt::format("[FAIL {} in {}]", count, took));
        failures.push_back(fmt::format("Failure in test {} ({}, model {} in {})\n  Got {} result(s), configured to fail "
                                       "if != 0\n  {}",
                                       name, YmlOf(*m), m->name, m->file, count, sql));
      }
    }
    return Status::Ok();
  }

  std::string YmlOf(const Model& m) const { return "schema tests of " + m.name; }

 private:
  Project& p_;
  const TransformOptions& o_;
  PgConnection& conn_;
  Renderer& r_;
  std::string target_schema_;
  size_t prefix_ = 0;
};

// --select: names, `+name` (it and its descendants), `name+`.
std::set<std::string> Selected(const Project& p, const std::vector<std::string>& select) {
  std::set<std::string> out;
  if (select.empty()) {
    for (const auto& [n, m] : p.models) out.insert(n);
    return out;
  }
  for (std::string s : select) {
    bool down = false;
    if (!s.empty() && s.back() == '+') {
      down = true;
      s.pop_back();
    }
    if (!s.empty() && s.front() == '+') s.erase(0, 1);
    out.insert(s);
    if (!down) continue;
    for (bool grew = true; grew;) {
      grew = false;
      for (const auto& [n, m] : p.models) {
        if (out.count(n)) continue;
        for (const std::string& r : m.refs) {
          if (out.count(r)) {
            out.insert(n);
            grew = true;
            break;
          }
        }
      }
    }
  }
  return out;
}

}  // namespace

Result<TransformSummary> RunTransform(const TransformOptions& o) {
  Project p;
  SLUICE_RETURN_IF_ERROR(LoadProject(o.project_dir, o.vars, p));
  PgConnectionConfig conn_config;
  Json target;
  std::string schema;
  if (o.connection) {
    conn_config = *o.connection;
    schema = o.schema;
    target = {{"name", "sluice"}, {"type", "postgres"}, {"schema", schema}, {"dbname", conn_config.database},
              {"host", conn_config.host}, {"user", conn_config.username}};
  } else {
    SLUICE_ASSIGN_OR_RETURN(Json out, LoadProfile(p, o));
    conn_config = ConnectionFromProfile(out);
    schema = out.value("schema", "public");
    target = out;
    target.erase("password");
    target.erase("pass");
    target["dbname"] = conn_config.database;
  }
  Renderer renderer(p, target, schema);
  SLUICE_RETURN_IF_ERROR(renderer.AddMacros());
  // Parse: render every enabled model once to learn its refs and config.
  for (auto it = p.models.begin(); it != p.models.end();) {
    if (it->second.config.contains("enabled") && it->second.config["enabled"] == false) {
      it = p.models.erase(it);
      continue;
    }
    auto parsed = renderer.Render(it->second, false);
    if (!parsed.ok()) return parsed.status();
    if (it->second.config.contains("enabled") && it->second.config["enabled"] == false) {
      it = p.models.erase(it);
      continue;
    }
    ++it;
  }
  SLUICE_ASSIGN_OR_RETURN(std::vector<std::string> all, Order(p));
  const std::set<std::string> selected = Selected(p, o.select);
  std::vector<std::string> order;
  for (const std::string& n : all) {
    if (selected.count(n)) order.push_back(n);
  }
  for (const std::string& s : o.select) {
    std::string n = s;
    n.erase(std::remove(n.begin(), n.end(), '+'), n.end());
    if (!p.models.count(n)) return Status::ConfigError(fmt::format("--select: no model named '{}'", n));
  }

  SLUICE_ASSIGN_OR_RETURN(auto conn, PgConnection::Connect(conn_config, "sluice transform"));
  SLUICE_RETURN_IF_ERROR(conn->Exec("SET client_min_messages = warning"));
  Runner runner(p, o, *conn, renderer, schema);
  TransformSummary summary;
  std::vector<std::string> failures;
  const int64_t start = NowMicros();
  if (o.run) SLUICE_RETURN_IF_ERROR(runner.RunModels(order, summary, failures));
  if (o.test) SLUICE_RETURN_IF_ERROR(runner.RunTests(order, summary, failures));
  runner.Print("");
  runner.Print(fmt::format("Finished running {} node(s) in {}.", summary.total(), Secs(NowMicros() - start)));
  if (!failures.empty()) {
    runner.Print("");
    runner.Print(fmt::format("Completed with {} error(s):", failures.size()));
    for (const std::string& f : failures) {
      runner.Print("");
      runner.Print(f);
    }
  } else {
    runner.Print("");
    runner.Print("Completed successfully");
  }
  runner.Print("");
  runner.Print(fmt::format("Done. PASS={} WARN={} ERROR={} SKIP={} TOTAL={}", summary.pass, summary.warn,
                           summary.error, summary.skip, summary.total()));
  if (summary.error > 0) {
    return Status::ConfigError(fmt::format("sluice transform: {} error(s), {} skipped; first: {}", summary.error,
                                           summary.skip, failures.empty() ? "" : failures.front()));
  }
  return summary;
}

}  // namespace sluice
