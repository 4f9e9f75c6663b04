#pragma once
// source-mongodb-v2: MongoDB collections through libmongoc — discovery by sampling, an initial
// snapshot by _id, then change streams (mongodb_reader.h). Registered as "source-mongodb-v2".

#include <memory>

#include "connectors/sdk/source.h"

namespace sluice {

std::unique_ptr<Source> MakeMongoSource();

}  // namespace sluice
