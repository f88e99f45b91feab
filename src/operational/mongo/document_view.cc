#include "operational/mongo/document_view.h"

#include <algorithm>

namespace systore::operational {

namespace {
bool MatchesCondition(const Json& value, const Json& cond) {
  const bool is_operator = cond.is_object() && !cond.empty() && cond.begin().key().starts_with('$');
  if (!is_operator) return value == cond;
  for (const auto& [op, arg] : cond.items()) {
    bool ok = true;
    if (op == "$eq") {
      ok = value == arg;
    } else if (op == "$ne") {
      ok = value != arg;
    } else if (op == "$gt") {
      ok = !value.is_null() && value > arg;
    } else if (op == "$gte") {
      ok = !value.is_null() && value >= arg;
    } else if (op == "$lt") {
      ok = !value.is_null() && value < arg;
    } else if (op == "$lte") {
      ok = !value.is_null() && value <= arg;
    } else if (op == "$in") {
      ok = std::find(arg.begin(), arg.end(), value) != arg.end();
    } else {
      return false;  // an operator this matcher does not know never matches
    }
    if (!ok) return false;
  }
  return true;
}
}  // namespace

bool MatchesFilter(const Json& doc, const Json& filter) {
  static const Json kNull = nullptr;
  for (const auto& [field, cond] : filter.items()) {
    auto it = doc.find(field);
    if (!MatchesCondition(it == doc.end() ? kNull : *it, cond)) return false;
  }
  return true;
}

Result<std::optional<Json>> DocumentView::Get(const std::string& coll, const Json& id) {
  auto it = overlay_.find({coll, id.dump()});
  if (it != overlay_.end()) return it->second.doc;
  SYSTORE_ASSIGN_OR_RAISE(auto docs, conn_.Find(coll, {{"_id", id}}, {}, 1));
  if (docs.empty()) return std::optional<Json>();
  on_server_.insert({coll, id.dump()});
  if (docs[0].value(kDeletedField, false)) return std::optional<Json>();
  return std::optional<Json>(std::move(docs[0]));
}

Result<std::vector<Json>> DocumentView::Find(const std::string& coll, const Json& filter, const SortSpec& sort,
                                             int64_t limit) {
  auto first = overlay_.lower_bound({coll, std::string()});
  const bool overlaid = first != overlay_.end() && first->first.first == coll;
  // With buffered writes in this collection the server's first `limit` may not be ours.
  // Tombstones are dropped here, not in the server filter, which keeps _id lookups point
  // lookups on servers that push down only simple filters.
  SYSTORE_ASSIGN_OR_RAISE(auto docs, conn_.Find(coll, filter, sort, overlaid ? 0 : limit));
  std::vector<Json> out;
  out.reserve(docs.size());
  bool tombstones = false;
  for (auto& d : docs) {
    std::pair<std::string, std::string> key{coll, d["_id"].dump()};
    on_server_.insert(key);
    if (d.value(kDeletedField, false)) {
      tombstones = true;
    } else if (!overlay_.contains(key)) {
      out.push_back(std::move(d));
    }
  }
  if (tombstones && limit > 0 && !overlaid) {  // refill the limit
    SYSTORE_ASSIGN_OR_RAISE(auto all, Find(coll, filter, sort, 0));
    if (static_cast<int64_t>(all.size()) > limit) all.resize(static_cast<size_t>(limit));
    return all;
  }
  if (!overlaid) return out;
  for (auto it = first; it != overlay_.end() && it->first.first == coll; ++it) {
    if (it->second.doc && MatchesFilter(*it->second.doc, filter)) out.push_back(*it->second.doc);
  }
  std::stable_sort(out.begin(), out.end(), [&](const Json& a, const Json& b) {
    static const Json kNull = nullptr;
    for (const auto& [field, dir] : sort) {
      const Json& x = a.contains(field) ? a[field] : kNull;
      const Json& y = b.contains(field) ? b[field] : kNull;
      if (x == y) continue;
      return dir > 0 ? x < y : y < x;
    }
    return a["_id"] < b["_id"];
  });
  if (limit > 0 && static_cast<int64_t>(out.size()) > limit) out.resize(static_cast<size_t>(limit));
  return out;
}

void DocumentView::Put(const std::string& coll, Json doc) {
  Json id = doc["_id"];
  doc.erase(kVersionField);
  std::string key = id.dump();  // before id is moved: `a = b` evaluates b first
  overlay_[{coll, std::move(key)}] = Entry{std::move(id), std::move(doc)};
}

void DocumentView::Remove(const std::string& coll, const Json& id) {
  overlay_[{coll, id.dump()}] = Entry{id, std::nullopt};
}

Json DocumentView::Writes() const {
  Json out = Json::array();
  for (const auto& [key, e] : overlay_) {
    out.push_back({{"c", key.first},
                   {"id", e.id},
                   {"doc", e.doc ? *e.doc : Json(nullptr)},
                   {"fresh", !on_server_.contains(key)}});
  }
  return out;
}

}  // namespace systore::operational
