#include "cli/connector_command.h"

#include <atomic>
#include <csignal>

#include "base/log.h"
#include "connection/connector_runtime.h"
#include "cli/protocol_io.h"
#include "cli/signals.h"
#include "engine/sync_runner.h"
#include "protocol/codec.h"
#include "protocol/config_update.h"

namespace sluice {

namespace {

void Print(const Json& message) { WriteStdout(SerializeMessage(message) + "\n"); }

//! Check and Discover have no emitter: a config they changed is printed as a CONTROL message.
void PrintConfigUpdate(Source& source) {
  if (auto updated = TakeConfigUpdate(source)) Print(ConnectorConfigControlMessage(*updated));
}

int Fail(const Status& status) {
  Print(TraceErrorMessage(status));
  return ExitCodeFor(status.failure_type());
}

Result<ConnectorKind> KindFor(const std::string& name, const std::string& verb) {
  auto info = Registry::Builtins().Find(name);
  if (info.ok()) return (*info)->kind;
  // An ambiguous short name: the verb decides.
  if (verb == "read" || verb == "discover") return ConnectorKind::kSource;
  if (verb == "write") return ConnectorKind::kDestination;
  return info.status();
}

bool IsVerb(const std::string& word) {
  return word == "spec" || word == "check" || word == "discover" || word == "read" || word == "write";
}

}  // namespace

int RunConnectorCommand(const ConnectorCommandArgs& args) {
  LogToStdoutAsProtocol();
  // `sluice connector spec airbyte/source-postgres` reads as well as `… source-postgres spec`.
  const bool swapped = IsVerb(args.name) && !IsVerb(args.verb);
  const std::string& verb = swapped ? args.name : args.verb;
  const std::string& name = swapped ? args.verb : args.name;
  if (!IsVerb(verb)) {
    return Fail(Status::ConfigError("unknown command '" + verb + "' (expected spec, check, discover, read or write)"));
  }
  auto kind = KindFor(name, verb);
  if (!kind.ok()) return Fail(kind.status());
  auto connector = ResolveConnector(*kind, name, {});
  if (!connector.ok()) return Fail(connector.status());
  ResolvedConnector& c = *connector;

  if (verb == "spec") {
    Print(Json{{"type", "SPEC"}, {"spec", c.spec.ToJson()}});
    return 0;
  }
  if ((verb == "read" || verb == "discover") && *kind != ConnectorKind::kSource) {
    return Fail(Status::ConfigError(c.name + " is a destination: it has no '" + verb + "' command"));
  }
  if (verb == "write" && *kind != ConnectorKind::kDestination) {
    return Fail(Status::ConfigError(c.name + " is a source: it has no 'write' command"));
  }
  if (args.config.empty()) return Fail(Status::ConfigError("--config FILE is required for '" + verb + "'"));
  auto raw = ReadJsonFile(args.config, "config");
  if (!raw.ok()) return Fail(raw.status());

  if (verb == "check") {
    // Airbyte reports a failed check as CONNECTION_STATUS FAILED, not as an error.
    auto config = PrepareConnectorConfig(c, *raw);
    Status st = config.ok() ? (c.source ? c.source->Check(*config) : c.destination->Check(*config)) : config.status();
    if (c.source) PrintConfigUpdate(*c.source);
    Json status = {{"status", st.ok() ? "SUCCEEDED" : "FAILED"}};
    if (!st.ok()) status["message"] = st.message();
    Print(Json{{"type", "CONNECTION_STATUS"}, {"connectionStatus", status}});
    if (!st.ok() && st.failure_type() == FailureType::kSystem) return ExitCodeFor(FailureType::kSystem);
    return 0;
  }
  auto config = PrepareConnectorConfig(c, *raw);
  if (!config.ok()) return Fail(config.status());

  if (verb == "discover") {
    auto catalog = c.source->Discover(*config);
    PrintConfigUpdate(*c.source);
    if (!catalog.ok()) return Fail(catalog.status());
    Print(Json{{"type", "CATALOG"}, {"catalog", catalog->ToJson()}});
    return 0;
  }

  if (args.catalog.empty()) return Fail(Status::ConfigError("--catalog FILE is required for '" + verb + "'"));
  auto catalog_json = ReadJsonFile(args.catalog, "catalog");
  if (!catalog_json.ok()) return Fail(catalog_json.status());
  auto catalog = ConfiguredCatalog::FromJson(*catalog_json);
  if (!catalog.ok()) return Fail(catalog.status().WithContext("catalog '" + args.catalog + "'"));

  InstallStopSignalHandlers();
  SyncOptions options;
  options.stop = &StopRequested();
  options.commit_interval_ms = 0;  // the protocol peer decides how often to checkpoint
  SyncResult result;
  if (verb == "read") {
    StateStore state;
    if (!args.state.empty()) {
      auto state_json = ReadJsonFile(args.state, "state");
      if (!state_json.ok()) return Fail(state_json.status());
      auto parsed = StateStore::FromJson(*state_json);
      if (!parsed.ok()) return Fail(parsed.status().WithContext("state '" + args.state + "'"));
      state = std::move(parsed).value();
    }
    auto printer = MakeProtocolOutputDestination();
    options.on_stream_status = [&printer](uint32_t stream, StreamStatus status) {
      printer->PrintStreamStatus(stream, status);
    };
    // A rotated OAuth refresh token: Airbyte's CONTROL message, for the caller to persist.
    options.on_connector_config = [](const Json& updated) {
      Print(ConnectorConfigControlMessage(updated));
      return Status::Ok();
    };
    result = RunSync(*c.source, *config, *catalog, *printer, Json::object(), *catalog, state, options);
  } else {
    auto input = MakeProtocolInputSource(0);
    options.on_checkpoint = [](const StateMessage& state, const StateStore&) {
      Print(StateMessageJson(state));
      return Status::Ok();
    };
    result = RunSync(*input, Json::object(), *catalog, *c.destination, *config, *catalog, StateStore(), options);
  }
  if (!result.status.ok()) {
    Print(TraceErrorMessage(result.status, result.failed_stream ? &*result.failed_stream : nullptr));
    return ExitCodeFor(result.status.failure_type());
  }
  return 0;
}

}  // namespace sluice
