// Findings, validator parameters and the registry.
#include "systore/quality.h"

#include <algorithm>
#include <cctype>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>

#include "quality/series_view_internal.h"

namespace systore {

using json = nlohmann::json;

const char* SeverityName(Severity s) {
  switch (s) {
    case Severity::kInfo:
      return "info";
    case Severity::kWarning:
      return "warning";
    case Severity::kError:
      return "error";
    case Severity::kCritical:
      return "critical";
  }
  return "?";
}

Result<Severity> ParseSeverity(const std::string& name) {
  for (Severity s : {Severity::kInfo, Severity::kWarning, Severity::kError, Severity::kCritical})
    if (name == SeverityName(s)) return s;
  return Status::InvalidArgument("unknown severity '" + name + "' (info, warning, error, critical)");
}

std::string FormatFinding(const Finding& f) {
  std::ostringstream out;
  out << SeverityName(f.severity) << " " << f.rule << " " << f.dataset << " " << f.key;
  if (!f.timestamps.empty()) out << " " << FormatTimestamp(f.timestamps.back());
  if (f.row >= 0 || !f.source.empty()) {
    out << " (";
    if (f.row >= 0) out << "row " << f.row;
    if (!f.source.empty()) out << (f.row >= 0 ? ", " : "") << f.source;
    out << ")";
  }
  out << ": " << f.message;
  return out.str();
}

// ---- ValidatorParams ------------------------------------------------------------------

namespace {
const json& J(const std::shared_ptr<const void>& p) { return *static_cast<const json*>(p.get()); }
}  // namespace

ValidatorParams::ValidatorParams() : json_(std::make_shared<json>(json::object())) {}

Result<ValidatorParams> ValidatorParams::FromJson(const std::string& json_text) {
  ValidatorParams p;
  try {
    auto j = json::parse(json_text);
    if (!j.is_object()) return Status::InvalidArgument("validator parameters must be a JSON object: " + json_text);
    p.json_ = std::make_shared<json>(std::move(j));
  } catch (const std::exception& e) {
    return Status::InvalidArgument(std::string("validator parameters: ") + e.what());
  }
  return p;
}

bool ValidatorParams::Has(const std::string& name) const { return J(json_).contains(name); }

double ValidatorParams::GetDouble(const std::string& name, double fallback) const {
  auto it = J(json_).find(name);
  return it != J(json_).end() && it->is_number() ? it->get<double>() : fallback;
}
int64_t ValidatorParams::GetInt(const std::string& name, int64_t fallback) const {
  auto it = J(json_).find(name);
  return it != J(json_).end() && it->is_number() ? static_cast<int64_t>(it->get<double>()) : fallback;
}
bool ValidatorParams::GetBool(const std::string& name, bool fallback) const {
  auto it = J(json_).find(name);
  return it != J(json_).end() && it->is_boolean() ? it->get<bool>() : fallback;
}
std::string ValidatorParams::GetString(const std::string& name, const std::string& fallback) const {
  auto it = J(json_).find(name);
  return it != J(json_).end() && it->is_string() ? it->get<std::string>() : fallback;
}
std::vector<std::string> ValidatorParams::GetStringList(const std::string& name,
                                                        const std::vector<std::string>& fallback) const {
  auto it = J(json_).find(name);
  if (it == J(json_).end() || !it->is_array()) return fallback;
  std::vector<std::string> out;
  for (const auto& v : *it)
    if (v.is_string()) out.push_back(v.get<std::string>());
  return out;
}
std::map<std::string, double> ValidatorParams::GetNumberMap(const std::string& name) const {
  std::map<std::string, double> out;
  auto it = J(json_).find(name);
  if (it == J(json_).end() || !it->is_object()) return out;
  for (auto e = it->begin(); e != it->end(); ++e)
    if (e->is_number()) out[e.key()] = e->get<double>();
  return out;
}
std::string ValidatorParams::ToJson() const { return J(json_).dump(); }

// ---- FindingSink ------------------------------------------------------------------------

void FindingSink::Add(Finding f) {
  if (f.dataset.empty()) f.dataset = input_.dataset;
  if (f.key.empty()) f.key = input_.key;
  if (f.source.empty() && f.row >= 0 && !input_.source_name.empty()) {
    f.source = input_.source_name;
    if (f.row < static_cast<int64_t>(input_.source_lines.size())) {
      f.source += ":" + std::to_string(input_.source_lines[f.row]);
    }
  }
  findings_.push_back(std::move(f));
}

// ---- Registry ---------------------------------------------------------------------------

struct ValidatorRegistry::State {
  mutable std::mutex mu;
  std::map<std::string, ValidatorFactory> factories;
};

// Defined in validators_*.cc.
void RegisterBuiltinValidators(ValidatorRegistry* registry);

ValidatorRegistry& ValidatorRegistry::Global() {
  static ValidatorRegistry* registry = [] {
    auto* r = new ValidatorRegistry();
    r->state_ = std::make_shared<State>();
    RegisterBuiltinValidators(r);
    return r;
  }();
  return *registry;
}

Status ValidatorRegistry::Register(const std::string& name, ValidatorFactory factory) {
  if (name.empty() || !factory) return Status::InvalidArgument("validator needs a name and a factory");
  std::lock_guard<std::mutex> lock(state_->mu);
  if (!state_->factories.emplace(name, std::move(factory)).second) {
    return Status::AlreadyExists("validator '" + name + "' is already registered");
  }
  return Status::OK();
}

Result<std::unique_ptr<Validator>> ValidatorRegistry::Make(const std::string& name,
                                                           const ValidatorParams& params) const {
  ValidatorFactory f;
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    auto it = state_->factories.find(name);
    if (it == state_->factories.end()) {
      std::string known;
      for (const auto& [n, _] : state_->factories) known += (known.empty() ? "" : ", ") + n;
      return Status::NotFound("unknown validator '" + name + "' (known: " + known + ")");
    }
    f = it->second;
  }
  return f(params);
}

std::vector<std::string> ValidatorRegistry::Names() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  std::vector<std::string> out;
  for (const auto& [n, _] : state_->factories) out.push_back(n);
  return out;
}

bool IsPriceColumnName(const std::string& name) {
  std::string l = name;
  for (auto& ch : l) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  static const char* kNames[] = {"price", "open",    "high", "low", "close", "final",
                                 "carry", "forward", "bid",  "ask", "mid"};
  return std::find_if(std::begin(kNames), std::end(kNames), [&](const char* n) { return l == n; }) != std::end(kNames);
}

}  // namespace systore
