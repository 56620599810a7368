// CUDA-only entry points: the caching allocator's memory statistics and device synchronisation. Without a CUDA
// libtorch (RT_WITH_CUDA unset) they exist too, and report that this build has no CUDA.
#include "shim.h"

#ifdef RT_WITH_CUDA
#include <c10/cuda/CUDACachingAllocator.h>
#include <c10/cuda/CUDAFunctions.h>
#include <c10/cuda/CUDAGuard.h>
#endif

namespace {

#ifdef RT_WITH_CUDA
void check_device(int32_t device) {
  int32_t count = static_cast<int32_t>(c10::cuda::device_count());
  if (device < 0 || device >= count)
    throw std::invalid_argument("CUDA device " + std::to_string(device) + " does not exist (" + std::to_string(count) +
                                " visible)");
}
#else
[[noreturn]] void no_cuda() {
  throw std::invalid_argument("this libresearch_torch was built against a libtorch without CUDA");
}
#endif

}  // namespace

// Bytes held by the caching allocator on one device: out = {allocated, reserved, peak allocated, peak reserved}
// (torch.cuda.memory_allocated, memory_reserved, max_memory_allocated, max_memory_reserved).
RT_API int32_t rt_cuda_memory(int32_t device, int64_t* out) {
  return rt_try([&] {
#ifdef RT_WITH_CUDA
    check_device(device);
    // The statistics moved to c10::CachingDeviceAllocator in libtorch 2.x; element 0 is the aggregate in both.
    auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(device);
    out[0] = stats.allocated_bytes[0].current;
    out[1] = stats.reserved_bytes[0].current;
    out[2] = stats.allocated_bytes[0].peak;
    out[3] = stats.reserved_bytes[0].peak;
#else
    no_cuda();
#endif
  });
}

// Starts the peak statistics afresh (torch.cuda.reset_peak_memory_stats).
RT_API int32_t rt_cuda_reset_peak_memory(int32_t device) {
  return rt_try([&] {
#ifdef RT_WITH_CUDA
    check_device(device);
    c10::cuda::CUDACachingAllocator::resetPeakStats(device);
#else
    no_cuda();
#endif
  });
}

// Returns cached, unused blocks to the driver (torch.cuda.empty_cache).
RT_API int32_t rt_cuda_empty_cache() {
  return rt_try([&] {
#ifdef RT_WITH_CUDA
    c10::cuda::CUDACachingAllocator::emptyCache();
#else
    no_cuda();
#endif
  });
}

// Waits for all work queued on the current CUDA device (torch.cuda.synchronize).
RT_API int32_t rt_cuda_synchronize(int32_t device) {
  return rt_try([&] {
#ifdef RT_WITH_CUDA
    check_device(device);
    c10::cuda::CUDAGuard guard(static_cast<c10::DeviceIndex>(device));
    c10::cuda::device_synchronize();
#else
    no_cuda();
#endif
  });
}
