// Unboxed calls for the handful of operators that dominate small-tensor training loops. They skip
// the boxed stack of the generic dispatcher call; everything else goes through dispatch.cpp.
#include <ATen/ops/add.h>
#include <ATen/ops/div.h>
#include <ATen/ops/matmul.h>
#include <ATen/ops/mul.h>
#include <ATen/ops/sub.h>

#include "shim.h"

enum RtBinary : int32_t { RT_ADD = 0, RT_SUB = 1, RT_MUL = 2, RT_DIV = 3, RT_MATMUL = 4 };

RT_API int32_t rt_binary(int32_t op, void* a, void* b, void** out) {
  rt_enter_thread();
  return rt_try([&] {
    const auto& x = T(a);
    const auto& y = T(b);
    switch (op) {
      case RT_ADD: *out = rt_new_tensor(at::add(x, y)); break;
      case RT_SUB: *out = rt_new_tensor(at::sub(x, y)); break;
      case RT_MUL: *out = rt_new_tensor(at::mul(x, y)); break;
      case RT_DIV: *out = rt_new_tensor(at::div(x, y)); break;
      case RT_MATMUL: *out = rt_new_tensor(at::matmul(x, y)); break;
      default: throw std::invalid_argument("unknown binary operator " + std::to_string(op));
    }
  });
}

// The same with a number on the right (an integer when is_int, else a double).
RT_API int32_t rt_binary_scalar(int32_t op, void* a, int32_t is_int, int64_t i, double d, void** out) {
  rt_enter_thread();
  return rt_try([&] {
    const auto& x = T(a);
    at::Scalar s = is_int ? at::Scalar(i) : at::Scalar(d);
    switch (op) {
      case RT_ADD: *out = rt_new_tensor(at::add(x, s)); break;
      case RT_SUB: *out = rt_new_tensor(at::sub(x, s)); break;
      case RT_MUL: *out = rt_new_tensor(at::mul(x, s)); break;
      case RT_DIV: *out = rt_new_tensor(at::div(x, s)); break;
      default: throw std::invalid_argument("unknown binary scalar operator " + std::to_string(op));
    }
  });
}

// In-place self op= alpha·other (alpha only for add/sub), with nothing returned: the caller keeps its handle.
RT_API int32_t rt_binary_inplace(int32_t op, void* a, void* b, int32_t alpha_is_int, int64_t alpha_i, double alpha_d) {
  rt_enter_thread();
  return rt_try([&] {
    auto& x = T(a);
    const auto& y = T(b);
    at::Scalar alpha = alpha_is_int ? at::Scalar(alpha_i) : at::Scalar(alpha_d);
    switch (op) {
      case RT_ADD: x.add_(y, alpha); break;
      case RT_SUB: x.sub_(y, alpha); break;
      case RT_MUL: x.mul_(y); break;
      case RT_DIV: x.div_(y); break;
      default: throw std::invalid_argument("unknown in-place operator " + std::to_string(op));
    }
  });
}

// In-place self op= number.
RT_API int32_t rt_binary_scalar_inplace(int32_t op, void* a, int32_t is_int, int64_t i, double d) {
  rt_enter_thread();
  return rt_try([&] {
    auto& x = T(a);
    at::Scalar s = is_int ? at::Scalar(i) : at::Scalar(d);
    switch (op) {
      case RT_ADD: x.add_(s); break;
      case RT_SUB: x.sub_(s); break;
      case RT_MUL: x.mul_(s); break;
      case RT_DIV: x.div_(s); break;
      default: throw std::invalid_argument("unknown in-place scalar operator " + std::to_string(op));
    }
  });
}
