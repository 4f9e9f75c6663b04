#include "security/connector_secrets.h"

#include <algorithm>
#include <optional>

#include <fmt/format.h>

namespace sluice {

namespace {

// The JSON pointer for a path written by JsonPathKey/JsonPathIndex ("$.a['b c'][2]"), or
// nullopt for a path that is not in that grammar.
std::optional<Json::json_pointer> PointerFromPath(std::string_view path) {
  if (!path.starts_with('$')) return std::nullopt;
  Json::json_pointer pointer;
  size_t i = 1;
  while (i < path.size()) {
    if (path[i] == '.') {
      size_t j = i + 1;
      while (j < path.size() && path[j] != '.' && path[j] != '[') ++j;
      if (j == i + 1) return std::nullopt;
      pointer /= std::string(path.substr(i + 1, j - i - 1));
      i = j;
    } else if (path.substr(i).starts_with("['")) {
      std::string key;
      size_t j = i + 2;
      for (; j < path.size() && path[j] != '\''; ++j) {
        if (path[j] == '\\' && j + 1 < path.size()) ++j;
        key += path[j];
      }
      if (!path.substr(j).starts_with("']")) return std::nullopt;
      pointer /= key;
      i = j + 2;
    } else if (path[i] == '[') {
      const size_t close = path.find(']', i);
      if (close == std::string_view::npos || close == i + 1) return std::nullopt;
      size_t index = 0;
      for (size_t k = i + 1; k < close; ++k) {
        if (path[k] < '0' || path[k] > '9') return std::nullopt;
        index = index * 10 + static_cast<size_t>(path[k] - '0');
      }
      pointer /= index;
      i = close + 1;
    } else {
      return std::nullopt;
    }
  }
  return pointer;
}

const Json* Find(const Json& root, const Json::json_pointer& pointer) {
  // contains() answers false (not throw) for a path through a missing key or a non-container.
  if (!root.contains(pointer)) return nullptr;
  return &root.at(pointer);
}

void CollectLeaves(const Json& value, std::vector<std::string>& out) {
  if (value.is_string()) {
    out.push_back(value.get<std::string>());
  } else if (value.is_structured()) {
    for (const auto& item : value) CollectLeaves(item, out);
  } else if (value.is_number()) {
    out.push_back(value.dump());
  }  // null and booleans: nothing worth hiding, and "true" is in every log
}

}  // namespace

std::string EncryptConfig(const SecretBox& box, const Json& config) { return box.Encrypt(config.dump()); }

Result<Json> DecryptConfig(const SecretBox& box, std::string_view text) {
  SLUICE_ASSIGN_OR_RETURN(std::string plaintext, box.Decrypt(text));
  Json config = Json::parse(plaintext, /*cb=*/nullptr, /*allow_exceptions=*/false);
  if (config.is_discarded()) return Status::SystemError("a stored config decrypted to something that is not JSON");
  return config;
}

Result<Json> MergeSecrets(const Json& spec, const Json& old_config, const Json& new_config) {
  Json merged = new_config;
  for (const std::string& path : SecretPaths(spec, new_config)) {
    const std::optional<Json::json_pointer> pointer = PointerFromPath(path);
    if (!pointer) return Status::SystemError(fmt::format("cannot follow the secret path {}", path));
    Json& value = merged.at(*pointer);
    if (!value.is_string() || value.get<std::string>() != kSecretMask) continue;
    const Json* old_value = Find(old_config, *pointer);
    if (old_value == nullptr || (old_value->is_string() && old_value->get<std::string>() == kSecretMask)) {
      return Status::ConfigError(
          fmt::format("{}: is masked ({}) but there is no stored secret to keep; enter its value", path, kSecretMask));
    }
    value = *old_value;
  }
  return merged;
}

std::vector<std::string> CollectSecretValues(const Json& spec, const Json& config) {
  std::vector<std::string> leaves;
  for (const std::string& path : SecretPaths(spec, config)) {
    const std::optional<Json::json_pointer> pointer = PointerFromPath(path);
    const Json* value = pointer ? Find(config, *pointer) : nullptr;
    if (value != nullptr) CollectLeaves(*value, leaves);
  }
  std::vector<std::string> out;
  for (const std::string& leaf : leaves) {
    if (leaf.empty() || leaf == kSecretMask) continue;
    out.push_back(leaf);
    const std::string quoted = Json(leaf).dump();  // as it appears inside JSON text
    std::string escaped = quoted.substr(1, quoted.size() - 2);
    if (escaped != leaf) out.push_back(std::move(escaped));
  }
  std::sort(out.begin(), out.end(), [](const std::string& a, const std::string& b) {
    return a.size() != b.size() ? a.size() > b.size() : a < b;
  });
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

SecretRedactor::SecretRedactor(std::vector<std::string> secrets) : secrets_(std::move(secrets)) {
  std::erase_if(secrets_, [](const std::string& s) { return s.empty(); });
  std::sort(secrets_.begin(), secrets_.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
}

SecretRedactor SecretRedactor::ForConfig(const Json& spec, const Json& config) {
  return SecretRedactor(CollectSecretValues(spec, config));
}

std::string SecretRedactor::Redact(std::string_view text) const {
  std::string out(text);
  for (const std::string& secret : secrets_) {
    for (size_t pos = out.find(secret); pos != std::string::npos; pos = out.find(secret, pos + kSecretMask.size())) {
      out.replace(pos, secret.size(), kSecretMask);
    }
  }
  return out;
}

std::string RedactSecrets(const Json& spec, const Json& config, std::string_view text) {
  return SecretRedactor::ForConfig(spec, config).Redact(text);
}

Result<std::string> DecryptWebhookUrl(const SecretBox& box, std::string_view stored) {
  if (!SecretBox::LooksEncrypted(stored)) return std::string(stored);
  return box.Decrypt(stored);
}

}  // namespace sluice
