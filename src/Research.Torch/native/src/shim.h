// Research.Torch native shim: a small C ABI over libtorch.
// Every entry point returns 0 on success or an error code (see RtErrorKind) and never lets a
// C++ exception cross the boundary; the message is kept per thread for rt_last_error().
#pragma once
#include <ATen/core/Tensor.h>
#include <torch/csrc/api/include/torch/version.h>
#if __has_include(<c10/util/Optional.h>)
#include <c10/util/Optional.h>  // c10::optional: its own type in 1.13, an alias of std::optional in newer libtorch
#endif
#include <cstdint>
#include <string>

#define RT_API extern "C" __attribute__((visibility("default")))

// The shim builds against libtorch 1.13 (Debian) and 2.x (a CUDA build). The few APIs that changed between them are
// chosen by this one test; RT_WITH_CUDA (set by CMakeLists.txt for a CUDA libtorch) adds the CUDA-only entry points.
#define RT_TORCH2 (TORCH_VERSION_MAJOR >= 2)

enum RtErrorKind : int32_t {
  RT_OK = 0,
  RT_ERROR = 1,          // c10::Error
  RT_INDEX_ERROR = 2,    // c10::IndexError
  RT_VALUE_ERROR = 3,    // c10::ValueError
  RT_TYPE_ERROR = 4,     // c10::TypeError
  RT_NOT_IMPLEMENTED = 5,
  RT_LINALG_ERROR = 6,
  RT_OUT_OF_MEMORY = 7,
  RT_STD_ERROR = 8,      // any other std::exception
  RT_ARGUMENT_ERROR = 9  // the shim itself rejected the arguments
};

// A tagged value crossing the boundary: arguments to and results from dispatcher calls.
enum RtKind : int32_t {
  RT_NONE = 0,
  RT_TENSOR = 1,       // p: at::Tensor* (borrowed for arguments, owned by the caller for results)
  RT_INT = 2,          // i
  RT_DOUBLE = 3,       // d
  RT_BOOL = 4,         // i != 0
  RT_INT_LIST = 5,     // p: int64_t*, count
  RT_DOUBLE_LIST = 6,  // p: double*, count
  RT_TENSOR_LIST = 7,  // arguments: p: at::Tensor**, count. results: marker followed by count RT_TENSOR
  RT_STRING = 8,       // p: const char* (UTF-8, NUL-terminated)
  RT_COMPLEX = 9,      // d (real), d2 (imaginary)
  RT_DEFAULT = 10,     // use the schema's default value
  RT_OPT_TENSOR_LIST = 11,  // p: at::Tensor** with NULL for None, count
  RT_BOOL_LIST = 12    // p: uint8_t*, count
};

struct RtValue {
  int32_t kind;
  int32_t count;
  int64_t i;
  double d;
  double d2;
  void* p;
};

// Runs f, converting exceptions to an error code and a per-thread message.
int32_t rt_guard_error(const std::exception& e, int32_t kind);
void rt_set_error(int32_t kind, const std::string& message);

template <class F>
inline int32_t rt_try(F&& f) {
  try {
    f();
    return RT_OK;
  } catch (const c10::IndexError& e) {
    return rt_guard_error(e, RT_INDEX_ERROR);
  } catch (const c10::ValueError& e) {
    return rt_guard_error(e, RT_VALUE_ERROR);
  } catch (const c10::TypeError& e) {
    return rt_guard_error(e, RT_TYPE_ERROR);
  } catch (const c10::NotImplementedError& e) {
    return rt_guard_error(e, RT_NOT_IMPLEMENTED);
  } catch (const c10::LinAlgError& e) {
    return rt_guard_error(e, RT_LINALG_ERROR);
  } catch (const c10::OutOfMemoryError& e) {
    return rt_guard_error(e, RT_OUT_OF_MEMORY);
  } catch (const c10::Error& e) {
    return rt_guard_error(e, RT_ERROR);
  } catch (const std::bad_alloc& e) {
    return rt_guard_error(e, RT_OUT_OF_MEMORY);
  } catch (const std::invalid_argument& e) {
    return rt_guard_error(e, RT_ARGUMENT_ERROR);
  } catch (const std::exception& e) {
    return rt_guard_error(e, RT_STD_ERROR);
  } catch (...) {
    rt_set_error(RT_STD_ERROR, "unknown native exception");
    return RT_STD_ERROR;
  }
}

// libtorch's warning handler is per thread: install ours on each thread that calls in.
void rt_install_warning_handler();
inline void rt_enter_thread() {
  static thread_local bool ready = false;
  if (!ready) {
    rt_install_warning_handler();
    ready = true;
  }
}

inline at::Tensor& T(void* p) { return *static_cast<at::Tensor*>(p); }
inline void* rt_new_tensor(at::Tensor t) { return new at::Tensor(std::move(t)); }
