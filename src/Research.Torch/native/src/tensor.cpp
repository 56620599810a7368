// Tensor handles: creation from and copies to caller memory, metadata, lifetime.
#include <ATen/core/TensorBody.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/from_blob.h>
#include <c10/core/ScalarType.h>
#include <cstring>

#include "shim.h"

struct RtTensorInfo {
  int32_t ndim;
  int32_t dtype;        // c10::ScalarType
  int32_t device_type;  // c10::DeviceType
  int32_t device_index;
  int32_t requires_grad;
  int32_t is_leaf;
  int64_t numel;
};

RT_API void rt_tensor_free(void* t) { delete static_cast<at::Tensor*>(t); }

// A new handle to the same tensor (shares storage and autograd identity).
RT_API void* rt_tensor_alias(void* t) { return rt_new_tensor(T(t)); }

RT_API int32_t rt_tensor_from_data(const void* data, const int64_t* sizes, int32_t ndim, int32_t dtype,
                                   void** out) {
  return rt_try([&] {
    if (dtype < 0 || dtype >= static_cast<int32_t>(c10::ScalarType::NumOptions))
      throw std::invalid_argument("not a dtype: " + std::to_string(dtype));
    auto st = static_cast<c10::ScalarType>(dtype);
    auto t = at::empty(c10::IntArrayRef(sizes, ndim), at::TensorOptions().dtype(st));
    if (t.numel() > 0) std::memcpy(t.data_ptr(), data, t.numel() * t.element_size());
    *out = rt_new_tensor(std::move(t));
  });
}

RT_API int32_t rt_tensor_info(void* t, RtTensorInfo* info) {
  return rt_try([&] {
    auto& x = T(t);
    if (!x.defined()) throw std::invalid_argument("the tensor is undefined");
    info->ndim = static_cast<int32_t>(x.dim());
    info->dtype = static_cast<int32_t>(x.scalar_type());
    info->device_type = static_cast<int32_t>(x.device().type());
    info->device_index = x.device().index();
    info->requires_grad = x.requires_grad();
    info->is_leaf = x.is_leaf();
    info->numel = x.numel();
  });
}

RT_API int32_t rt_tensor_shape(void* t, int64_t* sizes, int64_t* strides, int32_t capacity) {
  return rt_try([&] {
    auto& x = T(t);
    if (x.dim() > capacity) throw std::invalid_argument("shape buffer too small");
    for (int64_t i = 0; i < x.dim(); i++) {
      sizes[i] = x.size(i);
      if (strides) strides[i] = x.stride(i);
    }
  });
}

// Copies the tensor's values (any device, any layout) into caller memory as a contiguous block.
RT_API int32_t rt_tensor_copy_to(void* t, void* dst, int64_t nbytes) {
  return rt_try([&] {
    auto x = T(t).detach().to(at::kCPU).contiguous();
    int64_t need = x.numel() * static_cast<int64_t>(x.element_size());
    if (need != nbytes)
      throw std::invalid_argument("destination holds " + std::to_string(nbytes) + " bytes but the tensor needs " +
                                  std::to_string(need));
    if (need > 0) std::memcpy(dst, x.data_ptr(), need);
  });
}

// The address of the first element of a contiguous CPU tensor, for zero-copy reads.
RT_API int32_t rt_tensor_data_ptr(void* t, void** out) {
  return rt_try([&] {
    auto& x = T(t);
    if (!x.device().is_cpu() || !x.is_contiguous())
      throw std::invalid_argument("data pointer needs a contiguous CPU tensor");
    *out = x.data_ptr();
  });
}

RT_API int32_t rt_tensor_set_requires_grad(void* t, int32_t value) {
  return rt_try([&] { T(t).set_requires_grad(value != 0); });
}

// The accumulated gradient, or NULL when there is none.
RT_API int32_t rt_tensor_grad(void* t, void** out) {
  return rt_try([&] {
    const auto& g = T(t).grad();
    *out = g.defined() ? rt_new_tensor(g) : nullptr;
  });
}

RT_API int32_t rt_tensor_set_grad(void* t, void* grad) {
  return rt_try([&] { T(t).mutable_grad() = grad ? T(grad) : at::Tensor(); });
}

RT_API int32_t rt_tensor_retain_grad(void* t) {
  return rt_try([&] { T(t).retain_grad(); });
}

RT_API int32_t rt_tensor_same(void* a, void* b) { return T(a).is_same(T(b)) ? 1 : 0; }
