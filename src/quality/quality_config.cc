// quality.json: defaults, per-dataset overlays, validation of the file itself.
#include "systore/quality_config.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/file_util.h"

namespace systore {

using json = nlohmann::json;

const char* QualityPolicyName(QualityPolicy p) {
  switch (p) {
    case QualityPolicy::kRejectBatch:
      return "reject";
    case QualityPolicy::kQuarantineRows:
      return "quarantine";
    case QualityPolicy::kAcceptWithWarning:
      return "accept";
  }
  return "?";
}

const char* DuplicatePolicyName(DuplicatePolicy p) {
  switch (p) {
    case DuplicatePolicy::kError:
      return "error";
    case DuplicatePolicy::kKeepFirst:
      return "keep-first";
    case DuplicatePolicy::kKeepLast:
      return "keep-last";
    case DuplicatePolicy::kKeepAll:
      return "keep-all";
  }
  return "?";
}

namespace {

const json& J(const std::shared_ptr<const void>& p) { return *static_cast<const json*>(p.get()); }

json DefaultJson() {
  return json{{"defaults",
               {{"policy", "quarantine"},
                {"duplicates", "keep-last"},
                {"calendar", ""},
                {"first_import", "warn"},
                {"validators",
                 {{"schema", json::object()},
                  {"price", {{"allow_non_positive", false}}},
                  {"ohlc", json::object()},
                  {"volume", {{"integer", true}, {"outlier_factor", 50}}},
                  {"gaps", {{"max_missing_days", 3}}},
                  {"spike", {{"threshold", 8}, {"span", 500}, {"min_periods", 20}}},
                  {"cleaning", {{"future_tolerance_seconds", 86400}}},
                  {"duplicates", json::object()},
                  {"timestamps", json::object()}}}}},
              {"datasets", json::object()}};
}

Status CheckSettings(const json& s, const std::string& where) {
  if (!s.is_object()) return Status::InvalidArgument(where + ": must be an object");
  for (auto it = s.begin(); it != s.end(); ++it) {
    const std::string& k = it.key();
    if (k == "policy") {
      if (!it->is_string() || (*it != "reject" && *it != "quarantine" && *it != "accept"))
        return Status::InvalidArgument(where + ".policy: '" + it->dump() + "' is not reject, quarantine or accept");
    } else if (k == "duplicates") {
      if (!it->is_string() || (*it != "error" && *it != "keep-first" && *it != "keep-last" && *it != "keep-all"))
        return Status::InvalidArgument(where + ".duplicates: '" + it->dump() +
                                       "' is not error, keep-first, keep-last or keep-all");
    } else if (k == "calendar") {
      if (!it->is_string()) return Status::InvalidArgument(where + ".calendar: must be a string");
    } else if (k == "first_import") {
      if (!it->is_string() || (*it != "warn" && *it != "judge"))
        return Status::InvalidArgument(where + ".first_import: '" + it->dump() + "' is not warn or judge");
    } else if (k == "validators") {
      if (!it->is_object()) return Status::InvalidArgument(where + ".validators: must be an object");
      auto names = ValidatorRegistry::Global().Names();
      for (auto v = it->begin(); v != it->end(); ++v) {
        if (std::find(names.begin(), names.end(), v.key()) == names.end())
          return Status::InvalidArgument(where + ".validators." + v.key() + ": unknown validator");
        if (!v->is_object()) return Status::InvalidArgument(where + ".validators." + v.key() + ": must be an object");
      }
    } else {
      return Status::InvalidArgument(where + "." + k +
                                     ": unknown key (policy, duplicates, calendar, first_import, validators)");
    }
  }
  return Status::OK();
}

void Overlay(json& into, const json& s) {
  for (auto it = s.begin(); it != s.end(); ++it) {
    if (it.key() != "validators") {
      into[it.key()] = *it;
      continue;
    }
    for (auto v = it->begin(); v != it->end(); ++v) {
      json& dst = into["validators"][v.key()];
      if (!dst.is_object()) dst = json::object();
      for (auto p = v->begin(); p != v->end(); ++p) dst[p.key()] = *p;
    }
  }
}

}  // namespace

QualityConfig QualityConfig::Defaults() {
  QualityConfig c;
  c.json_ = std::make_shared<json>(DefaultJson());
  return c;
}

Result<QualityConfig> QualityConfig::Parse(const std::string& text, const std::string& source) {
  json j;
  try {
    j = json::parse(text);
  } catch (const std::exception& e) {
    return Status::InvalidArgument(source + ": not valid JSON: " + e.what());
  }
  if (!j.is_object()) return Status::InvalidArgument(source + ": must be a JSON object");
  json full = DefaultJson();
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it.key() == "defaults") {
      SYSTORE_RETURN_NOT_OK(CheckSettings(*it, source + ": defaults"));
      Overlay(full["defaults"], *it);
    } else if (it.key() == "datasets") {
      if (!it->is_object()) return Status::InvalidArgument(source + ": datasets must be an object");
      for (auto d = it->begin(); d != it->end(); ++d) {
        SYSTORE_RETURN_NOT_OK(CheckSettings(*d, source + ": datasets." + d.key()));
        full["datasets"][d.key()] = *d;
      }
    } else {
      return Status::InvalidArgument(source + ": unknown key '" + it.key() + "' (defaults, datasets)");
    }
  }
  QualityConfig c;
  c.json_ = std::make_shared<json>(std::move(full));
  return c;
}

Result<QualityConfig> QualityConfig::Load(const std::string& root) {
  std::string path = root + "/quality.json";
  auto text = ReadFileToString(path);
  if (!text.ok()) {
    if (text.status().IsNotFound()) return Defaults();
    return text.status();
  }
  return Parse(*text, path);
}

DatasetQualityConfig QualityConfig::ForDataset(const std::string& dataset) const {
  json eff = J(json_)["defaults"];
  // Built-in per-kind defaults: back-adjusted and multiple prices go negative (spreads,
  // crude in 2020) and mix daily history with hourly rows, so gaps are not meaningful.
  if (dataset.find("adjusted") != std::string::npos || dataset.find("multiple") != std::string::npos) {
    eff["validators"]["price"]["allow_non_positive"] = true;
    eff["validators"]["gaps"]["enabled"] = false;
  }
  // Overlays: prefix patterns by increasing length, then the exact name.
  std::vector<std::pair<std::string, const json*>> matches;
  const json& ds = J(json_)["datasets"];
  for (auto it = ds.begin(); it != ds.end(); ++it) {
    const std::string& pat = it.key();
    bool match =
        !pat.empty() && pat.back() == '*' ? dataset.rfind(pat.substr(0, pat.size() - 1), 0) == 0 : pat == dataset;
    if (match) matches.emplace_back(pat, &*it);
  }
  std::sort(matches.begin(), matches.end(), [](const auto& a, const auto& b) {
    bool ea = a.first.back() != '*', eb = b.first.back() != '*';
    if (ea != eb) return eb;
    return a.first.size() < b.first.size();
  });
  DatasetQualityConfig out;
  for (const auto& [_, s] : matches) {
    Overlay(eff, *s);
    if (s->contains("duplicates")) out.duplicates_set_for_dataset = true;
  }

  std::string pol = eff.value("policy", "quarantine");
  out.policy = pol == "reject"   ? QualityPolicy::kRejectBatch
               : pol == "accept" ? QualityPolicy::kAcceptWithWarning
                                 : QualityPolicy::kQuarantineRows;
  std::string dup = eff.value("duplicates", "keep-last");
  out.duplicates = dup == "error"        ? DuplicatePolicy::kError
                   : dup == "keep-first" ? DuplicatePolicy::kKeepFirst
                   : dup == "keep-all"   ? DuplicatePolicy::kKeepAll
                                         : DuplicatePolicy::kKeepLast;
  out.calendar = eff.value("calendar", "");
  out.judge_first_import = eff.value("first_import", "warn") == "judge";
  for (auto it = eff["validators"].begin(); it != eff["validators"].end(); ++it) {
    if (it->is_object() && it->value("enabled", true) == false) continue;
    json params = *it;
    if (it.key() == "duplicates") params["policy"] = dup;
    out.validators[it.key()] = *ValidatorParams::FromJson(params.dump());
  }
  return out;
}

std::string QualityConfig::ToJson() const { return J(json_).dump(2); }

}  // namespace systore
