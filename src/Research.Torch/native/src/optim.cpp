// Fused optimiser updates: one pass over a parameter and its state instead of the eight elementwise kernels (and two
// temporaries) torch.optim.Adam's single-tensor loop runs. Each element goes through the same operations, in the same
// order and at the same precision, as that loop: exp_avg.mul_(β1).add_(g, 1−β1); exp_avg_sq.mul_(β2).addcmul_(g, g,
// 1−β2); denom = sqrt(v) / sqrt(bc2) + eps; p.addcdiv_(m, denom, −lr/bc1). Scalars are rounded to the tensor's dtype, as
// libtorch's kernels round them. This file is compiled without floating-point contraction, so no FMA merges two
// roundings; libtorch's vectorised add-with-alpha kernels may fuse them, so results agree to an ulp, not bit for bit.
#include <ATen/Dispatch.h>
#include <ATen/Parallel.h>
#include <ATen/core/grad_mode.h>
#include <cmath>

#include "shim.h"

namespace {

// libtorch's grain for elementwise kernels (at::internal::GRAIN_SIZE): tensors below it stay on the calling thread.
constexpr int64_t kGrain = 32768;

struct AdamArgs {
  double lr, beta1, beta2, eps, weight_decay, step;
  bool amsgrad, maximize, decoupled;
};

// One element range; the options are template parameters so the loop has no branches and vectorises. Always inlined,
// so each vector width below compiles its own copy.
template <typename T, bool Maximize, bool Decoupled, bool L2, bool Amsgrad>
__attribute__((always_inline)) inline void adam_loop(T* __restrict p, const T* __restrict g, T* __restrict m, T* __restrict v, T* __restrict vmax,
                      int64_t begin, int64_t end, const AdamArgs& a) {
  const T beta1 = static_cast<T>(a.beta1), one_minus_beta1 = static_cast<T>(1 - a.beta1);
  const T beta2 = static_cast<T>(a.beta2), one_minus_beta2 = static_cast<T>(1 - a.beta2);
  const T decay = static_cast<T>(1 - a.lr * a.weight_decay), weight_decay = static_cast<T>(a.weight_decay);
  const T bias_correction2_sqrt = static_cast<T>(std::sqrt(1 - std::pow(a.beta2, a.step)));
  const T neg_step_size = static_cast<T>(-(a.lr / (1 - std::pow(a.beta1, a.step))));
  const T eps = static_cast<T>(a.eps);
  for (int64_t i = begin; i < end; i++) {
    T grad = Maximize ? -g[i] : g[i];
    T param = p[i];
    if (Decoupled) param = param * decay;
    if (L2) grad = grad + weight_decay * param;
    const T mi = m[i] * beta1 + one_minus_beta1 * grad;
    const T vi = v[i] * beta2 + one_minus_beta2 * grad * grad;
    m[i] = mi;
    v[i] = vi;
    T second = vi;
    if (Amsgrad) {
      const T old = vmax[i];
      second = (old < vi || vi != vi) ? vi : old;  // torch.maximum: NaN wins
      vmax[i] = second;
    }
    const T denom = std::sqrt(second) / bias_correction2_sqrt + eps;
    p[i] = param + neg_step_size * mi / denom;
  }
}

template <typename T>
__attribute__((always_inline)) inline void adam_range(T* p, const T* g, T* m, T* v, T* vmax, int64_t begin, int64_t end, const AdamArgs& a) {
  const bool l2 = !a.decoupled && a.weight_decay != 0;
#define RT_ADAM_CASE(MAX, DEC, L2_, AMS)                                                  \
  if (a.maximize == MAX && a.decoupled == DEC && l2 == L2_ && a.amsgrad == AMS)           \
    return adam_loop<T, MAX, DEC, L2_, AMS>(p, g, m, v, vmax, begin, end, a);
#define RT_ADAM_AMS(MAX, DEC, L2_) RT_ADAM_CASE(MAX, DEC, L2_, false) RT_ADAM_CASE(MAX, DEC, L2_, true)
#define RT_ADAM_DEC(MAX) RT_ADAM_AMS(MAX, false, false) RT_ADAM_AMS(MAX, false, true) RT_ADAM_AMS(MAX, true, false)
  RT_ADAM_DEC(false)
  RT_ADAM_DEC(true)
#undef RT_ADAM_DEC
#undef RT_ADAM_AMS
#undef RT_ADAM_CASE
}

// The same code compiled for the vector widths of x86-64 CPUs, chosen once at run time: no FMA contraction at any width
// (-ffp-contract=off for this file), so every width rounds the same.
#if defined(__x86_64__) && defined(__GNUC__)
template <typename T>
__attribute__((target("avx512f,avx512dq,avx512vl"))) void adam_avx512(T* p, const T* g, T* m, T* v, T* vmax, int64_t begin,
                                                                       int64_t end, const AdamArgs& a) {
  adam_range<T>(p, g, m, v, vmax, begin, end, a);
}

template <typename T>
__attribute__((target("avx2"))) void adam_avx2(T* p, const T* g, T* m, T* v, T* vmax, int64_t begin, int64_t end,
                                               const AdamArgs& a) {
  adam_range<T>(p, g, m, v, vmax, begin, end, a);
}
#endif

template <typename T>
void adam_kernel(T* p, const T* g, T* m, T* v, T* vmax, int64_t begin, int64_t end, const AdamArgs& a) {
#if defined(__x86_64__) && defined(__GNUC__)
  static const int width = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
                                   __builtin_cpu_supports("avx512vl")
                               ? 512
                               : __builtin_cpu_supports("avx2") ? 256 : 128;
  if (width == 512) return adam_avx512<T>(p, g, m, v, vmax, begin, end, a);
  if (width == 256) return adam_avx2<T>(p, g, m, v, vmax, begin, end, a);
#endif
  adam_range<T>(p, g, m, v, vmax, begin, end, a);
}

bool fusable(const at::Tensor& t, const at::Tensor& like) {
  return t.defined() && t.device().is_cpu() && t.layout() == at::kStrided && t.scalar_type() == like.scalar_type() &&
         t.is_contiguous() && t.sizes().equals(like.sizes());
}

}  // namespace

// Adam/AdamW's update of one parameter in place, fused, when param, grad and every state tensor are dense, contiguous
// CPU tensors of one floating dtype (float32/float64) and one shape, and autograd is not recording: *fused = 1. Otherwise
// nothing changes, *fused = 0 and the caller takes the op-by-op path. max_exp_avg_sq may be null when amsgrad is off.
// The tensors written get their version counters bumped, as in-place kernels do (autograd's saved-tensor check).
RT_API int32_t rt_adam_update(void* param, void* grad, void* exp_avg, void* exp_avg_sq, void* max_exp_avg_sq,
                              double lr, double beta1, double beta2, double eps, double weight_decay, double step,
                              int32_t amsgrad, int32_t maximize, int32_t decoupled, int32_t* fused) {
  rt_enter_thread();
  return rt_try([&] {
    auto& p = T(param);
    const auto& g = T(grad);
    auto& m = T(exp_avg);
    auto& v = T(exp_avg_sq);
    at::Tensor none;
    auto& vmax = max_exp_avg_sq ? T(max_exp_avg_sq) : none;
    const auto dtype = p.scalar_type();
    if ((dtype != at::kFloat && dtype != at::kDouble) || !fusable(p, p) || !fusable(g, p) || !fusable(m, p) ||
        !fusable(v, p) || (amsgrad && !fusable(vmax, p)) || (p.requires_grad() && at::GradMode::is_enabled())) {
      *fused = 0;
      return;
    }
    const AdamArgs args{lr, beta1, beta2, eps, weight_decay, step, amsgrad != 0, maximize != 0, decoupled != 0};
    AT_DISPATCH_FLOATING_TYPES(dtype, "rt_adam_update", [&] {
      auto* pp = p.data_ptr<scalar_t>();
      auto* gp = g.data_ptr<scalar_t>();
      auto* mp = m.data_ptr<scalar_t>();
      auto* vp = v.data_ptr<scalar_t>();
      auto* xp = amsgrad ? vmax.data_ptr<scalar_t>() : nullptr;
      at::parallel_for(0, p.numel(), kGrain, [&](int64_t begin, int64_t end) {
        adam_kernel<scalar_t>(pp, gp, mp, vp, xp, begin, end, args);
      });
    });
    for (auto* t : {&p, &m, &v, &vmax})
      if (t->defined()) t->unsafeGetTensorImpl()->bump_version();
    *fused = 1;
  });
}
