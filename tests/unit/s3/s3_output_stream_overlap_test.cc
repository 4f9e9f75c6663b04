// S3OutputStream as a background uploader: the writer keeps producing while parts upload, and
// that overlap must not change what ends up in S3 — parts finishing out of order are completed
// in order, the number of parts in flight (and so memory) is bounded, and a part that fails while
// the writer goes on is reported by the writer's next call, with the upload aborted.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "fake_s3.h"
#include "s3/s3_output_stream.h"

namespace sluice {
namespace {

using testing::FakeS3;

constexpr size_t kPart = 5 << 20;

class S3UploaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    client_ = testing::MakeFakeClient(fake_, 2);
  }

  static std::string Pattern(size_t n, int seed = 0) {
    std::string s(n, '\0');
    for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (i * 7 + i / 13 + seed) % 26);
    return s;
  }

  static bool IsPart(const std::string& method, const std::map<std::string, std::string>& q) {
    return method == "PUT" && q.count("partNumber") != 0;
  }

  std::shared_ptr<FakeS3> fake_ = std::make_shared<FakeS3>();
  std::shared_ptr<S3Client> client_;
};

// A gate the fake's part uploads wait at until the test opens it.
class Gate {
 public:
  void Wait() {
    std::unique_lock<std::mutex> lock(mu_);
    ++waiting_;
    cv_.notify_all();
    cv_.wait(lock, [&] { return open_; });
    --waiting_;
  }
  //! Blocks until `n` callers wait at the gate.
  void AwaitWaiting(int n) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return waiting_ >= n; });
  }
  void Open() {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int waiting_ = 0;
  bool open_ = false;
};

TEST_F(S3UploaderTest, PartsFinishingOutOfOrderAreCompletedInOrder) {
  // Part 1 is held back until parts 2 and 3 have been stored: they finish first.
  std::atomic<int> stored{0};
  Gate gate;
  fake_->inject = [&](const std::string& method, const std::string&, const std::map<std::string, std::string>& q,
                      HttpResponse&) {
    if (IsPart(method, q)) {
      if (q.at("partNumber") == "1") {
        gate.Wait();
      } else {
        ++stored;
      }
    }
    return Status::Ok();
  };
  std::thread opener([&] {
    while (stored.load() < 2) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    gate.Open();
  });
  const std::string data = Pattern(kPart * 3 + 777);
  {
    S3OutputStream out(client_, "bkt", "order.bin", {.part_bytes = kPart, .max_parallel_parts = 3});
    for (size_t at = 0; at < data.size(); at += 100'000) {
      ASSERT_TRUE(out.Write(std::string_view(data).substr(at, 100'000)).ok());
    }
    ASSERT_TRUE(out.Close().ok());
    EXPECT_EQ(out.parts_uploaded(), 4);
  }
  opener.join();
  EXPECT_EQ(fake_->completes, 1);
  ASSERT_EQ(fake_->objects.count("order.bin"), 1u);
  EXPECT_TRUE(fake_->objects["order.bin"] == data) << "the object is the bytes written, in order";
}

TEST_F(S3UploaderTest, WriterBlocksWhileMaxPartsAreInFlight) {
  Gate gate;
  fake_->inject = [&](const std::string& method, const std::string&, const std::map<std::string, std::string>& q,
                      HttpResponse&) {
    if (IsPart(method, q)) gate.Wait();
    return Status::Ok();
  };
  S3OutputStream out(client_, "bkt", "bounded.bin", {.part_bytes = kPart, .max_parallel_parts = 2});
  const std::string chunk = Pattern(1 << 20);
  constexpr int kChunks = 8 * 5;  // 8 parts
  std::atomic<int> accepted{0};
  Status written;
  std::thread writer([&] {
    for (int i = 0; i < kChunks && written.ok(); ++i) {
      written = out.Write(chunk);
      if (written.ok()) ++accepted;
    }
  });
  // Parts 1 and 2 are stuck in flight; part 3 fills the buffer and its Write must wait.
  gate.AwaitWaiting(2);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_LE(accepted.load(), 3 * 5 - 1) << "the writer got ahead of the uploads by more than one part";
  EXPECT_EQ(fake_->max_concurrent(), 2);
  gate.Open();
  writer.join();
  ASSERT_TRUE(written.ok()) << written.message();
  EXPECT_EQ(accepted.load(), kChunks);
  ASSERT_TRUE(out.Close().ok());
  EXPECT_LE(fake_->max_concurrent(), 2) << "never more than max_parallel_parts uploads at once";
  EXPECT_EQ(fake_->objects["bounded.bin"].size(), chunk.size() * kChunks);
}

TEST_F(S3UploaderTest, APartFailingWhileTheWriterGoesOnIsReportedByItsNextPart) {
  // Part 1 fails (both attempts) while the writer is still writing.
  std::atomic<int> part1_attempts{0};
  fake_->inject = [&](const std::string& method, const std::string&, const std::map<std::string, std::string>& q,
                      HttpResponse&) {
    if (IsPart(method, q)) {
      if (q.at("partNumber") == "1") {
        ++part1_attempts;
        return Status::TransientError("Connection reset by peer");
      }
    }
    return Status::Ok();
  };
  S3OutputStream out(client_, "bkt", "a/failed.parquet", {.part_bytes = kPart, .max_parallel_parts = 8});
  const std::string chunk = Pattern(1 << 20);
  Status st;
  int writes = 0;
  for (; writes < 200 && st.ok(); ++writes) {
    if (writes == 5) {  // part 1 has been handed off: let its failure land
      while (part1_attempts.load() < 2) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    st = out.Write(chunk);
  }
  ASSERT_FALSE(st.ok()) << "a Write reports the failed part, before Close";
  EXPECT_LE(writes, 3 * 5) << "noticed at the next full part, not at Close";
  EXPECT_EQ(st.failure_type(), FailureType::kTransient);
  EXPECT_NE(st.message().find("s3://bkt/a/failed.parquet"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("UploadPart 1"), std::string::npos) << st.message();
  EXPECT_EQ(fake_->aborts, 1);
  EXPECT_TRUE(fake_->uploads.empty()) << "the multipart upload was aborted";
  EXPECT_TRUE(fake_->objects.empty()) << "nothing became visible";
  EXPECT_EQ(fake_->completes, 0);
  EXPECT_FALSE(out.Close().ok()) << "Close after the failure returns it";
  EXPECT_TRUE(fake_->objects.empty());
}

TEST_F(S3UploaderTest, SubmitBufferedSendsABurstAsAPartOnlyWhenItIsAValidPart) {
  S3OutputStream out(client_, "bkt", "burst.bin", {.part_bytes = 16 << 20, .max_parallel_parts = 2});
  const std::string small = Pattern(kPart - 1, 1);
  ASSERT_TRUE(out.Write(small).ok());
  ASSERT_TRUE(out.SubmitBuffered().ok());
  EXPECT_TRUE(fake_->uploads.empty()) << "under 5 MiB: nothing is sent";
  const std::string more = Pattern(kPart, 2);
  ASSERT_TRUE(out.Write(more).ok());
  ASSERT_TRUE(out.SubmitBuffered().ok());
  EXPECT_EQ(fake_->uploads.size(), 1u) << "a valid part is on its way before the part size is reached";
  const std::string tail = Pattern(1000, 3);
  ASSERT_TRUE(out.Write(tail).ok());
  ASSERT_TRUE(out.Close().ok());
  EXPECT_EQ(out.parts_uploaded(), 2);
  EXPECT_TRUE(fake_->objects["burst.bin"] == small + more + tail);
}

TEST_F(S3UploaderTest, AFailedCompleteLeavesNoObject) {
  fake_->inject = [](const std::string& method, const std::string&, const std::map<std::string, std::string>& q,
                     HttpResponse& response) {
    if (method == "POST" && q.count("uploadId")) {
      response.status = 400;
      response.body = "<Error><Code>InvalidPart</Code><Message>no</Message></Error>";
    }
    return Status::Ok();
  };
  S3OutputStream out(client_, "bkt", "c.bin", {.part_bytes = kPart, .max_parallel_parts = 2});
  ASSERT_TRUE(out.Write(Pattern(kPart * 2 + 10)).ok());
  Status st = out.Close();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("s3://bkt/c.bin"), std::string::npos) << st.message();
  EXPECT_EQ(fake_->aborts, 1);
  EXPECT_TRUE(fake_->uploads.empty());
  EXPECT_TRUE(fake_->objects.empty());
}

}  // namespace
}  // namespace sluice
