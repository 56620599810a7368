// The CPU allocator: c10's default allocates every tensor with posix_memalign(64). glibc serves an aligned request
// by carving a larger chunk and freeing the pieces around it, outside its per-thread cache, so a one-element op
// spends a quarter of its time in glibc (splitting, coalescing, malloc_consolidate; measured with perf). This
// allocator asks plain malloc for 64 + 8 more bytes, aligns inside the block and keeps the block's address in the
// 8 bytes before the data, so small tensors come from malloc's per-thread cache and every tensor is 64-byte
// aligned as c10 requires. Data pointer and context are the same address (raw_allocate/raw_deallocate work).
#include <c10/core/Allocator.h>
#include <c10/core/CPUAllocator.h>

#include <cstdlib>
#include <new>

#include "shim.h"

#if !RT_TORCH2
namespace {

constexpr size_t kAlignment = 64;  // c10::gAlignment

void free_aligned(void* data) {
  if (data) std::free(static_cast<void**>(data)[-1]);
}

struct AlignedMallocAllocator final : public c10::Allocator {
  c10::DataPtr allocate(size_t nbytes) const override {
    if (nbytes == 0) return {nullptr, nullptr, &free_aligned, c10::Device(c10::DeviceType::CPU)};
    void* block = std::malloc(nbytes + kAlignment + sizeof(void*));
    if (!block) throw std::bad_alloc();
    auto start = reinterpret_cast<uintptr_t>(block) + sizeof(void*);
    auto data = reinterpret_cast<void*>((start + kAlignment - 1) & ~(kAlignment - 1));
    static_cast<void**>(data)[-1] = block;
    return {data, data, &free_aligned, c10::Device(c10::DeviceType::CPU)};
  }

  c10::DeleterFnPtr raw_deleter() const override { return &free_aligned; }
};

AlignedMallocAllocator g_allocator;

}  // namespace

// Installs the allocator for CPU tensors (priority above c10's default); returns 1. Tensors allocated before keep
// their own deleters, so switching at any time is safe. Returns 0 where it is not installed (libtorch 2).
RT_API int32_t rt_install_cpu_allocator() {
  c10::SetCPUAllocator(&g_allocator, /*priority=*/1);
  return c10::GetCPUAllocator() == &g_allocator ? 1 : 0;
}
#else
// libtorch 2 changed the allocator interface (allocate is no longer const; copy_data was added): c10's default stays.
RT_API int32_t rt_install_cpu_allocator() { return 0; }
#endif
