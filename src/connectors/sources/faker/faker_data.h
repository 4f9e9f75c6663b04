#pragma once
// The static word lists source-faker draws its values from. Every entry is plain ASCII with no
// character that JSON escapes, so values can be copied into JSON text without escaping. Names
// are capitalised with only their first letter upper-case (emails lower-case that one letter).

#include <cstdint>
#include <span>
#include <string_view>

namespace sluice::faker {

//! A word stored in a fixed, zero-padded buffer, so writers may copy all kWordCapacity bytes
//! with one fixed-size move (no length-dependent memcpy call) and then advance by size().
class Word {
 public:
  static constexpr size_t kCapacity = 32;
  //! Fails to compile (in a constexpr table) when `text` does not fit.
  constexpr Word(const char* text) {  // NOLINT: implicit, so tables read as string lists
    while (text[size_] != '\0') {
      if (size_ + 1 >= kCapacity) throw "faker word longer than Word::kCapacity - 1";
      bytes_[size_] = text[size_];
      ++size_;
    }
  }
  constexpr const char* padded() const { return bytes_; }  //!< kCapacity readable bytes
  constexpr size_t size() const { return size_; }
  constexpr std::string_view view() const { return {bytes_, size_}; }

 private:
  char bytes_[kCapacity] = {};
  uint32_t size_ = 0;
};

struct Location {
  Word city;
  Word state;         //!< "Oregon"
  Word province;      //!< ISO 3166-2 subdivision code: "US-OR"
  Word country_code;  //!< ISO 3166-1 alpha-2: "US"
};

struct CarModel {
  Word make;
  Word model;
  int first_year;  //!< the model was built from this year ...
  int last_year;   //!< ... to this one (inclusive)
  int base_price;  //!< a typical price in USD, before per-product variation
};

extern const std::span<const Word> kFirstNames;
extern const std::span<const Word> kLastNames;
extern const std::span<const Word> kTitles;
extern const std::span<const Word> kGenders;
extern const std::span<const Word> kLanguages;
extern const std::span<const Word> kAcademicDegrees;
extern const std::span<const Word> kNationalities;
extern const std::span<const Word> kOccupations;
extern const std::span<const Word> kBloodTypes;
extern const std::span<const Word> kStreetNames;
extern const std::span<const Word> kStreetSuffixes;
extern const std::span<const Word> kEmailDomains;
extern const std::span<const Word> kTags;
extern const std::span<const Location> kLocations;
extern const std::span<const CarModel> kCarModels;

}  // namespace sluice::faker
