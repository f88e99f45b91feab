#include "systore/status.h"

#include <gtest/gtest.h>

#include "systore/result.h"

namespace systore {
namespace {

Result<int> Half(int x) {
  if (x % 2) return Status::InvalidArgument("odd: " + std::to_string(x));
  return x / 2;
}

Result<int> Quarter(int x) {
  SYSTORE_ASSIGN_OR_RAISE(int h, Half(x));
  return Half(h);
}

TEST(StatusTest, OkHasNoMessageAndCodeOk) {
  Status st;
  EXPECT_TRUE(st.ok());
  EXPECT_EQ(st.code(), StatusCode::kOk);
  EXPECT_EQ(st.ToString(), "OK");
}

TEST(StatusTest, ErrorCarriesCodeMessageAndRetryable) {
  Status st = Status::Conflict("version 3 taken");
  EXPECT_FALSE(st.ok());
  EXPECT_TRUE(st.IsConflict());
  EXPECT_TRUE(st.retryable());
  EXPECT_EQ(st.ToString(), "Conflict: version 3 taken");
  EXPECT_FALSE(Status::InvalidArgument("x").retryable());
}

TEST(StatusTest, WithContextPrefixesMessage) {
  Status st = Status::NotFound("no such key").WithContext("dataset 'fx'");
  EXPECT_EQ(st.message(), "dataset 'fx': no such key");
  EXPECT_TRUE(st.IsNotFound());
}

TEST(ResultTest, AssignOrRaisePropagatesFirstError) {
  EXPECT_EQ(*Quarter(8), 2);
  auto r = Quarter(6);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "odd: 3");
}

}  // namespace
}  // namespace systore
