#include "connectors/sources/mongodb/mongodb_client.h"

#include <fmt/format.h>

#include <algorithm>
#include <mutex>

#include "base/log.h"

namespace sluice {

namespace {

//! The driver's own log lines go to sluice's log (its default handler prints to stderr).
void DriverLog(mongoc_log_level_t level, const char* domain, const char* message, void*) {
  const LogLevel l = level <= MONGOC_LOG_LEVEL_CRITICAL ? LogLevel::kError
                     : level == MONGOC_LOG_LEVEL_WARNING ? LogLevel::kWarn
                                                         : LogLevel::kDebug;
  if (level >= MONGOC_LOG_LEVEL_TRACE) return;
  Log(l, "libmongoc {}: {}", domain, message);
}

void InitDriverOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    mongoc_init();  // never cleaned up: the process owns it
    mongoc_log_set_handler(DriverLog, nullptr);
  });
}

bool IsAuthError(const bson_error_t& e) {
  if (e.domain == MONGOC_ERROR_CLIENT && e.code == MONGOC_ERROR_CLIENT_AUTHENTICATE) return true;
  if (e.domain == MONGOC_ERROR_SCRAM || e.domain == MONGOC_ERROR_SASL) return true;
  return e.domain == MONGOC_ERROR_SERVER && (e.code == 18 /* AuthenticationFailed */ || e.code == 11 /* UserNotFound */);
}

}  // namespace

BsonPtr BsonFromJson(std::string_view json) {
  bson_error_t error;
  bson_t* b = bson_new_from_json(reinterpret_cast<const uint8_t*>(json.data()), static_cast<ssize_t>(json.size()), &error);
  return BsonPtr(b);
}

Result<std::unique_ptr<MongoClient>> MongoClient::Connect(const MongoSourceConfig& config) {
  InitDriverOnce();
  bson_error_t error;
  mongoc_uri_t* uri = mongoc_uri_new_with_error(config.connection_string.c_str(), &error);
  if (uri == nullptr) {
    return Status::ConfigError(fmt::format("database_config.connection_string: not a valid MongoDB connection "
                                           "string ({})", error.message));
  }
  if (!config.username.empty()) {
    mongoc_uri_set_username(uri, config.username.c_str());
    mongoc_uri_set_password(uri, config.password.c_str());
    mongoc_uri_set_auth_source(uri, config.auth_source.c_str());
  }
  mongoc_uri_set_appname(uri, "sluice");
  std::unique_ptr<MongoClient> client(new MongoClient());
  client->client_ = mongoc_client_new_from_uri_with_error(uri, &error);
  mongoc_uri_destroy(uri);
  if (client->client_ == nullptr) {
    return Status::ConfigError(fmt::format("database_config.connection_string: {}", error.message));
  }
  mongoc_client_set_error_api(client->client_, MONGOC_ERROR_API_VERSION_2);
  client->database_ = config.database;
  BsonPtr ping = BsonFromJson(R"({"ping": 1})");
  SLUICE_RETURN_IF_ERROR(client->Command(ping.get(), "connecting (ping)").status());
  return client;
}

MongoClient::~MongoClient() {
  if (client_ != nullptr) mongoc_client_destroy(client_);
}

Result<BsonPtr> MongoClient::Command(const bson_t* cmd, std::string_view what, const std::string& db) {
  bson_t reply;  // always initialized by the driver
  bson_error_t error;
  const bool ok = mongoc_client_command_simple(client_, db.empty() ? database_.c_str() : db.c_str(), cmd, nullptr,
                                               &reply, &error);
  BsonPtr out(bson_copy(&reply));
  bson_destroy(&reply);
  if (!ok) return ErrorStatus(error, what);
  return out;
}

CollectionPtr MongoClient::Collection(const std::string& name) const {
  return CollectionPtr(mongoc_client_get_collection(client_, database_.c_str(), name.c_str()));
}

Result<std::vector<std::string>> MongoClient::ListCollections() {
  mongoc_database_t* db = mongoc_client_get_database(client_, database_.c_str());
  BsonPtr opts = BsonFromJson(R"({"filter": {"type": "collection"}, "nameOnly": true})");
  bson_error_t error;
  char** names = mongoc_database_get_collection_names_with_opts(db, opts.get(), &error);
  mongoc_database_destroy(db);
  if (names == nullptr) return ErrorStatus(error, fmt::format("listing the collections of database '{}'", database_));
  std::vector<std::string> out;
  for (char** n = names; *n != nullptr; ++n) {
    std::string name(*n);
    if (name.rfind("system.", 0) != 0) out.push_back(std::move(name));
  }
  bson_strfreev(names);
  std::sort(out.begin(), out.end());
  return out;
}

Status MongoClient::ErrorStatus(const bson_error_t& e, std::string_view what) const {
  const std::string message = fmt::format("MongoDB: {}: {} (domain {}, code {})", what, e.message, e.domain, e.code);
  if (IsAuthError(e)) {
    return Status::ConfigError(fmt::format("MongoDB: {}: authentication failed ({}): check database_config.username, "
                                           "password and auth_source",
                                           what, e.message));
  }
  if (e.domain == MONGOC_ERROR_SERVER && (e.code == 13 /* Unauthorized */)) {
    return Status::ConfigError(fmt::format("MongoDB: {}: not authorized ({}): the user needs the read role on "
                                           "database '{}' (and changeStream/find on its collections)",
                                           what, e.message, database_));
  }
  if (e.domain == MONGOC_ERROR_SERVER_SELECTION || e.domain == MONGOC_ERROR_STREAM ||
      (e.domain == MONGOC_ERROR_CLIENT && e.code == MONGOC_ERROR_CLIENT_NOT_READY)) {
    return Status::TransientError(message);
  }
  if (e.domain == MONGOC_ERROR_COMMAND && e.code == MONGOC_ERROR_COMMAND_INVALID_ARG) {
    return Status::ConfigError(message);
  }
  if (e.domain == MONGOC_ERROR_SERVER) {
    // Interrupted / shutting down / not primary: the server's transient conditions.
    switch (e.code) {
      case 6: case 7: case 89: case 91: case 189: case 262: case 9001: case 10107: case 11600: case 11602:
      case 13435: case 13436:
        return Status::TransientError(message);
      default:
        return Status::SystemError(message);
    }
  }
  return Status::TransientError(message);
}

}  // namespace sluice
