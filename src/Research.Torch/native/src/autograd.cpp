// Autograd: backward, autograd.grad (with create_graph for double backward), grad mode, and
// custom functions whose backward is written in .NET.
#include <ATen/core/grad_mode.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/function.h>
#include <torch/csrc/autograd/functions/utils.h>
#include <torch/csrc/autograd/variable.h>

#include "shim.h"

using torch::autograd::variable_list;

RT_API const char* rt_last_error();

namespace {

std::vector<at::Tensor> tensors(void** handles, int32_t n) {
  std::vector<at::Tensor> out;
  out.reserve(n);
  for (int32_t i = 0; i < n; i++) out.push_back(handles && handles[i] ? T(handles[i]) : at::Tensor());
  return out;
}

// (id, incoming gradients, n, outgoing gradient handles, n) -> 0 or error. The callee owns the
// incoming handles; it returns new handles (owned by the shim) or NULL for "no gradient for this input".
using BackwardFn = int32_t (*)(int64_t id, void** grads, int32_t ngrads, void** results, int32_t nresults);
using ReleaseFn = void (*)(int64_t id);
BackwardFn g_backward = nullptr;
ReleaseFn g_release = nullptr;

struct ManagedFunction : public torch::autograd::Node {
  int64_t id;
  std::string name_;
  ManagedFunction(int64_t id, std::string name) : id(id), name_(std::move(name)) {}
  ~ManagedFunction() override {
    if (g_release) g_release(id);
  }
  std::string name() const override { return name_; }

  variable_list apply(variable_list&& grads) override {
    std::vector<void*> in(grads.size());
    for (size_t i = 0; i < grads.size(); i++) in[i] = grads[i].defined() ? rt_new_tensor(grads[i]) : nullptr;
    std::vector<void*> out(num_outputs(), nullptr);
    int32_t rc = g_backward(id, in.data(), static_cast<int32_t>(in.size()), out.data(),
                            static_cast<int32_t>(out.size()));
    // The incoming handles now belong to .NET, which frees them when its scope closes.
    variable_list result(out.size());
    for (size_t i = 0; i < out.size(); i++) {
      if (out[i]) {
        result[i] = T(out[i]);
        delete static_cast<at::Tensor*>(out[i]);
      }
    }
    if (rc != 0) throw std::runtime_error(std::string("backward of ") + name_ + " failed: " + rt_last_error());
    return result;
  }
};

}  // namespace

RT_API void rt_set_custom_function_callbacks(BackwardFn backward, ReleaseFn release) {
  g_backward = backward;
  g_release = release;
}

// Connects outputs (computed without grad) to inputs through a node whose backward calls .NET.
// Outputs are replaced in place by differentiable handles.
RT_API int32_t rt_custom_function_apply(int64_t id, const char* name, void** inputs, int32_t nin, void** outputs,
                                        int32_t nout) {
  return rt_try([&] {
    if (!g_backward) throw std::invalid_argument("custom function callbacks are not registered");
    auto ins = tensors(inputs, nin);
    bool any = false;
    for (auto& t : ins) any = any || (t.defined() && t.requires_grad());
    auto node = std::shared_ptr<ManagedFunction>(new ManagedFunction(id, name), torch::autograd::deleteNode);
    if (!any || !at::GradMode::is_enabled()) {
      return;  // nothing to differentiate; the node (and the .NET closure) is released here
    }
    node->set_next_edges(torch::autograd::collect_next_edges(ins));
    for (int32_t i = 0; i < nout; i++) {
      auto& out = T(outputs[i]);
      // A fresh tensor so that the graph edge never lands on an input or a view of one.
      at::Tensor fresh = out.detach().clone();
      torch::autograd::impl::set_gradient_edge(fresh, {node, node->add_input_metadata(fresh)});
      out = fresh;
    }
  });
}

RT_API int32_t rt_backward(void** outputs, void** grads, int32_t n, int32_t retain_graph, int32_t create_graph) {
  rt_enter_thread();
  return rt_try([&] {
    auto outs = tensors(outputs, n);
    auto gs = tensors(grads, n);
    torch::autograd::backward(outs, gs, c10::optional<bool>(retain_graph != 0), create_graph != 0);
  });
}

// Gradients of outputs w.r.t. inputs; results[i] is NULL when input i is unused (allow_unused).
RT_API int32_t rt_autograd_grad(void** outputs, void** grad_outputs, int32_t nout, void** inputs, int32_t nin,
                                int32_t retain_graph, int32_t create_graph, int32_t allow_unused, void** results) {
  rt_enter_thread();
  return rt_try([&] {
    auto gs = torch::autograd::grad(tensors(outputs, nout), tensors(inputs, nin), tensors(grad_outputs, nout),
                                    c10::optional<bool>(retain_graph != 0), create_graph != 0, allow_unused != 0);
    for (int32_t i = 0; i < nin; i++) results[i] = gs[i].defined() ? rt_new_tensor(gs[i]) : nullptr;
  });
}

RT_API int32_t rt_grad_enabled() { return at::GradMode::is_enabled() ? 1 : 0; }
RT_API void rt_set_grad_enabled(int32_t enabled) { at::GradMode::set_enabled(enabled != 0); }
