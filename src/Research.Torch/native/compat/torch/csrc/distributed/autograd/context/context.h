// Debian's libtorch-dev 1.13 ships c10d/reducer.hpp but not the distributed-autograd header it includes. The reducer
// needs only two names from it, for a type check and an (always empty, without RPC) pointer member; these are the
// declarations libtorch itself was compiled with (torch/csrc/distributed/autograd/context/context.h), nothing else.
// CMakeLists.txt adds this folder only when the libtorch at hand lacks the real header.
#pragma once
#include <ATen/core/Tensor.h>
#include <functional>
#include <memory>

namespace torch {
namespace distributed {
namespace autograd {

class DistAutogradContext {
 public:
  using GradCallback = std::function<bool(at::Tensor&)>;
};

using ContextPtr = std::shared_ptr<DistAutogradContext>;

}  // namespace autograd
}  // namespace distributed
}  // namespace torch
