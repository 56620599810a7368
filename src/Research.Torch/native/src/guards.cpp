// Checks at the binding's edge for inputs libtorch 1.13 does not check and the CPU cannot survive.
#include <ATen/ops/any.h>
#include <ATen/ops/eq.h>
#include <ATen/ops/logical_and.h>
#include <ATen/ops/result_type.h>
#include <ATen/ops/scalar_tensor.h>
#include <c10/core/ScalarType.h>
#include <limits>
#include <sstream>

#include "guards.h"

namespace {

at::Tensor as_tensor(const c10::IValue& v) {
  return v.isTensor() ? v.toTensor() : at::scalar_tensor(v.toScalar(), at::kLong);
}

int64_t min_of(c10::ScalarType t) {
  switch (t) {
    case at::kChar: return std::numeric_limits<int8_t>::min();
    case at::kShort: return std::numeric_limits<int16_t>::min();
    case at::kInt: return std::numeric_limits<int32_t>::min();
    default: return std::numeric_limits<int64_t>::min();
  }
}

bool is_number(const c10::IValue& v) { return v.isTensor() || v.isScalar(); }

}  // namespace

bool rt_is_integer_division(const c10::FunctionSchema& schema) {
  const auto& name = schema.name();
  if (name == "aten::remainder" || name == "aten::remainder_" || name == "aten::fmod" || name == "aten::fmod_" ||
      name == "aten::floor_divide" || name == "aten::floor_divide_")
    return true;
  // div without a rounding mode divides in floating point; with one ("trunc", "floor") integers stay integers.
  return (name == "aten::div" || name == "aten::div_") && schema.overload_name().find("mode") != std::string::npos;
}

// A signed integer's minimum divided by −1 overflows, and x86's idiv traps (SIGFPE, killing the process) where
// libtorch 1.13 does not check. Raise instead, as for division by zero.
void rt_check_integer_division(const c10::FunctionSchema& schema, const std::vector<c10::IValue>& stack) {
  if (stack.size() < 2 || !is_number(stack[0]) || !is_number(stack[1])) return;
  if (!stack[0].isTensor() && !stack[1].isTensor()) return;
  auto a = as_tensor(stack[0]), b = as_tensor(stack[1]);
  auto type = stack[0].isTensor() && stack[1].isTensor() ? at::result_type(a, b)
              : stack[0].isTensor() ? at::result_type(a, stack[1].toScalar())
                                    : at::result_type(b, stack[0].toScalar());
  if (!c10::isIntegralType(type, /*includeBool=*/false) || type == at::kByte) return;
  int64_t lowest = min_of(type);
  if (!at::logical_and(at::eq(a, lowest), at::eq(b, -1)).any().item<bool>()) return;
  std::ostringstream s;
  s << schema.name() << ": integer overflow: " << c10::toString(type) << " minimum (" << lowest
    << ") divided by -1 has no " << c10::toString(type) << " result";
  throw std::overflow_error(s.str());
}
