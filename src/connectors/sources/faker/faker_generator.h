#pragma once
// The deterministic record generator behind source-faker.
//
// Every value is a pure function of (seed, stream, id, field): a row is generated on its own from
// a counter-based hash (splitmix64's mixer), so the same seed and count always give the same data,
// any record can be produced without producing the ones before it, and selecting fewer fields
// does not change the others. Timestamps grow strictly with the id inside a stream, so the
// `updated_at` cursor is unique per record and maps back to the id (FirstSlotAfter).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/record_batch.h"
#include "protocol/types.h"

namespace sluice::faker {

enum class StreamKind : uint8_t { kUsers, kProducts, kPurchases };
inline constexpr StreamKind kAllStreams[] = {StreamKind::kUsers, StreamKind::kProducts, StreamKind::kPurchases};

//! "users", "products", "purchases".
std::string_view StreamName(StreamKind kind);
std::optional<StreamKind> FindStream(std::string_view name);
//! The stream's full schema, as Discover reports it.
SchemaPtr NativeSchema(StreamKind kind);

//! The products stream is a fixed list, whatever the user count.
inline constexpr int64_t kProductCount = 100;
//! A user makes at most this many purchases (0..3, about 1.3 on average).
inline constexpr int kMaxPurchasesPerUser = 3;

//! Identifies one record. Users and products use only `id`; a purchase is also the `index`-th
//! (0-based) purchase of `user_id`.
struct RowKey {
  int64_t id = 0;
  int64_t user_id = 0;
  int index = 0;
};

//! The pure functions of the seed. Cheap to copy.
class Generator {
 public:
  explicit Generator(int64_t seed);

  //! The hash every field of one record is derived from.
  uint64_t RowHash(StreamKind kind, int64_t id) const;
  //! How many purchases user `user_id` made: 0..kMaxPurchasesPerUser.
  int PurchaseCount(int64_t user_id) const;
  //! µs since the epoch; strictly increasing with the id inside a stream.
  int64_t CreatedAt(StreamKind kind, const RowKey& key) const;
  //! The deterministic cursor: > CreatedAt, strictly increasing with the id inside a stream.
  int64_t UpdatedAt(StreamKind kind, const RowKey& key) const;

 private:
  uint64_t stream_salt_[3];
  uint64_t purchase_count_salt_;
};

//! The smallest slot (users, products: the id; purchases: the user id) that can hold a record
//! with a deterministic UpdatedAt greater than `cursor`; at least 1.
int64_t FirstSlotAfter(StreamKind kind, int64_t cursor);

//! Appends rows of one stream to batches of an output schema that may be a subset of the native
//! one, reordered, or declare other types: known fields are converted when the types differ
//! (or written as null when no conversion makes sense); unknown fields are left null.
//! Allocates nothing per row once its scratch buffer has grown.
class RowWriter {
 public:
  RowWriter(StreamKind kind, const Generator& generator, const Schema& schema);

  //! Appends the record `key` with cursor `updated_at` as one finished row of `batch`.
  //! REQUIRES: batch.schema() is the schema given to the constructor.
  void Write(const RowKey& key, int64_t updated_at, RecordBatch& batch);

  enum class FieldId : uint8_t;

 private:
  struct Slot {
    FieldId field;
    bool native;  //!< the column's type is the one faker generates: append directly
    uint32_t column;
  };

  void WriteUser(const RowKey& key, int64_t updated_at, RecordBatch& batch);
  void WriteProduct(const RowKey& key, int64_t updated_at, RecordBatch& batch);
  void WritePurchase(const RowKey& key, int64_t updated_at, RecordBatch& batch);

  // Appenders taking the slow conversion path when the slot is not native.
  void PutInt(Column& column, const Slot& slot, int64_t value);
  void PutDouble(Column& column, const Slot& slot, double value);
  void PutTimestamp(Column& column, const Slot& slot, int64_t micros);
  void PutString(Column& column, const Slot& slot, std::string_view value);
  //! Writes a text value built by `build(std::string&)`: in place when native, else via scratch.
  template <typename Build>
  void PutBuilt(Column& column, const Slot& slot, TypeId native_type, Build&& build);

  StreamKind kind_;
  Generator generator_;
  std::vector<Slot> slots_;
  std::string scratch_;
};

}  // namespace sluice::faker
