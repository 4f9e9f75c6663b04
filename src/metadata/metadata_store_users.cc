// MetadataStore: users, API keys, sessions. Password and token hashes are opaque here (the auth
// module makes them); tokens themselves are never stored.
#include <fmt/format.h>

#include <unordered_map>

#include "metadata/metadata_store.h"
#include "metadata/store_internal.h"

namespace sluice {

using store_internal::AllRows;
using store_internal::Execute;
using store_internal::FirstRow;

namespace {

// Emails are unique ignoring ASCII case; the key is computed here (not with SQL lower(), which
// differs between SQLite and PostgreSQL for non-ASCII letters).
std::string EmailKey(std::string_view email) {
  std::string key(email);
  for (char& c : key) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return key;
}

constexpr const char* kUserColumns =
    "id, email, name, role, password_hash, must_change_password, created_at, updated_at, all_workspaces";

User UserFromRow(const SqlRow& row) {
  User u;
  u.user_id = row.GetText(0);
  u.email = row.GetText(1);
  u.name = row.GetText(2);
  u.role = ParseUserRole(row.GetText(3)).value_or(UserRole::kViewer);
  u.password_hash = row.GetText(4);
  u.must_change_password = row.GetBool(5);
  u.created_at = row.GetInt(6);
  u.updated_at = row.GetInt(7);
  u.all_workspaces = row.GetBool(8);
  return u;
}

// The workspaces of user `user_id` (all users' when empty), oldest workspace first: (user, workspace).
constexpr const char* kMembershipSelect =
    "SELECT m.user_id, m.workspace_id FROM user_workspaces m JOIN workspaces w ON w.id = m.workspace_id{} "
    "ORDER BY w.created_at, w.id";

Result<std::optional<User>> OneUser(SqlDatabase& db, Result<SqlRows> rows) {
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return std::optional<User>();
  User u = UserFromRow((*rows)[0]);
  if (!u.all_workspaces) {
    SLUICE_ASSIGN_OR_RETURN(SqlRows members,
                            db.Query(fmt::format(kMembershipSelect, " WHERE m.user_id = ?"), {u.user_id}));
    for (const SqlRow& m : members) u.workspace_ids.push_back(m.GetText(1));
  }
  return std::optional<User>(std::move(u));
}

// Checks that `u` names existing workspaces (config error naming workspaceIds[i]) and writes its
// membership rows, replacing the user's old ones.
Status WriteMembership(SqlTransaction& tx, const User& u) {
  SLUICE_RETURN_IF_ERROR(Execute(tx, "DELETE FROM user_workspaces WHERE user_id = ?", {u.user_id}));
  if (u.all_workspaces) return Status::Ok();
  if (u.workspace_ids.empty()) {
    return Status::ConfigError("workspaceIds: must name at least one workspace (or give the user every workspace)");
  }
  for (size_t i = 0; i < u.workspace_ids.size(); ++i) {
    const std::string& ws = u.workspace_ids[i];
    SLUICE_ASSIGN_OR_RETURN(SqlRows found, tx.Query("SELECT 1 FROM workspaces WHERE id = ?", {ws}));
    if (found.empty()) return Status::ConfigError(fmt::format("workspaceIds[{}]: no workspace '{}'", i, ws));
    SLUICE_RETURN_IF_ERROR(Execute(tx,
                                   "INSERT INTO user_workspaces (user_id, workspace_id) VALUES (?, ?) "
                                   "ON CONFLICT (user_id, workspace_id) DO NOTHING",
                                   {u.user_id, ws}));
  }
  return Status::Ok();
}

constexpr const char* kApiKeyColumns = "id, user_id, name, token_hash, created_at, last_used_at";

ApiKey ApiKeyFromRow(const SqlRow& row) {
  return ApiKey{row.GetText(0), row.GetText(1), row.GetText(2), row.GetText(3), row.GetInt(4), row.GetOptionalInt(5)};
}

}  // namespace

Result<User> MetadataStore::CreateUser(User u, int64_t now) {
  if (u.email.empty()) return Status::ConfigError("email: must not be empty");
  u.user_id = NewUuid();
  u.created_at = u.updated_at = now;
  SLUICE_ASSIGN_OR_RETURN(auto tx, db_->Begin());
  SLUICE_ASSIGN_OR_RETURN(SqlRows taken, tx->Query("SELECT 1 FROM users WHERE email_key = ?", {EmailKey(u.email)}));
  if (!taken.empty()) return Status::ConfigError(fmt::format("email: a user with email '{}' exists", u.email));
  SLUICE_RETURN_IF_ERROR(
      Execute(*tx, fmt::format("INSERT INTO users ({}, email_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", kUserColumns),
              {u.user_id, u.email, u.name, UserRoleName(u.role), u.password_hash, u.must_change_password, now, now,
               u.all_workspaces, EmailKey(u.email)}));
  SLUICE_RETURN_IF_ERROR(WriteMembership(*tx, u));
  SLUICE_RETURN_IF_ERROR(tx->Commit());
  SLUICE_ASSIGN_OR_RETURN(auto stored, GetUser(u.user_id));  // the membership in workspace order
  if (!stored) return Status::TransientError(fmt::format("user {} vanished right after its creation", u.user_id));
  return *stored;
}

Result<std::optional<User>> MetadataStore::GetUser(const std::string& user_id) {
  return OneUser(*db_, db_->Query(fmt::format("SELECT {} FROM users WHERE id = ?", kUserColumns), {user_id}));
}

Result<std::optional<User>> MetadataStore::GetUserByEmail(const std::string& email) {
  return OneUser(*db_,
                 db_->Query(fmt::format("SELECT {} FROM users WHERE email_key = ?", kUserColumns), {EmailKey(email)}));
}

Result<std::vector<User>> MetadataStore::ListUsers() {
  SLUICE_ASSIGN_OR_RETURN(SqlRows rows,
                          db_->Query(fmt::format("SELECT {} FROM users ORDER BY created_at, email_key", kUserColumns)));
  std::vector<User> users = AllRows(rows, UserFromRow);
  std::unordered_map<std::string, size_t> by_id;
  for (size_t i = 0; i < users.size(); ++i) by_id[users[i].user_id] = i;
  SLUICE_ASSIGN_OR_RETURN(SqlRows members, db_->Query(fmt::format(kMembershipSelect, "")));
  for (const SqlRow& m : members) {
    auto it = by_id.find(m.GetText(0));
    if (it != by_id.end() && !users[it->second].all_workspaces) users[it->second].workspace_ids.push_back(m.GetText(1));
  }
  return users;
}

Result<std::optional<User>> MetadataStore::UpdateUser(const User& u, int64_t now) {
  if (u.email.empty()) return Status::ConfigError("email: must not be empty");
  {
    SLUICE_ASSIGN_OR_RETURN(auto tx, db_->Begin());
    SLUICE_ASSIGN_OR_RETURN(SqlRows taken, tx->Query("SELECT 1 FROM users WHERE email_key = ? AND id <> ?",
                                                     {EmailKey(u.email), u.user_id}));
    if (!taken.empty()) return Status::ConfigError(fmt::format("email: a user with email '{}' exists", u.email));
    SLUICE_ASSIGN_OR_RETURN(
        int64_t changed, tx->Exec("UPDATE users SET email = ?, email_key = ?, name = ?, role = ?, password_hash = ?, "
                                  "must_change_password = ?, all_workspaces = ?, updated_at = ? WHERE id = ?",
                                  {u.email, EmailKey(u.email), u.name, UserRoleName(u.role), u.password_hash,
                                   u.must_change_password, u.all_workspaces, now, u.user_id}));
    if (changed == 0) return std::optional<User>();
    SLUICE_RETURN_IF_ERROR(WriteMembership(*tx, u));
    SLUICE_RETURN_IF_ERROR(tx->Commit());
  }
  return GetUser(u.user_id);
}

Result<bool> MetadataStore::DeleteUser(const std::string& user_id) {
  SLUICE_ASSIGN_OR_RETURN(int64_t changed, db_->Exec("DELETE FROM users WHERE id = ?", {user_id}));
  return changed > 0;  // api_keys and sessions go with it (ON DELETE CASCADE)
}

Result<ApiKey> MetadataStore::CreateApiKey(const std::string& user_id, const std::string& name,
                                           const std::string& token_hash, int64_t now) {
  ApiKey key{NewUuid(), user_id, name, token_hash, now, std::nullopt};
  SLUICE_ASSIGN_OR_RETURN(auto tx, db_->Begin());
  SLUICE_ASSIGN_OR_RETURN(SqlRows user, tx->Query("SELECT 1 FROM users WHERE id = ?", {user_id}));
  if (user.empty()) return Status::ConfigError(fmt::format("userId: no user '{}'", user_id));
  SLUICE_RETURN_IF_ERROR(Execute(*tx,
                                 fmt::format("INSERT INTO api_keys ({}) VALUES (?, ?, ?, ?, ?, NULL)", kApiKeyColumns),
                                 {key.id, user_id, name, token_hash, now}));
  SLUICE_RETURN_IF_ERROR(tx->Commit());
  return key;
}

Result<std::optional<ApiKey>> MetadataStore::GetApiKeyByHash(const std::string& token_hash) {
  SLUICE_ASSIGN_OR_RETURN(
      SqlRows rows,
      db_->Query(fmt::format("SELECT {} FROM api_keys WHERE token_hash = ?", kApiKeyColumns), {token_hash}));
  return FirstRow(rows, ApiKeyFromRow);
}

Result<std::vector<ApiKey>> MetadataStore::ListApiKeys(const std::string& user_id) {
  SLUICE_ASSIGN_OR_RETURN(
      SqlRows rows,
      db_->Query(fmt::format("SELECT {} FROM api_keys WHERE user_id = ? ORDER BY created_at, id", kApiKeyColumns),
                 {user_id}));
  return AllRows(rows, ApiKeyFromRow);
}

Status MetadataStore::TouchApiKey(const std::string& id, int64_t now) {
  auto touched = db_->Exec("UPDATE api_keys SET last_used_at = ? WHERE id = ?", {now, id});
  return touched.ok() ? Status::Ok() : touched.status();
}

Result<bool> MetadataStore::DeleteApiKey(const std::string& id) {
  SLUICE_ASSIGN_OR_RETURN(int64_t changed, db_->Exec("DELETE FROM api_keys WHERE id = ?", {id}));
  return changed > 0;
}

Status MetadataStore::CreateSession(const Session& s) {
  auto inserted = db_->Exec("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
                            {s.token_hash, s.user_id, s.created_at, s.expires_at});
  return inserted.ok() ? Status::Ok() : inserted.status().WithContext("creating a session");
}

Result<std::optional<Session>> MetadataStore::GetSession(const std::string& token_hash, int64_t now) {
  SLUICE_ASSIGN_OR_RETURN(SqlRows rows, db_->Query("SELECT token_hash, user_id, created_at, expires_at FROM sessions "
                                                   "WHERE token_hash = ? AND expires_at > ?",
                                                   {token_hash, now}));
  if (rows.empty()) return std::optional<Session>();
  return std::optional<Session>(Session{rows[0].GetText(0), rows[0].GetText(1), rows[0].GetInt(2), rows[0].GetInt(3)});
}

Result<bool> MetadataStore::DeleteSession(const std::string& token_hash) {
  SLUICE_ASSIGN_OR_RETURN(int64_t changed, db_->Exec("DELETE FROM sessions WHERE token_hash = ?", {token_hash}));
  return changed > 0;
}

Result<int64_t> MetadataStore::DeleteExpiredSessions(int64_t now) {
  return db_->Exec("DELETE FROM sessions WHERE expires_at <= ?", {now});
}

Result<int64_t> MetadataStore::DeleteUserSessions(const std::string& user_id) {
  return db_->Exec("DELETE FROM sessions WHERE user_id = ?", {user_id});
}

}  // namespace sluice
