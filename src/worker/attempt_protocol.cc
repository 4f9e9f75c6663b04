#include "worker/attempt_protocol.h"

#include <fmt/format.h>

namespace sluice {

namespace {

Result<std::string> StringField(const Json& json, const char* key, const std::string& where) {
  auto it = json.find(key);
  if (it == json.end() || !it->is_string()) {
    return Status::SystemError(fmt::format("attempt plan: {}{} must be a string", where, key));
  }
  return it->get<std::string>();
}

Json DescriptorJson(const std::string& name, const std::optional<std::string>& ns) {
  return {{"streamName", name}, {"streamNamespace", ns ? Json(*ns) : Json()}};
}

std::optional<std::string> NamespaceOf(const Json& entry) {
  auto it = entry.find("streamNamespace");
  if (it == entry.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

}  // namespace

Json AttemptPlan::ToJson() const {
  Json generations_json = Json::array();
  for (const StreamGeneration& g : generations) {
    Json e = DescriptorJson(g.name, g.namespace_);
    e["generationId"] = g.generation_id;
    generations_json.push_back(std::move(e));
  }
  Json streams_json = Json::array();
  for (const JobStream& s : job_streams) {
    Json e = DescriptorJson(s.name, s.namespace_);
    e["action"] = StreamActionName(s.action);
    e["generationId"] = s.generation_id ? Json(*s.generation_id) : Json();
    streams_json.push_back(std::move(e));
  }
  return {{"jobId", job_id},
          {"attemptNumber", attempt_number},
          {"jobType", JobConfigTypeName(job_type)},
          {"connectionId", connection.connection_id},
          {"connectionName", connection.name},
          {"source", {{"connector", source_connector}, {"config", source_config}}},
          {"destination", {{"connector", destination_connector}, {"config", destination_config}}},
          {"syncCatalog", connection.sync_catalog},
          {"namespaceDefinition", connection.namespace_definition},
          {"namespaceFormat", connection.namespace_format ? Json(*connection.namespace_format) : Json()},
          {"prefix", connection.prefix},
          {"nonBreakingChangesPreference", connection.non_breaking_changes_preference},
          {"state", state},
          {"generations", std::move(generations_json)},
          {"jobStreams", std::move(streams_json)},
          {"continuous", continuous},
          {"operations", operations}};
}

Result<AttemptPlan> AttemptPlan::FromJson(const Json& json) {
  if (!json.is_object()) return Status::SystemError("attempt plan: must be a JSON object");
  AttemptPlan plan;
  plan.job_id = json.value("jobId", JobId{0});
  plan.attempt_number = json.value("attemptNumber", 0);
  SLUICE_ASSIGN_OR_RETURN(std::string type, StringField(json, "jobType", ""));
  auto parsed_type = ParseJobConfigType(type);
  if (!parsed_type) return Status::SystemError("attempt plan: unknown jobType '" + type + "'");
  plan.job_type = *parsed_type;
  for (const char* side : {"source", "destination"}) {
    auto it = json.find(side);
    if (it == json.end() || !it->is_object()) {
      return Status::SystemError(fmt::format("attempt plan: {} must be an object", side));
    }
    SLUICE_ASSIGN_OR_RETURN(std::string connector, StringField(*it, "connector", std::string(side) + "."));
    Json config = it->value("config", Json::object());
    if (std::string_view(side) == "source") {
      plan.source_connector = std::move(connector);
      plan.source_config = std::move(config);
    } else {
      plan.destination_connector = std::move(connector);
      plan.destination_config = std::move(config);
    }
  }
  plan.connection.connection_id = json.value("connectionId", "");
  plan.connection.name = json.value("connectionName", "");
  plan.connection.sync_catalog = json.value("syncCatalog", Json::object());
  plan.connection.namespace_definition = json.value("namespaceDefinition", "source");
  if (auto it = json.find("namespaceFormat"); it != json.end() && it->is_string()) {
    plan.connection.namespace_format = it->get<std::string>();
  }
  plan.connection.prefix = json.value("prefix", "");
  plan.connection.non_breaking_changes_preference = json.value("nonBreakingChangesPreference", "ignore");
  if (auto it = json.find("state"); it != json.end()) plan.state = *it;
  plan.continuous = json.value("continuous", false);
  if (auto it = json.find("operations"); it != json.end() && it->is_array()) plan.operations = *it;
  for (const Json& e : json.value("generations", Json::array())) {
    SLUICE_ASSIGN_OR_RETURN(std::string name, StringField(e, "streamName", "generations[]."));
    plan.generations.push_back({name, NamespaceOf(e), e.value("generationId", int64_t{0})});
  }
  for (const Json& e : json.value("jobStreams", Json::array())) {
    JobStream s;
    SLUICE_ASSIGN_OR_RETURN(s.name, StringField(e, "streamName", "jobStreams[]."));
    s.namespace_ = NamespaceOf(e);
    SLUICE_ASSIGN_OR_RETURN(std::string action, StringField(e, "action", "jobStreams[]."));
    auto parsed = ParseStreamAction(action);
    if (!parsed) return Status::SystemError("attempt plan: unknown jobStreams[].action '" + action + "'");
    s.action = *parsed;
    if (auto g = e.find("generationId"); g != e.end() && g->is_number_integer()) s.generation_id = g->get<int64_t>();
    plan.job_streams.push_back(std::move(s));
  }
  return plan;
}

std::string_view AttemptFailureTypeName(FailureType type) {
  switch (type) {
    case FailureType::kConfig: return "config_error";
    case FailureType::kTransient: return "transient_error";
    case FailureType::kSystem: return "system_error";
    case FailureType::kCancelled: return "manual_cancellation";
  }
  return "system_error";
}

}  // namespace sluice
