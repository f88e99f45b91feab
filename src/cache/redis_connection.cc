#include "cache/redis_connection.h"

#include <hiredis/hiredis.h>
#include <poll.h>
#include <sys/time.h>

#include <charconv>

namespace systore::cache_internal {

Result<std::pair<std::string, int>> ParseHostPort(std::string_view a) {
  size_t colon = a.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    return Status::InvalidArgument("Redis address '" + std::string(a) + "' is not host:port");
  }
  int port = 0;
  auto p = a.substr(colon + 1);
  auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), port);
  if (ec != std::errc() || ptr != p.data() + p.size() || port <= 0 || port > 65535) {
    return Status::InvalidArgument("Redis address '" + std::string(a) + "': bad port");
  }
  return std::make_pair(std::string(a.substr(0, colon)), port);
}

namespace {
timeval Tv(int ms) {
  timeval tv;
  tv.tv_sec = ms / 1000;
  tv.tv_usec = (ms % 1000) * 1000;
  return tv;
}

RedisReply Convert(const redisReply* r) {
  RedisReply out;
  switch (r->type) {
    case REDIS_REPLY_STRING:
      out.type = RedisReply::Type::kString;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_STATUS:
      out.type = RedisReply::Type::kStatus;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ERROR:
      out.type = RedisReply::Type::kError;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_INTEGER:
      out.type = RedisReply::Type::kInteger;
      out.integer = r->integer;
      break;
    case REDIS_REPLY_ARRAY:
      out.type = RedisReply::Type::kArray;
      out.elements.reserve(r->elements);
      for (size_t i = 0; i < r->elements; ++i) out.elements.push_back(Convert(r->element[i]));
      break;
    default:
      out.type = RedisReply::Type::kNil;
  }
  return out;
}
}  // namespace

Result<std::unique_ptr<RedisConnection>> RedisConnection::Connect(const std::string& host, int port,
                                                                  int connect_timeout_ms, int command_timeout_ms) {
  std::unique_ptr<RedisConnection> c(new RedisConnection());
  c->address_ = host + ":" + std::to_string(port);
  c->ctx_ = redisConnectWithTimeout(host.c_str(), port, Tv(connect_timeout_ms));
  if (c->ctx_ == nullptr) return Status::Unavailable("Redis " + c->address_ + ": cannot allocate a connection");
  if (c->ctx_->err) return Status::Unavailable("Redis " + c->address_ + ": " + c->ctx_->errstr);
  if (redisSetTimeout(c->ctx_, Tv(command_timeout_ms)) != REDIS_OK) {
    return Status::Unavailable("Redis " + c->address_ + ": cannot set timeout");
  }
  (void)redisEnableKeepAlive(c->ctx_);
  return c;
}

RedisConnection::~RedisConnection() {
  if (ctx_) redisFree(ctx_);
}

Status RedisConnection::Broken(const std::string& what) {
  broken_ = true;
  std::string err = ctx_ && ctx_->err ? std::string(ctx_->errstr) : std::string("connection lost");
  return Status::Unavailable("Redis " + address_ + ": " + what + ": " + err);
}

Result<RedisReply> RedisConnection::Command(const std::vector<std::string_view>& argv) {
  auto r = Pipeline({argv});
  if (!r.ok()) return r.status();
  return std::move((*r)[0]);
}

Result<std::vector<RedisReply>> RedisConnection::Pipeline(const std::vector<std::vector<std::string_view>>& cmds) {
  if (broken_) return Status::Unavailable("Redis " + address_ + ": connection broken");
  for (const auto& argv : cmds) {
    std::vector<const char*> a;
    std::vector<size_t> l;
    a.reserve(argv.size());
    l.reserve(argv.size());
    for (auto s : argv) {
      a.push_back(s.data());
      l.push_back(s.size());
    }
    if (redisAppendCommandArgv(ctx_, static_cast<int>(a.size()), a.data(), l.data()) != REDIS_OK) {
      return Broken("send");
    }
  }
  std::vector<RedisReply> out;
  out.reserve(cmds.size());
  for (size_t i = 0; i < cmds.size(); ++i) {
    void* reply = nullptr;
    if (redisGetReply(ctx_, &reply) != REDIS_OK || reply == nullptr) return Broken("reply");
    out.push_back(Convert(static_cast<redisReply*>(reply)));
    freeReplyObject(reply);
  }
  return out;
}

Status RedisConnection::Send(const std::vector<std::string_view>& argv) {
  if (broken_) return Status::Unavailable("Redis " + address_ + ": connection broken");
  std::vector<const char*> a;
  std::vector<size_t> l;
  for (auto s : argv) {
    a.push_back(s.data());
    l.push_back(s.size());
  }
  if (redisAppendCommandArgv(ctx_, static_cast<int>(a.size()), a.data(), l.data()) != REDIS_OK) return Broken("send");
  int done = 0;
  while (!done) {
    if (redisBufferWrite(ctx_, &done) != REDIS_OK) return Broken("send");
  }
  return Status::OK();
}

Result<RedisReply> RedisConnection::ReadPush(int timeout_ms) {
  if (broken_) return Status::Unavailable("Redis " + address_ + ": connection broken");
  void* reply = nullptr;
  if (redisGetReplyFromReader(ctx_, &reply) != REDIS_OK) return Broken("read");
  if (reply == nullptr) {
    pollfd p{ctx_->fd, POLLIN, 0};
    int n = ::poll(&p, 1, timeout_ms);
    if (n < 0) return Broken("poll");
    if (n == 0) return RedisReply{};  // nothing yet
    if (redisBufferRead(ctx_) != REDIS_OK) return Broken("read");
    if (redisGetReplyFromReader(ctx_, &reply) != REDIS_OK) return Broken("read");
    if (reply == nullptr) return RedisReply{};
  }
  RedisReply out = Convert(static_cast<redisReply*>(reply));
  freeReplyObject(reply);
  return out;
}

Result<std::unique_ptr<RedisConnection>> RedisPool::Acquire() {
  {
    std::lock_guard lock(mu_);
    if (!idle_.empty()) {
      auto c = std::move(idle_.back());
      idle_.pop_back();
      return c;
    }
  }
  return RedisConnection::Connect(host_, port_, connect_ms_, command_ms_);
}

void RedisPool::Release(std::unique_ptr<RedisConnection> c) {
  if (!c || c->broken()) return;
  std::lock_guard lock(mu_);
  if (static_cast<int>(idle_.size()) < size_) idle_.push_back(std::move(c));
}

void RedisPool::Reset() {
  std::lock_guard lock(mu_);
  idle_.clear();
}

}  // namespace systore::cache_internal
