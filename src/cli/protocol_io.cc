#include "cli/protocol_io.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <vector>

#include "base/file_util.h"
#include "base/log.h"
#include "protocol/codec.h"

namespace sluice {

namespace {

std::mutex& StdoutMutex() {
  static std::mutex m;
  return m;
}

// A closed stdout leaves nothing sensible to do, so errors are dropped.
void WriteFd1(std::string_view data) { (void)WriteAll(1, data); }

class InputSource : public Source {
 public:
  explicit InputSource(int fd) : fd_(fd) {}
  ConnectorSpec Spec() const override { return {}; }
  Status Check(const Json&) override { return Status::Ok(); }
  Result<Catalog> Discover(const Json&) override { return Status::SystemError("not a discoverable source"); }

  Status Read(const Json&, const ConfiguredCatalog& catalog, const StateStore&, Emitter& out) override {
    struct Handler : MessageHandler {
      Emitter& out;
      explicit Handler(Emitter& o) : out(o) {}
      Status OnBatch(RecordBatch batch) override { return out.Emit(std::move(batch)); }
      Status OnState(StateMessage state) override { return out.EmitState(std::move(state)); }
    } handler(out);
    ProtocolReader reader(catalog, handler);
    std::vector<char> buf(1 << 20);
    while (true) {
      const ssize_t n = read(fd_, buf.data(), buf.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        return Status::SystemError(std::string("reading standard input: ") + std::strerror(errno));
      }
      if (n == 0) break;
      SLUICE_RETURN_IF_ERROR(reader.Feed(std::string_view(buf.data(), static_cast<size_t>(n))).WithContext("input"));
    }
    return reader.Finish().WithContext("input");
  }

 private:
  int fd_;
};

// Records are buffered per stream in the destination, so a stream status can be printed after
// every record before it.

std::string_view View(const PodBuffer& b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

class OutputWriter : public StreamWriter {
 public:
  OutputWriter(StreamDescriptor d, PodBuffer& buffer) : descriptor_(std::move(d)), buffer_(buffer) {}
  Status Write(const RecordBatch& batch) override {
    AppendRecordMessages(buffer_, batch, descriptor_);
    if (buffer_.size() > (1 << 20)) return Flush();
    return Status::Ok();
  }
  Status Flush() override {
    WriteStdout(View(buffer_));
    buffer_.Clear();
    return Status::Ok();
  }
  Status Finish(StreamOutcome) override { return Flush(); }

 private:
  StreamDescriptor descriptor_;
  PodBuffer& buffer_;  // RECORD lines: a PodBuffer grows without zero-filling
};

class OutputDestination : public ProtocolOutputDestination {
 public:
  ConnectorSpec Spec() const override { return {}; }
  Status Check(const Json&) override { return Status::Ok(); }
  Status Begin(const Json&, const ConfiguredCatalog& catalog) override {
    catalog_ = &catalog;
    buffers_.assign(catalog.streams.size(), PodBuffer());
    return Status::Ok();
  }
  Result<std::unique_ptr<StreamWriter>> Open(uint32_t stream) override {
    return std::unique_ptr<StreamWriter>(
        std::make_unique<OutputWriter>(catalog_->streams[stream].descriptor(), buffers_[stream]));
  }
  Status Commit(StateMessage& state) override {
    WriteStdout(SerializeMessage(StateMessageJson(state)) + "\n");
    return Status::Ok();
  }
  void PrintStreamStatus(uint32_t stream, StreamStatus status) override {
    if (catalog_ == nullptr || stream >= buffers_.size()) return;
    PodBuffer& out = buffers_[stream];
    const std::string line =
        SerializeMessage(StreamStatusMessage(catalog_->streams[stream].descriptor(), StreamStatusName(status))) + "\n";
    out.Append(line.data(), line.size());
    WriteStdout(View(out));
    out.Clear();
  }

 private:
  const ConfiguredCatalog* catalog_ = nullptr;
  std::vector<PodBuffer> buffers_;
};

}  // namespace

void WriteStdout(std::string_view data) {
  std::lock_guard lock(StdoutMutex());
  WriteFd1(data);
}

void LogToStdoutAsProtocol() {
  SetLogSink([](LogLevel level, std::string_view message) {
    // Called under the log mutex; take the stdout lock inside it (never the other way round).
    std::lock_guard lock(StdoutMutex());
    WriteFd1(SerializeMessage(LogMessageJson(level, message)) + "\n");
  });
}

std::unique_ptr<Source> MakeProtocolInputSource(int fd) { return std::make_unique<InputSource>(fd); }
std::unique_ptr<ProtocolOutputDestination> MakeProtocolOutputDestination() { return std::make_unique<OutputDestination>(); }

}  // namespace sluice
