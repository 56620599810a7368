// Generic calls through the c10 dispatcher: an operator is looked up once by name and overload,
// and every call builds a boxed stack from tagged values using the schema's argument types.
#include <ATen/core/dispatch/Dispatcher.h>
#include <ATen/core/ivalue.h>
#include <ATen/core/jit_type.h>
#include <sstream>
#include <vector>

#include "guards.h"
#include "shim.h"

namespace {

struct RtOp {
  c10::OperatorHandle handle;
  const c10::FunctionSchema* schema;
  bool integer_division;  // checked before every call (guards.h)
};

thread_local std::vector<c10::IValue> t_stack;
thread_local std::vector<RtValue> t_results;

[[noreturn]] void bad_argument(const RtOp& op, size_t index, const std::string& what) {
  const auto& arg = op.schema->arguments()[index];
  std::ostringstream s;
  s << op.schema->name();
  if (!op.schema->overload_name().empty()) s << "." << op.schema->overload_name();
  s << ": argument '" << arg.name() << "' (" << arg.type()->str() << ") " << what;
  throw std::invalid_argument(s.str());
}

std::vector<int64_t> int_list(const RtValue& v) {
  auto* p = static_cast<const int64_t*>(v.p);
  return std::vector<int64_t>(p, p + v.count);
}

c10::IValue convert(const RtOp& op, size_t index, const c10::TypePtr& type, const RtValue& v);

c10::IValue convert_list(const RtOp& op, size_t index, const c10::ListTypePtr& list, const RtValue& v) {
  const auto& elem = list->getElementType();
  switch (elem->kind()) {
    case c10::TypeKind::IntType:
    case c10::TypeKind::SymIntType: {
      if (v.kind == RT_INT_LIST) return c10::IValue(int_list(v));
      if (v.kind == RT_INT) {
        // int[2] accepts a single int, as in Python (kernel_size=3).
        auto n = op.schema->arguments()[index].N();
        return c10::IValue(std::vector<int64_t>(n ? *n : 1, v.i));
      }
      break;
    }
    case c10::TypeKind::FloatType: {
      if (v.kind == RT_DOUBLE_LIST) {
        auto* p = static_cast<const double*>(v.p);
        return c10::IValue(std::vector<double>(p, p + v.count));
      }
      break;
    }
    case c10::TypeKind::BoolType: {
      if (v.kind == RT_BOOL_LIST) {
        auto* p = static_cast<const uint8_t*>(v.p);
        c10::List<bool> out;
        for (int i = 0; i < v.count; i++) out.push_back(p[i] != 0);
        return c10::IValue(out);
      }
      break;
    }
    case c10::TypeKind::TensorType: {
      if (v.kind == RT_TENSOR_LIST) {
        auto** p = static_cast<at::Tensor**>(v.p);
        std::vector<at::Tensor> out;
        out.reserve(v.count);
        for (int i = 0; i < v.count; i++) {
          if (!p[i]) bad_argument(op, index, "has a null tensor at position " + std::to_string(i));
          out.push_back(*p[i]);
        }
        return c10::IValue(out);
      }
      break;
    }
    case c10::TypeKind::OptionalType: {
      if (v.kind == RT_OPT_TENSOR_LIST || v.kind == RT_TENSOR_LIST) {
        auto** p = static_cast<at::Tensor**>(v.p);
        c10::List<c10::optional<at::Tensor>> out;
        for (int i = 0; i < v.count; i++)
          out.push_back(p[i] ? c10::optional<at::Tensor>(*p[i]) : c10::nullopt);
        return c10::IValue(out);
      }
      break;
    }
    default:
      break;
  }
  bad_argument(op, index, "cannot take a value of kind " + std::to_string(v.kind));
}

c10::IValue convert(const RtOp& op, size_t index, const c10::TypePtr& type, const RtValue& v) {
  if (v.kind == RT_DEFAULT) {
    const auto& def = op.schema->arguments()[index].default_value();
    if (!def) bad_argument(op, index, "is required");
    return *def;
  }
  switch (type->kind()) {
    case c10::TypeKind::OptionalType:
      if (v.kind == RT_NONE) return c10::IValue();
      return convert(op, index, type->castRaw<c10::OptionalType>()->getElementType(), v);
    case c10::TypeKind::TensorType:
      if (v.kind == RT_TENSOR && v.p) return c10::IValue(T(v.p));
      break;
    case c10::TypeKind::IntType:
    case c10::TypeKind::SymIntType:
      if (v.kind == RT_INT) return c10::IValue(v.i);
      if (v.kind == RT_BOOL) return c10::IValue(v.i);
      break;
    case c10::TypeKind::FloatType:
      if (v.kind == RT_DOUBLE) return c10::IValue(v.d);
      if (v.kind == RT_INT) return c10::IValue(static_cast<double>(v.i));
      break;
    case c10::TypeKind::BoolType:
      if (v.kind == RT_BOOL || v.kind == RT_INT) return c10::IValue(v.i != 0);
      break;
    case c10::TypeKind::NumberType:  // Scalar
      if (v.kind == RT_INT) return c10::IValue(v.i);
      if (v.kind == RT_DOUBLE) return c10::IValue(v.d);
      if (v.kind == RT_BOOL) return c10::IValue(v.i != 0);
      if (v.kind == RT_COMPLEX) return c10::IValue(c10::complex<double>(v.d, v.d2));
      break;
    case c10::TypeKind::StringType:
      if (v.kind == RT_STRING && v.p) return c10::IValue(std::string(static_cast<const char*>(v.p)));
      break;
    case c10::TypeKind::DeviceObjType:
      if (v.kind == RT_STRING && v.p) return c10::IValue(c10::Device(static_cast<const char*>(v.p)));
      break;
    case c10::TypeKind::ListType:
      return convert_list(op, index, type->cast<c10::ListType>(), v);
    default:
      // ScalarType, Layout and MemoryFormat travel as ints.
      if (v.kind == RT_INT) return c10::IValue(v.i);
      break;
  }
  if (v.kind == RT_NONE) bad_argument(op, index, "cannot be None");
  bad_argument(op, index, "cannot take a value of kind " + std::to_string(v.kind));
}

// A dtype travels as an int (its schema type is int; the real type says ScalarType). An undefined number makes
// libtorch index its type tables out of bounds, so it is refused here.
void check_dtype(const RtOp& op, size_t index, const RtValue& v) {
  if (v.kind != RT_INT) return;
  auto type = op.schema->arguments()[index].real_type();
  if (type->kind() == c10::TypeKind::OptionalType) type = type->castRaw<c10::OptionalType>()->getElementType();
  if (type->kind() == c10::TypeKind::ScalarTypeType &&
      (v.i < 0 || v.i >= static_cast<int64_t>(c10::ScalarType::NumOptions)))
    bad_argument(op, index, "is not a dtype: " + std::to_string(v.i));
}

void push_result(c10::IValue& v) {
  RtValue r{};
  if (v.isTensor()) {
    at::Tensor t = std::move(v).toTensor();
    if (t.defined()) {
      r.kind = RT_TENSOR;
      r.p = rt_new_tensor(std::move(t));
    } else {
      r.kind = RT_NONE;
    }
    t_results.push_back(r);
  } else if (v.isTensorList()) {
    auto list = v.toTensorList();
    r.kind = RT_TENSOR_LIST;
    r.count = static_cast<int32_t>(list.size());
    t_results.push_back(r);
    for (size_t i = 0; i < list.size(); i++) {
      RtValue e{};
      e.kind = RT_TENSOR;
      e.p = rt_new_tensor(list.get(i));
      t_results.push_back(e);
    }
  } else if (v.isTuple()) {
    for (auto& e : v.toTupleRef().elements()) {
      c10::IValue copy = e;
      push_result(copy);
    }
  } else if (v.isInt()) {
    r.kind = RT_INT;
    r.i = v.toInt();
    t_results.push_back(r);
  } else if (v.isDouble()) {
    r.kind = RT_DOUBLE;
    r.d = v.toDouble();
    t_results.push_back(r);
  } else if (v.isBool()) {
    r.kind = RT_BOOL;
    r.i = v.toBool();
    t_results.push_back(r);
  } else if (v.isComplexDouble()) {
    auto c = v.toComplexDouble();
    r.kind = RT_COMPLEX;
    r.d = c.real();
    r.d2 = c.imag();
    t_results.push_back(r);
  } else if (v.isNone()) {
    r.kind = RT_NONE;
    t_results.push_back(r);
  } else {
    throw std::runtime_error("operator returned a " + v.tagKind() + ", which the shim cannot return");
  }
}

}  // namespace

RT_API int32_t rt_op_find(const char* name, const char* overload, void** out) {
  return rt_try([&] {
    auto handle = c10::Dispatcher::singleton().findSchemaOrThrow(name, overload);
    *out = new RtOp{handle, &handle.schema(), rt_is_integer_division(handle.schema())};
  });
}

RT_API int32_t rt_op_schema(void* op, char* buffer, int32_t capacity, int32_t* length) {
  return rt_try([&] {
    std::ostringstream s;
    s << *static_cast<RtOp*>(op)->schema;
    auto str = s.str();
    *length = static_cast<int32_t>(str.size());
    if (buffer && capacity > 0) {
      auto n = std::min<size_t>(str.size(), capacity - 1);
      std::memcpy(buffer, str.data(), n);
      buffer[n] = 0;
    }
  });
}

// Calls the operator. Results stay valid until the next call on this thread; result tensors are
// new handles owned by the caller.
RT_API int32_t rt_op_call(void* opp, const RtValue* args, int32_t nargs, RtValue** results, int32_t* nresults) {
  rt_enter_thread();
  return rt_try([&] {
    auto& op = *static_cast<RtOp*>(opp);
    const auto& formals = op.schema->arguments();
    if (static_cast<size_t>(nargs) > formals.size()) {
      std::ostringstream s;
      s << op.schema->name() << " takes " << formals.size() << " arguments but got " << nargs;
      throw std::invalid_argument(s.str());
    }
    auto& stack = t_stack;
    stack.clear();
    stack.reserve(formals.size());
    for (size_t i = 0; i < formals.size(); i++) {
      if (i < static_cast<size_t>(nargs)) {
        check_dtype(op, i, args[i]);
        stack.push_back(convert(op, i, formals[i].type(), args[i]));
      } else {
        RtValue def{};
        def.kind = RT_DEFAULT;
        stack.push_back(convert(op, i, formals[i].type(), def));
      }
    }
    if (op.integer_division) rt_check_integer_division(*op.schema, stack);
    op.handle.callBoxed(&stack);
    t_results.clear();
    for (auto& v : stack) push_result(v);
    stack.clear();
    *results = t_results.data();
    *nresults = static_cast<int32_t>(t_results.size());
  });
}

// Writes every registered schema, one per line, into a caller buffer (two-call protocol).
RT_API int32_t rt_all_schemas(char* buffer, int64_t capacity, int64_t* length) {
  return rt_try([&] {
    std::ostringstream s;
    for (const auto& name : c10::Dispatcher::singleton().getAllOpNames()) {
      auto h = c10::Dispatcher::singleton().findOp(name);
      if (h && h->hasSchema()) s << h->schema() << "\n";
    }
    auto str = s.str();
    *length = static_cast<int64_t>(str.size());
    if (buffer && capacity > static_cast<int64_t>(str.size())) {
      std::memcpy(buffer, str.data(), str.size());
      buffer[str.size()] = 0;
    }
  });
}
