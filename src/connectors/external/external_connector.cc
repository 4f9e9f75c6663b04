#include "connectors/external/external_connector.h"

#include <signal.h>
#include <unistd.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>

#include "base/file_util.h"
#include "base/log.h"
#include "base/subprocess.h"
#include "protocol/codec.h"
#include "protocol/config_update.h"

namespace sluice {

namespace {

std::string CommandName(const std::vector<std::string>& command) {
  std::string s;
  for (const auto& a : command) s += (s.empty() ? "" : " ") + a;
  return s;
}

// Forwards a child's stderr lines to the log and keeps the last few for error details.
class StderrPump {
 public:
  StderrPump(int fd, std::string name) : name_(std::move(name)) {
    thread_ = std::thread([this, fd] { Run(fd); });
  }
  ~StderrPump() { Join(); }
  void Join() {
    if (thread_.joinable()) thread_.join();
  }
  std::string Tail() {
    std::lock_guard lock(mutex_);
    std::string s;
    for (const auto& l : tail_) s += l + "\n";
    return s;
  }

 private:
  void Run(int fd) {
    std::string buf;
    char chunk[4096];
    while (true) {
      const ssize_t n = read(fd, chunk, sizeof(chunk));
      if (n <= 0) break;
      buf.append(chunk, static_cast<size_t>(n));
      size_t nl;
      while ((nl = buf.find('\n')) != std::string::npos) {
        Line(buf.substr(0, nl));
        buf.erase(0, nl + 1);
      }
    }
    if (!buf.empty()) Line(buf);
  }
  void Line(const std::string& line) {
    Log(LogLevel::kInfo, "[{}] {}", name_, line);
    std::lock_guard lock(mutex_);
    tail_.push_back(line);
    if (tail_.size() > 20) tail_.pop_front();
  }

  std::string name_;
  std::thread thread_;
  std::mutex mutex_;
  std::deque<std::string> tail_;
};

// Logs a LOG message and remembers a TRACE ERROR; returns true when it handled `m`.
bool HandleLogOrTrace(const Json& m, const std::string& name, std::optional<Status>& trace_error) {
  const std::string type = m.value("type", "");
  if (type == "LOG" && m.contains("log") && m["log"].is_object()) {
    const std::string level = m["log"].value("level", "INFO");
    LogLevel l = level == "ERROR" || level == "FATAL" ? LogLevel::kError
                 : level == "WARN"                    ? LogLevel::kWarn
                 : level == "DEBUG" || level == "TRACE" ? LogLevel::kDebug
                                                        : LogLevel::kInfo;
    Log(l, "[{}] {}", name, m["log"].value("message", ""));
    return true;
  }
  if (type == "TRACE" && m.contains("trace") && m["trace"].value("type", "") == "ERROR") {
    const Json& e = m["trace"].contains("error") ? m["trace"]["error"] : Json::object();
    const std::string message = e.value("message", "the connector reported an error");
    const std::string internal = e.value("internal_message", "");
    const std::string failure = e.value("failure_type", "system_error");
    if (!trace_error) {
      trace_error = failure == "config_error"      ? Status::ConfigError(message, internal)
                    : failure == "transient_error" ? Status::TransientError(message, internal)
                                                   : Status::SystemError(message, internal);
    }
    return true;
  }
  return type == "TRACE";
}

Status ExitStatus(int code, const std::optional<Status>& trace_error, const std::string& name, StderrPump& err) {
  if (trace_error) return *trace_error;
  if (code == 0) return Status::Ok();
  return Status::SystemError("connector '" + name + "' exited with code " + std::to_string(code), err.Tail());
}

// The protocol message on one line of a connector's stdout; nullopt for a blank line, for a line
// that is not JSON (logged as the connector's plain output) and for JSON that is not an object.
std::optional<Json> ParseMessageLine(std::string_view line, const std::string& name) {
  if (line.find_first_not_of(" \t\r") == std::string_view::npos) return std::nullopt;
  Json m;
  try {
    m = Json::parse(line);
  } catch (const std::exception&) {
    Log(LogLevel::kInfo, "[{}] {}", name, line);  // not a protocol message: plain output
    return std::nullopt;
  }
  if (!m.is_object()) return std::nullopt;
  return m;
}

// Reads the child's stdout to its end, calling `on_line` with each line (the last one may lack
// its line feed).
template <typename F>
void ForEachStdoutLine(Subprocess& proc, F&& on_line) {
  std::string buf;
  std::vector<char> chunk(65536);
  while (true) {
    auto n = proc.ReadStdout(chunk.data(), chunk.size());
    if (!n.ok() || *n == 0) break;
    buf.append(chunk.data(), *n);
    size_t nl;
    while ((nl = buf.find('\n')) != std::string::npos) {
      on_line(std::string_view(buf).substr(0, nl));
      buf.erase(0, nl + 1);
    }
  }
  on_line(buf);
}

// Runs `command verb args…` to completion and returns the messages it printed (no RECORDs).
struct CommandOutput {
  std::vector<Json> messages;
  Status status;
};

CommandOutput RunCommand(const std::vector<std::string>& command, const std::vector<std::string>& args) {
  CommandOutput out;
  std::vector<std::string> argv = command;
  argv.insert(argv.end(), args.begin(), args.end());
  const std::string name = CommandName(command);
  auto proc = Subprocess::Start(argv, false);
  if (!proc.ok()) {
    out.status = proc.status();
    return out;
  }
  StderrPump err((*proc)->stderr_fd(), name);
  std::optional<Status> trace_error;
  ForEachStdoutLine(**proc, [&](std::string_view line) {
    std::optional<Json> m = ParseMessageLine(line, name);
    if (m && !HandleLogOrTrace(*m, name, trace_error)) out.messages.push_back(std::move(*m));
  });
  const int code = (*proc)->Wait();
  err.Join();
  out.status = ExitStatus(code, trace_error, name, err);
  return out;
}

const Json* FindMessage(const CommandOutput& out, std::string_view type) {
  for (const auto& m : out.messages) {
    if (m.value("type", "") == type) return &m;
  }
  return nullptr;
}

// Private files for one protocol call, deleted when this goes away.
class TempFiles {
 public:
  Status Init() {
    auto dir = MakeTempDir("sluice-connector-");
    if (!dir.ok()) return dir.status();
    dir_ = *dir;
    return Status::Ok();
  }
  ~TempFiles() {
    if (!dir_.empty()) RemoveTreeIgnoringErrors(dir_);
  }
  Result<std::string> Write(const std::string& name, const Json& content) {
    const std::string path = dir_ + "/" + name;
    SLUICE_RETURN_IF_ERROR(WritePrivateFile(path, content.dump()));
    return path;
  }

 private:
  std::string dir_;
};

ConnectorSpec SpecOf(const std::vector<std::string>& command, Status& status) {
  CommandOutput out = RunCommand(command, {"spec"});
  status = out.status;
  if (!status.ok()) return {};
  const Json* m = FindMessage(out, "SPEC");
  if (!m || !m->contains("spec")) {
    status = Status::SystemError("connector '" + CommandName(command) + "' printed no SPEC message");
    return {};
  }
  return ConnectorSpec::FromJson((*m)["spec"]);
}

// Runs `command verb --config FILE` and returns the `field` of the first `type` message it printed.
Result<Json> RunWithConfig(const std::vector<std::string>& command, const std::string& verb, const Json& config,
                           std::string_view type, const char* field) {
  TempFiles files;
  SLUICE_RETURN_IF_ERROR(files.Init());
  SLUICE_ASSIGN_OR_RETURN(auto config_path, files.Write("config.json", config));
  CommandOutput out = RunCommand(command, {verb, "--config", config_path});
  SLUICE_RETURN_IF_ERROR(out.status);
  const Json* m = FindMessage(out, type);
  if (!m || !m->contains(field)) {
    return Status::SystemError("connector '" + CommandName(command) + "' printed no " + std::string(type) +
                               " message");
  }
  return (*m)[field];
}

// Spec() cannot fail: a connector that gives no spec is logged and gets the empty one.
ConnectorSpec SpecOrLog(const std::vector<std::string>& command) {
  Status st;
  ConnectorSpec spec = SpecOf(command, st);
  if (!st.ok()) Log(LogLevel::kError, "{}", st.ToString());
  return spec;
}

Status CheckWith(const std::vector<std::string>& command, const Json& config) {
  SLUICE_ASSIGN_OR_RETURN(Json status, RunWithConfig(command, "check", config, "CONNECTION_STATUS", "connectionStatus"));
  if (status.value("status", "") == "SUCCEEDED") return Status::Ok();
  return Status::ConfigError(status.value("message", "the connection check failed"));
}

class ExternalSource : public Source {
 public:
  explicit ExternalSource(std::vector<std::string> command) : command_(std::move(command)) {}

  ConnectorSpec Spec() const override { return SpecOrLog(command_); }

  Status Check(const Json& config) override { return CheckWith(command_, config); }

  Result<Catalog> Discover(const Json& config) override {
    SLUICE_ASSIGN_OR_RETURN(Json json, RunWithConfig(command_, "discover", config, "CATALOG", "catalog"));
    auto catalog = Catalog::FromJson(json);
    if (!catalog.ok()) return Status::SystemError("the connector's catalog is invalid: " + catalog.status().message());
    return catalog;
  }

  Status Read(const Json& config, const ConfiguredCatalog& catalog, const StateStore& state, Emitter& out) override {
    TempFiles files;
    SLUICE_RETURN_IF_ERROR(files.Init());
    SLUICE_ASSIGN_OR_RETURN(auto config_path, files.Write("config.json", config));
    SLUICE_ASSIGN_OR_RETURN(auto catalog_path, files.Write("catalog.json", catalog.ToJson()));
    std::vector<std::string> argv = command_;
    argv.insert(argv.end(), {"read", "--config", config_path, "--catalog", catalog_path});
    if (!state.empty()) {
      SLUICE_ASSIGN_OR_RETURN(auto state_path, files.Write("state.json", state.ToJson()));
      argv.insert(argv.end(), {"--state", state_path});
    }
    const std::string name = CommandName(command_);
    SLUICE_ASSIGN_OR_RETURN(auto proc, Subprocess::Start(argv, false));
    StderrPump err(proc->stderr_fd(), name);

    struct Handler : MessageHandler {
      Emitter& out;
      const ConfiguredCatalog& catalog;
      const std::string& name;
      std::optional<Status> trace_error;
      Handler(Emitter& o, const ConfiguredCatalog& c, const std::string& n) : out(o), catalog(c), name(n) {}
      Status OnBatch(RecordBatch batch) override { return out.Emit(std::move(batch)); }
      Status OnState(StateMessage state) override { return out.EmitState(std::move(state)); }
      Status OnOtherMessage(const Json& m) override {
        if (auto config = ConnectorConfigOfControl(m)) return out.EmitConnectorConfig(*config);
        if (m.value("type", "") == "TRACE" && m["trace"].value("type", "") == "STREAM_STATUS") {
          const Json& ss = m["trace"]["stream_status"];
          auto d = StreamDescriptor::FromJson(ss["stream_descriptor"], "stream_status");
          const std::string status = ss.value("status", "");
          if (d.ok()) {
            const int i = catalog.Find(*d);
            if (i >= 0 && (status == "STARTED" || status == "RUNNING" || status == "COMPLETE" || status == "INCOMPLETE")) {
              const StreamStatus s = status == "STARTED"    ? StreamStatus::kStarted
                                     : status == "RUNNING"  ? StreamStatus::kRunning
                                     : status == "COMPLETE" ? StreamStatus::kComplete
                                                            : StreamStatus::kIncomplete;
              return out.EmitStreamStatus(static_cast<uint32_t>(i), s);
            }
          }
          return Status::Ok();
        }
        HandleLogOrTrace(m, name, trace_error);
        return Status::Ok();
      }
    } handler(out, catalog, name);

    ProtocolReader reader(catalog, handler);
    std::vector<char> chunk(1 << 20);
    Status status;
    while (status.ok()) {
      auto n = proc->ReadStdout(chunk.data(), chunk.size());
      if (!n.ok()) {
        status = n.status();
        break;
      }
      if (*n == 0) {
        status = reader.Finish();
        break;
      }
      status = reader.Feed(std::string_view(chunk.data(), *n));
    }
    if (!status.ok()) {
      proc->Signal(SIGTERM);
      proc->Wait();
      err.Join();
      if (status.cancelled()) return status;
      if (handler.trace_error) return *handler.trace_error;
      return status.WithContext("connector '" + name + "' output");
    }
    const int code = proc->Wait();
    err.Join();
    return ExitStatus(code, handler.trace_error, name, err);
  }

 private:
  std::vector<std::string> command_;
};

class ExternalDestination;

class ExternalWriter : public StreamWriter {
 public:
  ExternalWriter(ExternalDestination& dest, StreamDescriptor descriptor) : dest_(dest), descriptor_(std::move(descriptor)) {}
  Status Write(const RecordBatch& batch) override;
  Status Flush() override { return Status::Ok(); }  // durability comes with the STATE echo
  Status Finish(StreamOutcome) override { return Status::Ok(); }

 private:
  ExternalDestination& dest_;
  StreamDescriptor descriptor_;
  PodBuffer buffer_;  // the batch's RECORD lines (grown without zero-filling)
};

class ExternalDestination : public Destination {
 public:
  explicit ExternalDestination(std::vector<std::string> command)
      : command_(std::move(command)), name_(CommandName(command_)) {}
  ~ExternalDestination() override { (void)Stop(false); }

  ConnectorSpec Spec() const override { return SpecOrLog(command_); }

  Status Check(const Json& config) override { return CheckWith(command_, config); }

  Status Begin(const Json& config, const ConfiguredCatalog& catalog) override {
    catalog_ = &catalog;
    SLUICE_RETURN_IF_ERROR(files_.Init());
    SLUICE_ASSIGN_OR_RETURN(auto config_path, files_.Write("config.json", config));
    SLUICE_ASSIGN_OR_RETURN(auto catalog_path, files_.Write("catalog.json", catalog.ToJson()));
    std::vector<std::string> argv = command_;
    argv.insert(argv.end(), {"write", "--config", config_path, "--catalog", catalog_path});
    SLUICE_ASSIGN_OR_RETURN(proc_, Subprocess::Start(argv, true));
    err_ = std::make_unique<StderrPump>(proc_->stderr_fd(), name_);
    reader_ = std::thread([this] { ReadOutput(); });
    return Status::Ok();
  }

  Result<std::unique_ptr<StreamWriter>> Open(uint32_t stream) override {
    return std::unique_ptr<StreamWriter>(
        std::make_unique<ExternalWriter>(*this, catalog_->streams[stream].descriptor()));
  }

  Status Send(std::string_view lines) {
    Status st = proc_->WriteStdin(lines);
    if (!st.ok()) {
      std::lock_guard lock(mutex_);
      if (trace_error_) return *trace_error_;
    }
    return st;
  }

  Status Commit(StateMessage& state) override {
    size_t want;
    {
      std::lock_guard lock(mutex_);
      want = echoed_ + 1;
    }
    SLUICE_RETURN_IF_ERROR(Send(SerializeMessage(StateMessageJson(state)) + "\n"));
    std::unique_lock lock(mutex_);
    cv_.wait(lock, [&] { return echoed_ >= want || output_done_; });
    if (echoed_ < want) {
      if (trace_error_) return *trace_error_;
      return Status::SystemError("connector '" + name_ + "' stopped before confirming a checkpoint");
    }
    if (last_echo_ && last_echo_->destination_record_count) {
      state.destination_record_count = last_echo_->destination_record_count;
    }
    return Status::Ok();
  }

  Status End(bool success) override { return Stop(success); }

 private:
  Status Stop(bool success) {
    if (!proc_) return Status::Ok();
    if (!success) proc_->Signal(SIGTERM);  // never let a failed run look complete downstream
    proc_->CloseStdin();
    if (reader_.joinable()) reader_.join();
    const int code = proc_->Wait();
    err_->Join();
    Status st;
    {
      std::lock_guard lock(mutex_);
      st = success ? ExitStatus(code, trace_error_, name_, *err_) : Status::Ok();
    }
    proc_.reset();
    return st;
  }

  void ReadOutput() {
    ForEachStdoutLine(*proc_, [&](std::string_view line) {
      std::optional<Json> m = ParseMessageLine(line, name_);
      if (!m) return;
      if (m->value("type", "") == "STATE" && m->contains("state")) {
        auto s = StateMessage::FromJson((*m)["state"], "destination state");
        std::lock_guard lock(mutex_);
        if (s.ok()) last_echo_ = std::move(s).value();
        ++echoed_;
        cv_.notify_all();
        return;
      }
      std::optional<Status> trace;
      HandleLogOrTrace(*m, name_, trace);
      if (trace) {
        std::lock_guard lock(mutex_);
        if (!trace_error_) trace_error_ = trace;
      }
    });
    std::lock_guard lock(mutex_);
    output_done_ = true;
    cv_.notify_all();
  }

  std::vector<std::string> command_;
  std::string name_;
  const ConfiguredCatalog* catalog_ = nullptr;
  TempFiles files_;
  std::unique_ptr<Subprocess> proc_;
  std::unique_ptr<StderrPump> err_;
  std::thread reader_;
  std::mutex mutex_;
  std::condition_variable cv_;
  size_t echoed_ = 0;
  bool output_done_ = false;
  std::optional<StateMessage> last_echo_;
  std::optional<Status> trace_error_;
};

Status ExternalWriter::Write(const RecordBatch& batch) {
  buffer_.Clear();
  AppendRecordMessages(buffer_, batch, descriptor_);
  return dest_.Send(std::string_view(reinterpret_cast<const char*>(buffer_.data()), buffer_.size()));
}

}  // namespace

std::unique_ptr<Source> MakeExternalSource(std::vector<std::string> command) {
  return std::make_unique<ExternalSource>(std::move(command));
}

std::unique_ptr<Destination> MakeExternalDestination(std::vector<std::string> command) {
  return std::make_unique<ExternalDestination>(std::move(command));
}

}  // namespace sluice
