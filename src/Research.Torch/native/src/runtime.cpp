// Process-wide settings: allocator tuning, threads, seeds, warnings, build information.
#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <ATen/Version.h>
#include <torch/csrc/api/include/torch/version.h>
#include <ATen/core/Generator.h>
#include <ATen/CPUGeneratorImpl.h>
#include <c10/core/impl/DeviceGuardImplInterface.h>
#include <dlfcn.h>
#include <malloc.h>

#include <mutex>

#include "shim.h"

namespace {

using WarningFn = void (*)(const char* message);
WarningFn g_warning = nullptr;

// libtorch 2 passes a c10::Warning and moved set_warning_handler into c10::WarningUtils.
struct ManagedWarningHandler : public c10::WarningHandler {
#if RT_TORCH2
  void process(const c10::Warning& warning) override {
    if (g_warning) g_warning(warning.msg().c_str());
  }
#else
  void process(const c10::SourceLocation& loc, const std::string& msg, const bool verbatim) override {
    if (g_warning) g_warning(msg.c_str());
  }
#endif
};
ManagedWarningHandler g_handler;

}  // namespace

// Called once when the library loads. glibc's default mmap/trim thresholds make every large
// tensor allocation a fresh mmap + page faults; raising them keeps freed blocks for reuse.
RT_API void rt_init(int32_t tune_malloc) {
  if (tune_malloc) {
    mallopt(M_MMAP_THRESHOLD, 256 * 1024 * 1024);
    mallopt(M_TRIM_THRESHOLD, 1024 * 1024 * 1024);
  }
}

#if RT_TORCH2
void rt_install_warning_handler() { c10::WarningUtils::set_warning_handler(&g_handler); }
#else
void rt_install_warning_handler() { c10::Warning::set_warning_handler(&g_handler); }
#endif

RT_API void rt_set_warning_callback(WarningFn fn) {
  g_warning = fn;
  rt_install_warning_handler();
}

// Seeds the CPU generator and, as torch.manual_seed does, every CUDA device's default generator (a CPU-only
// libtorch has none; the CUDA hooks answer through ATen's Context, so no CUDA header is needed here).
RT_API int32_t rt_manual_seed(uint64_t seed) {
  return rt_try([&] {
    auto seed_one = [seed](at::Generator gen) {
      std::lock_guard<std::mutex> lock(gen.mutex());
      gen.set_current_seed(seed);
    };
    seed_one(at::detail::getDefaultCPUGenerator());
    if (at::hasCUDA())
      for (int i = 0; i < static_cast<int>(at::detail::getCUDAHooks().getNumGPUs()); i++)
        seed_one(at::globalContext().defaultGenerator(c10::Device(c10::DeviceType::CUDA, static_cast<c10::DeviceIndex>(i))));
  });
}

// libtorch's intra-op threads, and OpenBLAS's own pool (0 leaves OpenBLAS as it is).
RT_API int32_t rt_set_num_threads(int32_t n, int32_t blas_threads) {
  return rt_try([&] {
    at::set_num_threads(n);
    using SetFn = void (*)(int);
    if (blas_threads > 0)
      if (auto set = reinterpret_cast<SetFn>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) set(blas_threads);
  });
}

// OpenBLAS's thread count, or 0 when libtorch does not run on OpenBLAS.
RT_API int32_t rt_get_blas_threads() {
  using GetFn = int (*)();
  if (auto get = reinterpret_cast<GetFn>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"))) return get();
  return 0;
}
RT_API int32_t rt_get_num_threads() { return at::get_num_threads(); }

// Name of the BLAS library behind libtorch, when it is OpenBLAS (else empty).
RT_API const char* rt_blas_info() {
  using CfgFn = char* (*)();
  if (auto cfg = reinterpret_cast<CfgFn>(dlsym(RTLD_DEFAULT, "openblas_get_config"))) return cfg();
  return "";
}

// Through the device-guard registry (stable from 1.13 to 2.x): 0 unless libtorch_cuda is loaded and sees a GPU.
RT_API int32_t rt_cuda_device_count() {
  try {
    if (!c10::impl::hasDeviceGuardImpl(c10::DeviceType::CUDA)) return 0;
    return static_cast<int32_t>(c10::impl::getDeviceGuardImpl(c10::DeviceType::CUDA)->deviceCount());
  } catch (...) {
    return 0;
  }
}

RT_API const char* rt_torch_version() {
  static std::string v = std::to_string(TORCH_VERSION_MAJOR) + "." + std::to_string(TORCH_VERSION_MINOR) + "." +
                         std::to_string(TORCH_VERSION_PATCH);
  return v.c_str();
}

RT_API const char* rt_build_config() {
  static std::string s = at::show_config();
  return s.c_str();
}
